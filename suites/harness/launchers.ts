// Targets a run starts itself (profile "launch"). A launcher returns the
// variables substituted into the profile's URIs (${port}) and can restart
// the target from its state (reset by relaunch = power cut + reboot).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Profile } from './profile.js';

export interface Launched {
  vars: Record<string, string>;
  describe: string;
  /** Kills the target without warning (SIGKILL) and starts it again on the same state and ports. */
  relaunch(): Promise<void>;
  stop(): Promise<void>;
}

export type Launcher = (profile: Profile, log: (line: string) => void) => Promise<Launched>;

export const FWSEC_BIN = fileURLToPath(new URL('../../bin/fwsec.js', import.meta.url));

const LAUNCHERS: Record<string, Launcher> = {
  'fwsec-serve': launchFwsecServe,
  swtpm: launchSwtpm,
};

export function registerLauncher(kind: string, launcher: Launcher): void {
  LAUNCHERS[kind] = launcher;
}

export function launcherFor(kind: string): Launcher {
  const l = LAUNCHERS[kind];
  if (!l) throw new Error(`unknown launch kind "${kind}" (known: ${Object.keys(LAUNCHERS).join(', ')})`);
  return l;
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves with the first stdout match of `ready`, rejects on exit or timeout. */
  ready: Promise<RegExpExecArray>;
  output(): string;
}

/** Spawns a process and waits for a line matching `ready` on stdout or stderr. */
export function spawnReady(cmd: string, args: string[], ready: RegExp, timeoutMs: number): Spawned {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8192);
  };
  const readyP = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not become ready within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const scan = (d: Buffer) => {
      keep(d);
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', scan);
    child.stderr!.on('data', scan);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${sig ?? code}) before it was ready; output:\n${out}`));
    });
  });
  readyP.catch(() => undefined);
  return { child, ready: readyP, output: () => out };
}

export function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function launchFwsecServe(profile: Profile, log: (line: string) => void): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsec-serve-'));
  const state = join(dir, 'state');
  const config = join(dir, 'reference.json');
  writeFileSync(config, JSON.stringify(profile.reference ?? {}));
  const extra = profile.launch?.args ?? [];
  let port = 0;
  let current: Spawned | undefined;

  const start = async () => {
    const args = [FWSEC_BIN, 'serve', '--listen', `tcp://127.0.0.1:${port}`, '--state', state, '--config', config, ...extra];
    for (let attempt = 0; ; attempt++) {
      const s = spawnReady(process.execPath, args, /listening on tcp:\/\/127\.0\.0\.1:(\d+)/, 20_000);
      try {
        const m = await s.ready;
        port = Number(m[1]);
        current = s;
        log(`fwsec serve pid ${s.child.pid} listening on 127.0.0.1:${port}`);
        return;
      } catch (e) {
        // the port of a killed server can be briefly unavailable
        if (attempt < 20 && /EADDRINUSE/.test(s.output())) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw e;
      }
    }
  };
  await start();
  return {
    vars: { port: String(port) },
    describe: `fwsec serve on 127.0.0.1:${port}, state ${state}`,
    relaunch: async () => {
      if (current) {
        current.child.kill('SIGKILL');
        await waitExit(current.child, 5000);
      }
      await start();
    },
    stop: async () => {
      if (current) {
        current.child.kill('SIGTERM');
        await waitExit(current.child, 3000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free loopback port P whose P+1 is free too (swtpm's data and control channels). */
async function freePortPair(): Promise<number> {
  const grab = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port }, () => {
        const a = srv.address();
        const p = typeof a === 'object' && a ? a.port : port;
        srv.close(() => resolve(p));
      });
    });
  for (let i = 0; i < 50; i++) {
    const p = await grab(0);
    if (p >= 65535) continue;
    try {
      await grab(p + 1);
      return p;
    } catch {
      // P+1 is taken: try another pair
    }
  }
  throw new Error('no free pair of loopback ports for swtpm');
}

/** Resolves once swtpm's control channel answers CMD_GET_CAPABILITY (8 bytes). */
function swtpmAnswers(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: port + 1 });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), ms);
    let got = 0;
    s.on('connect', () => s.write(Uint8Array.from([0, 0, 0, 1])));
    s.on('data', (d) => {
      got += d.length;
      if (got >= 8) done(true);
    });
    s.on('error', () => done(false));
  });
}

/**
 * swtpm (TPM 2.0) on free loopback ports with a temporary state directory:
 * `swtpm socket --tpm2 --server port=P --ctrl port=P+1 --flags not-need-init`
 * (the TPM is initialised; checks send TPM2_Startup). Options (profile
 * launch.options): `binary` (default "swtpm"), `flags` (default
 * "not-need-init"), `extraArgs`. Relaunch kills it and starts it again on
 * the same state and ports.
 */
async function launchSwtpm(profile: Profile, log: (line: string) => void): Promise<Launched> {
  const o = (profile.launch?.options ?? {}) as { binary?: string; flags?: string; extraArgs?: string[] };
  const dir = mkdtempSync(join(tmpdir(), 'fwsec-swtpm-'));
  const port = await freePortPair();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const args = [
      'socket',
      '--tpm2',
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
      '--tpmstate',
      `dir=${dir}`,
      '--flags',
      o.flags ?? 'not-need-init',
      '--log',
      `file=${join(dir, 'swtpm.log')},level=1`,
      ...(o.extraArgs ?? []),
      ...(profile.launch?.args ?? []),
    ];
    const c = spawn(o.binary ?? 'swtpm', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4096)));
    c.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4096)));
    const failed = new Promise<never>((_, reject) => {
      c.once('error', (e) => reject(new Error(`cannot start ${o.binary ?? 'swtpm'}: ${e.message} (install the Debian package swtpm)`)));
      c.once('exit', (code, sig) => reject(new Error(`swtpm exited (${sig ?? code}) before it was ready:\n${output}`)));
    });
    failed.catch(() => undefined);
    child = c;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await Promise.race([swtpmAnswers(port, 500), failed]);
      if (ok) break;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`swtpm did not answer on 127.0.0.1:${port + 1} within 15 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    log(`swtpm pid ${c.pid} on 127.0.0.1:${port} (control ${port + 1}), state ${dir}`);
  };
  await start();
  return {
    vars: { port: String(port) },
    describe: `swtpm on 127.0.0.1:${port} (control ${port + 1}), state ${dir}`,
    relaunch: async () => {
      if (child) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
      await start();
    },
    stop: async () => {
      if (child) {
        child.kill('SIGTERM');
        await waitExit(child, 3000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
