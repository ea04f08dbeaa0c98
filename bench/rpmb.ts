// RPMB: frames/s of the emulated eMMC, ITS-on-RPMB and PS-on-REE-FS ops/s
// (against the plain medium backends for comparison), in-process and over
// TCP, whole-run times of the rpmb suite, and the power-cut trials
// (BENCH_CRASH_TRIALS, default 500).
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpmbClient } from '../clients/rpmb.js';
import { StorageClient } from '../clients/psa-storage.js';
import { OPTEE_TEST_KEY, RPMB_EMU_CID } from '../protocol/rpmb/optee.js';
import { counterReadRequest, dataReadRequest, dataWriteRequest, keyProgramRequest, resultReadRequest } from '../protocol/rpmb/frame.js';
import { EmmcRpmb } from '../reference/rpmb/device.js';
import { MediumRpmbStore } from '../reference/rpmb/medium-store.js';
import { FileMedium, MemoryMedium, type Medium } from '../reference/medium.js';
import { ReferenceStack } from '../reference/stack.js';
import { listenTcp } from '../reference/server/tcp.js';
import { openTransport } from '../transports/index.js';
import { FWSEC_BIN } from '../suites/harness/launchers.js';
import { runCrashTrials } from '../test/helpers/crash-trials.js';
import { measure, percentile, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 2000);
const FILE_N = Number(process.env.BENCH_FILE_N ?? 300);
const CRASH_TRIALS = Number(process.env.BENCH_CRASH_TRIALS ?? 500);

async function frames(label: string, medium: Medium, n: number): Promise<Stats[]> {
  const dev = await new EmmcRpmb({ sizeMult: 128, relWrSecC: 8, cid: RPMB_EMU_CID, deviceConfig: true }, new MediumRpmbStore(medium, 'bench')).powerOn();
  await dev.transact([keyProgramRequest(OPTEE_TEST_KEY)], 0, true);
  const nonce = new Uint8Array(16).fill(1);
  const block = new Uint8Array(256).fill(7);
  let addr = 0;
  const rows: Stats[] = [];
  rows.push(await measure(`${label} counter read (1 frame each way)`, () => dev.transact([counterReadRequest(nonce)], 1, false), n));
  rows.push(
    await measure(`${label} 1-block write + result read`, async () => {
      await dev.transact(dataWriteRequest(OPTEE_TEST_KEY, addr++ % 4096, dev.counter, [block]), 0, true);
      await dev.transact([resultReadRequest()], 1, false);
    }, n),
  );
  rows.push(
    await measure(`${label} 16-block write + result read`, async () => {
      await dev.transact(dataWriteRequest(OPTEE_TEST_KEY, (addr += 16) % 4000, dev.counter, Array(16).fill(block)), 0, true);
      await dev.transact([resultReadRequest()], 1, false);
    }, Math.max(50, Math.floor(n / 4))),
  );
  rows.push(await measure(`${label} 16-block read`, () => dev.transact([dataReadRequest(64, nonce)], 16, false), n));
  return rows;
}

async function storage(label: string, its: StorageClient, ps: StorageClient, n: number): Promise<Stats[]> {
  const small = new Uint8Array(64).fill(3);
  const big = new Uint8Array(4096).fill(4);
  let u = 1n;
  await its.set(7n, small);
  await ps.set(7n, small);
  return [
    await measure(`${label} ITS set 64 B`, () => its.set((u++ % 200n) + 10n, small), n),
    await measure(`${label} ITS set 4 KiB`, () => its.set((u++ % 8n) + 300n, big), Math.max(20, Math.floor(n / 4))),
    await measure(`${label} ITS get 64 B`, () => its.get(7n, 0, 64), n),
    await measure(`${label} PS set 64 B`, () => ps.set((u++ % 200n) + 10n, small), n),
    await measure(`${label} PS get 64 B`, () => ps.get(7n, 0, 64), n),
  ];
}

