// Power-cut trials against a real `fwsec serve --state DIR` process: write-
// heavy ITS and PS work over TCP, SIGKILL at a random moment, restart on the
// same state, then check that every asset holds the value of its last
// acknowledged write or of the write in flight, never anything else, and
// that the RPMB write counter of the board's eMMC only grew (read through
// the rpmb service and authenticated with the key the secure world derives).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpmbClient } from '../../clients/rpmb.js';
import { StorageClient } from '../../clients/psa-storage.js';
import { bytesEqual, fromHex, hex } from '../../protocol/bytes.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import { RpmbResult, counterReadRequest, decodeFrame, macValid } from '../../protocol/rpmb/frame.js';
import { deriveOpteeRpmbKey } from '../../protocol/rpmb/optee.js';
import { defaultRpmbConfig } from '../../reference/config.js';
import { FWSEC_BIN, spawnReady, waitExit, type Spawned } from '../../suites/harness/launchers.js';
import { openTransport, TransportError, type Transport } from '../../transports/index.js';

export interface CrashOptions {
  trials: number;
  seed: number;
  /** Uids per API the workload writes. */
  uids?: number;
  /** Longest asset written. */
  maxSize?: number;
  /** Kill between minKillMs and maxKillMs after the workload starts. */
  minKillMs?: number;
  maxKillMs?: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  trials: number;
  operations: number;
  /** Trials whose kill hit an operation in flight. */
  killedMidOperation: number;
  /** Assets found holding the in-flight value after restart (the write landed before the kill). */
  inFlightLanded: number;
  counterFirst: number;
  counterLast: number;
  violations: string[];
  internalErrors: number;
  restartMs: number[];
}

/** mulberry32: a small seeded PRNG, so a failing trial sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Value = Uint8Array | null;
interface Slot {
  committed: Value;
  pending?: Value;
}

const describeValue = (v: Value) => (v === null ? 'absent' : `${v.length} bytes ${hex(v, 8)}`);

export async function runCrashTrials(o: CrashOptions): Promise<CrashReport> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsec-crash-'));
  const state = join(dir, 'state');
  const random = rng(o.seed);
  const cfg = defaultRpmbConfig();
  const key = deriveOpteeRpmbKey(fromHex(cfg.huk), fromHex(cfg.device.cid));
  const uids = o.uids ?? 4;
  const maxSize = o.maxSize ?? 900;
  const slots = new Map<string, Slot>();
  for (const api of ['its', 'ps'] as const) for (let u = 1; u <= uids; u++) slots.set(`${api}:${u}`, { committed: null });
  const report: CrashReport = { trials: 0, operations: 0, killedMidOperation: 0, inFlightLanded: 0, counterFirst: -1, counterLast: -1, violations: [], internalErrors: 0, restartMs: [] };

  const start = async (): Promise<{ s: Spawned; t: Transport }> => {
    const t0 = performance.now();
    const s = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--listen', 'tcp://127.0.0.1:0', '--state', state, '--verbose'], /listening on tcp:\/\/127\.0\.0\.1:(\d+)/, 30_000);
    s.child.stderr!.on('data', (d: Buffer) => {
      const n = (d.toString().match(/internal error/g) ?? []).length;
      report.internalErrors += n;
    });
    const m = await s.ready;
    report.restartMs.push(performance.now() - t0);
    const t = await openTransport(`tcp://127.0.0.1:${m[1]}`, { callTimeoutMs: 10_000 });
    return { s, t };
  };

  const verify = async (t: Transport, trial: number) => {
    for (const [k, slot] of slots) {
      const [api, u] = k.split(':') as ['its' | 'ps', string];
      const r = await new StorageClient(t.channel(api), api).get(BigInt(u), 0, 100_000);
      const observed: Value = r.status === PSA.SUCCESS ? r.data : r.status === PSA.ERROR_DOES_NOT_EXIST ? null : undefined!;
      if (observed === undefined) {
        report.violations.push(`trial ${trial}: ${k} answers ${psaStatusName(r.status)}`);
        continue;
      }
      const same = (a: Value) => (a === null ? observed === null : observed !== null && bytesEqual(a, observed));
      if (same(slot.committed)) slot.committed = observed;
      else if ('pending' in slot && same(slot.pending!)) {
        slot.committed = observed;
        report.inFlightLanded += 1;
      } else {
        report.violations.push(
          `trial ${trial}: ${k} holds ${describeValue(observed)}; expected ${describeValue(slot.committed)}${'pending' in slot ? ` or ${describeValue(slot.pending!)}` : ''}`,
        );
        slot.committed = observed;
      }
      delete slot.pending;
    }
    // the counter of the board's eMMC, authenticated with the secure world's key
    const c = await new RpmbClient(t.channel('rpmb')).opteeDataRequest(0, [counterReadRequest(new Uint8Array(16).fill(trial & 0xff))], 0, 1);
    const f = decodeFrame(c.frames[0]!);
    if (f.result !== RpmbResult.OK || !macValid(key, c.frames)) report.violations.push(`trial ${trial}: counter read of dev_id 0 not authentic (result ${f.result})`);
    if (report.counterLast >= 0 && f.writeCounter < report.counterLast) {
      report.violations.push(`trial ${trial}: RPMB write counter went back from ${report.counterLast} to ${f.writeCounter}`);
    }
    if (report.counterFirst < 0) report.counterFirst = f.writeCounter;
    report.counterLast = f.writeCounter;
  };

  try {
    let cur = await start();
    for (let trial = 0; trial < o.trials; trial++) {
      await verify(cur.t, trial);
      const its = new StorageClient(cur.t.channel('its'), 'its');
      const ps = new StorageClient(cur.t.channel('ps'), 'ps');
      const killAfter = (o.minKillMs ?? 20) + random() * ((o.maxKillMs ?? 200) - (o.minKillMs ?? 20));
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        cur.s.child.kill('SIGKILL');
      }, killAfter);
      let inFlight: Slot | undefined;
      for (;;) {
        const api = random() < 0.5 ? 'its' : 'ps';
        const u = 1 + Math.floor(random() * uids);
        const slot = slots.get(`${api}:${u}`)!;
        const remove = random() < 0.2;
        const value: Value = remove ? null : Uint8Array.from({ length: Math.floor(random() * maxSize) }, () => Math.floor(random() * 256));
        slot.pending = value;
        inFlight = slot;
        try {
          const c = api === 'its' ? its : ps;
          const status = remove ? await c.remove(BigInt(u)) : await c.set(BigInt(u), value!, 0);
          report.operations += 1;
          if (status === PSA.SUCCESS) slot.committed = value;
          else if (!(remove && status === PSA.ERROR_DOES_NOT_EXIST)) report.violations.push(`trial ${trial}: ${api} ${remove ? 'remove' : 'set'} of ${u} answered ${psaStatusName(status)}`);
          delete slot.pending;
          inFlight = undefined;
        } catch (e) {
          if (!(e instanceof TransportError) || !killed) throw e;
          break;
        }
      }
      clearTimeout(timer);
      if (inFlight) report.killedMidOperation += 1;
      await waitExit(cur.s.child, 5000);
      await cur.t.close();
      report.trials += 1;
      o.log?.(`trial ${trial}: killed after ${killAfter.toFixed(0)} ms, ${inFlight ? 'mid-operation' : 'between operations'}`);
      cur = await start();
    }
    await verify(cur.t, o.trials);
    await cur.t.close();
    cur.s.child.kill('SIGTERM');
    await waitExit(cur.s.child, 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
