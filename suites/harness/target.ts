// The target of a run, built from its profile: launches what the profile
// launches, opens one transport per distinct URI, hands out channels, and
// resets the target the way the profile says.
import { spawnSync } from 'node:child_process';
import { ControlClient } from '../../clients/control.js';
import { helloServiceNames } from '../../protocol/control.js';
import { openTransport, type Channel, type Transport, TransportError } from '../../transports/index.js';
import { launcherFor, type Launched } from './launchers.js';
import type { Profile } from './profile.js';
import type { ServiceKey } from './types.js';

export interface TargetEnv {
  log: (line: string) => void;
}

function fill(uri: string, vars: Record<string, string>): string {
  return uri.replace(/\$\{([a-zA-Z0-9_]+)\}/g, (m, k: string) => vars[k] ?? m);
}

export function runShell(cmd: string, what: string, timeoutMs = 120_000): void {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit status ${r.status}`;
    throw new Error(`${what} command failed (${why}): ${cmd}\n${(r.stderr ?? '').slice(-2000)}`);
  }
}

export class Target {
  private readonly transports = new Map<string, Transport>();
  private readonly uris: Partial<Record<ServiceKey, string>> = {};

  private constructor(
    readonly profile: Profile,
    private readonly env: TargetEnv,
    private readonly launched: Launched | undefined,
  ) {}

  static async open(profile: Profile, env: TargetEnv): Promise<Target> {
    for (const cmd of profile.setup) runShell(cmd, 'setup');
    const launched = profile.launch ? await launcherFor(profile.launch.kind)(profile, env.log) : undefined;
    const t = new Target(profile, env, launched);
    try {
      for (const [svc, uri] of Object.entries(profile.services) as [ServiceKey, string][]) {
        const real = fill(uri, launched?.vars ?? {});
        t.uris[svc] = real;
        if (!t.transports.has(real)) {
          t.transports.set(
            real,
            await openTransport(real, {
              referenceConfig: profile.reference,
              callTimeoutMs: profile.timeouts.callMs,
              log: env.log,
            }),
          );
        }
      }
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  /** The URI actually used for a service (placeholders filled). */
  uriOf(service: ServiceKey): string | undefined {
    return this.uris[service];
  }

  get serviceUris(): Record<string, string> {
    return { ...this.uris } as Record<string, string>;
  }

  has(service: ServiceKey): boolean {
    return this.uris[service] !== undefined;
  }

  channel(service: ServiceKey | 'control', via?: ServiceKey): Channel {
    const uri = service === 'control' ? this.uris[via ?? (Object.keys(this.uris)[0] as ServiceKey)] : this.uris[service];
    if (!uri) throw new TransportError('unsupported', `profile ${this.profile.name} maps no transport for ${service}`);
    return this.transports.get(uri)!.channel(service);
  }

  get canReset(): boolean {
    return this.profile.reset !== undefined && (this.profile.reset.method !== 'relaunch' || this.launched !== undefined);
  }

  private controls(): ControlClient[] {
    return [...this.transports.values()].map((t) => new ControlClient(t.channel('control')));
  }

  async reset(): Promise<void> {
    const r = this.profile.reset;
    if (!r) throw new TransportError('unsupported', `profile ${this.profile.name} declares no reset method`);
    switch (r.method) {
      case 'control':
        for (const c of this.controls()) await c.reset(this.profile.timeouts.callMs);
        return;
      case 'relaunch':
        if (!this.launched) throw new TransportError('unsupported', 'reset by relaunch needs a launched target');
        await this.launched.relaunch();
        await this.waitReady(10_000);
        return;
      case 'command':
        runShell(r.command, 'reset');
        if (r.settleMs) await new Promise((res) => setTimeout(res, r.settleMs));
        await this.waitReady(r.readyTimeoutMs ?? 60_000);
        return;
    }
  }

  /** Polls HELLO on every envelope transport until each answers. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const c of this.controls()) {
      for (;;) {
        try {
          await c.hello(Math.min(2000, Math.max(1, deadline - Date.now())));
          break;
        } catch (e) {
          if (e instanceof TransportError && e.kind === 'unsupported') break;
          if (Date.now() > deadline) throw new TransportError('timeout', `target not ready ${timeoutMs} ms after reset: ${(e as Error).message}`);
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }
  }

  /** What each transport's far end says about itself (best effort). */
  async describe(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (this.launched) out.launched = this.launched.describe;
    for (const [uri, t] of this.transports) {
      try {
        const h = await new ControlClient(t.channel('control')).hello(Math.min(5000, this.profile.timeouts.callMs));
        out[uri] = { agent: h.agent, protocolVersion: h.protocolVersion, maxBody: h.maxBody, services: helloServiceNames(h) };
      } catch (e) {
        out[uri] = { error: (e as Error).message };
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const t of this.transports.values()) await t.close().catch(() => undefined);
    this.transports.clear();
    await this.launched?.stop();
    for (const cmd of this.profile.teardown) {
      try {
        runShell(cmd, 'teardown');
      } catch (e) {
        this.env.log((e as Error).message);
      }
    }
  }
}