async function stackClients(config: unknown, medium?: Medium) {
  const stack = await ReferenceStack.boot({ config, medium, services: ['its', 'ps', 'rpmb'] });
  const call = (svc: number) => ({
    uri: 'bench:',
    service: 'its' as const,
    call: async (op: number, body: Uint8Array) => (await stack.handle(svc, op, body))!,
  });
  return { stack, its: new StorageClient(call(1), 'its'), ps: new StorageClient(call(2), 'ps') };
}

export async function rpmbBench(): Promise<void> {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'fwsec-bench-rpmb-'));
    dirs.push(d);
    return d;
  };
  try {
    console.log('# emulated eMMC RPMB (frames through the device engine)');
    table([...(await frames('memory', new MemoryMedium(), N)), ...(await frames('files', new FileMedium(tmp()), FILE_N))]);

    console.log('\n# ITS on RPMB and PS on the REE FS, in-process (stack.handle)');
    const rows: Stats[] = [];
    for (const [name, cfg] of [
      ['rpmb+ree', {}],
      ['plain medium', { its: { backend: 'medium' }, ps: { backend: 'medium' } }],
    ] as const) {
      const mem = await stackClients(cfg);
      rows.push(...(await storage(`memory ${name}`, mem.its, mem.ps, N)));
      const file = await stackClients(cfg, new FileMedium(tmp()));
      rows.push(...(await storage(`files ${name}`, file.its, file.ps, FILE_N)));
    }
    table(rows);

    console.log('\n# over TCP (envelope, loopback; state in memory)');
    const stack = await ReferenceStack.boot();
    const l = await listenTcp(stack, '127.0.0.1', 0, { maxBody: stack.config.maxBody });
    const t = await openTransport(l.uri, { callTimeoutMs: 10_000 });
    const r = new RpmbClient(t.channel('rpmb'));
    const nonce = new Uint8Array(16).fill(9);
    const tcpRows = [await measure('tcp rpmb counter read (SEQUENCE)', () => r.sequence(0x100, [counterReadRequest(nonce)], 1, false), N)];
    tcpRows.push(await measure('tcp rpmb 16-block read (SEQUENCE)', () => r.sequence(0, [dataReadRequest(1, nonce)], 16, false), N));
    tcpRows.push(...(await storage('tcp', new StorageClient(t.channel('its'), 'its'), new StorageClient(t.channel('ps'), 'ps'), N)));
    table(tcpRows);
    await t.close();
    await l.close();

    console.log('\n# whole runs');
    for (const profile of ['reference', 'reference-tcp']) {
      const t0 = performance.now();
      const run = spawnSync(process.execPath, [FWSEC_BIN, 'run', '--profile', profile, '--suite', 'rpmb', '--out', join(tmp(), 'out')], { encoding: 'utf8' });
      const last = run.stdout.split('\n').find((x) => /checks in/.test(x)) ?? run.stderr.slice(-200);
      console.log(`fwsec run --profile ${profile} --suite rpmb: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, exit ${run.status} (${last.trim()})`);
    }

    console.log(`\n# power cut: SIGKILL of fwsec serve --state during ITS/PS writes, ${CRASH_TRIALS} trials`);
    const t0 = performance.now();
    const c = await runCrashTrials({ trials: CRASH_TRIALS, seed: Number(process.env.BENCH_SEED ?? 1) });
    const s = (performance.now() - t0) / 1000;
    const restarts = [...c.restartMs].sort((a, b) => a - b);
    console.log(
      `${c.trials} trials in ${s.toFixed(1)} s (${(c.trials / s).toFixed(2)} trials/s); ${c.operations} operations; killed mid-operation ${c.killedMidOperation}; in-flight writes found landed ${c.inFlightLanded}; RPMB counter ${c.counterFirst} -> ${c.counterLast}`,
    );
    console.log(`restart to listening: p50 ${percentile(restarts, 50).toFixed(0)} ms, p99 ${percentile(restarts, 99).toFixed(0)} ms, max ${restarts[restarts.length - 1]?.toFixed(0)} ms`);
    console.log(`violations: ${c.violations.length}${c.violations.length ? `\n  ${c.violations.slice(0, 20).join('\n  ')}` : ''}; internal errors: ${c.internalErrors}`);
    if (c.violations.length || c.internalErrors) process.exitCode = 1;
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
