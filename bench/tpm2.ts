// TPM 2.0: commands/s and per-command latency of the reference TPM in
// process and behind swtpm's socket protocol (fwsec serve --swtpm), of the
// real swtpm through the swtpm:// transport, next to a raw-socket GetRandom
// loop on the same swtpm in the same run (the floor of that TPM on this
// host); CreatePrimary RSA-2048 and ECC P-256 with a fresh template each
// time (real derivation) and with a repeated template (the reference's
// per-(seed, template) cache); wall time of whole tpm2 suite runs.
import { connect, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { Tpm2Client } from '../clients/tpm2.js';
import { ReferenceStack } from '../reference/stack.js';
import { listenSwtpm } from '../reference/server/swtpm.js';
import { openTransport } from '../transports/index.js';
import type { Transport } from '../transports/types.js';
import { ALG, RH, SU } from '../protocol/tpm2/constants.js';
import { eccStorage, rsaStorage } from '../protocol/tpm2/templates.js';
import { FWSEC_BIN, launcherFor } from '../suites/harness/launchers.js';
import { loadProfile } from '../suites/harness/profile.js';
import { measure, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 2000);
const ENV = { callTimeoutMs: 60_000 };

const be = (v: number) => Uint8Array.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

async function commands(prefix: string, c: Tpm2Client): Promise<Stats[]> {
  const start = await c.startup(SU.CLEAR);
  if (start.rc !== 0 && start.rc !== 0x100) throw new Error(`${prefix}: TPM2_Startup answered 0x${start.rc.toString(16)}`);
  const rows: Stats[] = [];
  rows.push(await measure(`${prefix} GetRandom(16)`, () => c.getRandom(16), N));
  rows.push(await measure(`${prefix} PCR_Read(sha256:16)`, () => c.pcrRead([{ hash: ALG.SHA256, select: new Uint8Array([0, 0, 1]) }]), N));
  const d = new Uint8Array(32).fill(1);
  rows.push(await measure(`${prefix} PCR_Extend(16), password`, () => c.pcrExtend(16, [{ hashAlg: ALG.SHA256, digest: d }]), N));
  const data = new Uint8Array(64).fill(2);
  rows.push(await measure(`${prefix} Hash(64 B, SHA-256)`, () => c.hash(data, ALG.SHA256, RH.NULL), N));
  rows.push(await measure(`${prefix} GetCapability(props)`, () => c.getCapability(6, 0x100, 64), N));
  return rows;
}

/** CreatePrimary + FlushContext; `fresh` changes the template's unique field each time (no cache can help). */
async function primaries(prefix: string, c: Tpm2Client, rsaRuns: number): Promise<Stats[]> {
  let n = 1;
  const make = async (rsa: boolean, fresh: boolean) => {
    const t = rsa ? { ...rsaStorage(), unique: fresh ? be(n++) : new Uint8Array(0) } : { ...eccStorage(), point: { x: fresh ? be(n++) : new Uint8Array(0), y: new Uint8Array(0) } };
    const r = await c.createPrimary(RH.OWNER, t, { timeoutMs: 120_000 });
    if (r.rc !== 0) throw new Error(`${prefix}: CreatePrimary answered 0x${r.rc.toString(16)}`);
    await c.flushContext(r.handle!);
  };
  return [
    await measure(`${prefix} CreatePrimary ECC P-256 (new template)`, () => make(false, true), 100, 5),
    await measure(`${prefix} CreatePrimary ECC P-256 (same template)`, () => make(false, false), 100, 5),
    await measure(`${prefix} CreatePrimary RSA-2048 (new template)`, () => make(true, true), rsaRuns, 0),
    await measure(`${prefix} CreatePrimary RSA-2048 (same template)`, () => make(true, false), rsaRuns, 1),
  ];
}

/** GetRandom(16) written straight to swtpm's data socket: no client, no framing beyond swtpm's own. */
async function rawGetRandom(port: number): Promise<Stats> {
  const sock: Socket = await new Promise((res, rej) => {
    const s = connect(port, '127.0.0.1', () => res(s));
    s.once('error', rej);
  });
  sock.setNoDelay(true);
  const cmd = Buffer.from('80010000000c0000017b0010', 'hex');
  let pending: (() => void) | undefined;
  let got = 0;
  sock.on('data', (b) => {
    got += b.length;
    if (got >= 28 && pending) {
      got -= 28;
      const p = pending;
      pending = undefined;
      p();
    }
  });
  const s = await measure('swtpm raw socket GetRandom(16)', () => new Promise<void>((res) => {
    pending = res;
    sock.write(cmd);
  }), N);
  sock.destroy();
  return s;
}

export async function tpm2Bench(): Promise<void> {
  const rows: Stats[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const client = (t: Transport) => new Tpm2Client(t.channel('tpm2'));

  const inproc = await openTransport('inproc:', ENV);
  closers.push(() => inproc.close());
  rows.push(...(await commands('reference inproc', client(inproc))));
  rows.push(...(await primaries('reference inproc', client(inproc), 3)));

  const stack = await ReferenceStack.boot({ services: ['tpm2'] });
  const served = await listenSwtpm(stack, '127.0.0.1', 0);
  closers.push(() => served.close());
  const viaSwtpm = await openTransport(`swtpm://127.0.0.1:${served.port}`, ENV);
  closers.push(() => viaSwtpm.close());
  rows.push(...(await commands('reference swtpm-protocol', client(viaSwtpm))));

  const launched = await launcherFor('swtpm')(loadProfile('swtpm'), () => {});
  closers.push(() => launched.stop());
  const real = await openTransport(`swtpm://127.0.0.1:${launched.vars.port}`, ENV);
  closers.push(() => real.close());
  rows.push(...(await commands('swtpm 0.7.1', client(real))));
  await real.close();
  rows.push(await rawGetRandom(Number(launched.vars.port)));
  const real2 = await openTransport(`swtpm://127.0.0.1:${launched.vars.port}`, ENV);
  closers.push(() => real2.close());
  rows.push(...(await primaries('swtpm 0.7.1', client(real2), 5)));
  table(rows);
  for (const c of closers.reverse()) await c().catch(() => undefined);

  for (const profile of ['reference', 'reference-tcp', 'swtpm']) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [FWSEC_BIN, 'run', '--profile', profile, '--suite', 'tpm2', '--out', `/tmp/fwsec-bench-tpm2-${profile}`], { encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    const last = r.stdout.split('\n').find((l) => /checks in/.test(l)) ?? r.stderr.slice(-200);
    console.log(`fwsec run --profile ${profile} --suite tpm2: ${s.toFixed(2)} s wall, exit ${r.status} (${last.trim()})`);
  }
}
