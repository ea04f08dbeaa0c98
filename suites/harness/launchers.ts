// Targets a run starts itself (profile "launch"). A launcher returns the
// variables substituted into the profile's URIs (${port}) and can restart
// the target from its state (reset by relaunch = power cut + reboot).
import { spawn, type ChildProcess } from 'node:child_process';
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
