// UEFI variable operations/s in-process and over TCP (fwsec envelope on
// loopback), the time to create and to enumerate 1,000 variables, signed
// (PKCS#7) writes/s, and the wall time of a whole smm-variable suite run.
import { spawnSync } from 'node:child_process';
import { SmmVariableClient } from '../clients/smm-variable.js';
import { EFI, NV_BS_RT, NV_BS_RT_AT, BS_RT, efiStatusName } from '../protocol/smm-variable/index.js';
import { listenTcp } from '../reference/server/tcp.js';
import { ReferenceStack } from '../reference/stack.js';
import { FWSEC_BIN } from '../suites/harness/launchers.js';
import { authData, signingKey } from '../suites/smm-variable/signing.js';
import { openTransport } from '../transports/index.js';
import { measure, percentile, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 3000);
const VARS = 1000;
const GUID = 'b3c0b3c0-0000-4000-8000-46575345be4c';
const CONFIG = { smmVariable: { nvStorageSize: 1 << 20, volatileStorageSize: 1 << 19, maxVariables: 4096 } };

function must(r: { spm: number; status: bigint }, what: string): void {
  if (r.spm !== 0 || r.status !== EFI.SUCCESS) throw new Error(`${what}: MM ${r.spm}, ${efiStatusName(r.status)}`);
}

async function ops(prefix: string, c: SmmVariableClient): Promise<Stats[]> {
  const data = new Uint8Array(64).fill(0x5a);
  const rows: Stats[] = [];
  let i = 0;
  rows.push(await measure(`${prefix} SetVariable NV|BS|RT 64 B`, async () => must(await c.setVariable(`BenchNv${i++ % 256}`, GUID, NV_BS_RT, data), 'set'), N));
  rows.push(await measure(`${prefix} SetVariable BS|RT 64 B`, async () => must(await c.setVariable(`BenchVol${i++ % 256}`, GUID, BS_RT, data), 'set'), N));
  rows.push(await measure(`${prefix} GetVariable 64 B`, async () => must(await c.getVariable('BenchNv7', GUID, 64), 'get'), N));
  rows.push(await measure(`${prefix} QueryVariableInfo`, async () => must(await c.queryVariableInfo(NV_BS_RT), 'query'), N));
  rows.push(
    await measure(`${prefix} Set+delete NV 64 B`, async () => {
      const n = `BenchTmp${i++ % 64}`;
      must(await c.setVariable(n, GUID, NV_BS_RT, data), 'set');
      must(await c.deleteVariable(n, GUID), 'delete');
    }, Math.floor(N / 2)),
  );
  // signed writes: the payloads are made before timing, so only the service's verification is measured
  const key = await signingKey('bench');
  const writes: Uint8Array[] = [];
  for (let k = 0; k < 200; k++) writes.push((await authData({ key, name: 'BenchAuth', guid: GUID, attributes: NV_BS_RT_AT, payload: data })).data);
  let w = 0;
  rows.push(await measure(`${prefix} SetVariable signed (PKCS#7 verify)`, async () => must(await c.setVariable('BenchAuth', GUID, NV_BS_RT_AT, writes[w++]!), 'signed set'), writes.length, 0));
  return rows;
}

/** Creates VARS variables, then times full GetNextVariableName enumerations. */
async function enumeration(prefix: string, c: SmmVariableClient): Promise<void> {
  const data = new Uint8Array(32).fill(1);
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let k = 0; k < VARS; k++) must(await c.setVariable(`Enum${String(k).padStart(4, '0')}`, GUID, NV_BS_RT, data), 'create');
  const create = performance.now() - t0;
  const heapGrowth = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
  const runs: number[] = [];
  let count = 0;
  for (let rep = 0; rep < 3; rep++) {
    const s = performance.now();
    let name = '';
    let guid = GUID;
    count = 0;
    for (;;) {
      const r = await c.getNextVariableName(name, guid, { bufferSize: 256 });
      if (r.status === EFI.NOT_FOUND) break;
      must(r, 'enumerate');
      name = r.name!;
      guid = r.guid;
      count++;
    }
    runs.push(performance.now() - s);
  }
  runs.sort((a, b) => a - b);
  console.log(
    `${prefix}: created ${VARS} NV variables in ${create.toFixed(0)} ms (${((VARS / create) * 1000).toFixed(0)}/s); full enumeration of ${count} variables: median ${percentile(runs, 50).toFixed(1)} ms (${((percentile(runs, 50) * 1000) / count).toFixed(1)} µs per GetNextVariableName), best ${runs[0]!.toFixed(1)} ms; heap growth while creating: ${heapGrowth.toFixed(1)} MiB (this process${prefix === 'tcp' ? ': client side only' : ': client and reference'})`,
  );
}

export async function smmVariableBench(): Promise<void> {
  const inproc = await openTransport('inproc:', { callTimeoutMs: 10_000, referenceConfig: CONFIG });
  const ci = new SmmVariableClient(inproc.channel('smm-variable'));
  const rows = await ops('inproc', ci);

  const stack = await ReferenceStack.boot({ config: CONFIG });
  const listening = await listenTcp(stack, '127.0.0.1', 0, { maxBody: stack.config.maxBody });
  const tcp = await openTransport(listening.uri, { callTimeoutMs: 10_000 });
  const ct = new SmmVariableClient(tcp.channel('smm-variable'));
  rows.push(...(await ops('tcp', ct)));
  table(rows);
  await enumeration('inproc', ci);
  await enumeration('tcp', ct);
  await tcp.close();
  await inproc.close();
  await listening.close();

  for (const profile of ['reference', 'reference-tcp']) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [FWSEC_BIN, 'run', '--profile', profile, '--suite', 'smm-variable', '--out', `/tmp/fwsec-bench-smmvar-${profile}`], { encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    const last = r.stdout.split('\n').find((l) => /checks in/.test(l)) ?? r.stderr.slice(-200);
    console.log(`fwsec run --profile ${profile} --suite smm-variable: ${s.toFixed(2)} s wall, exit ${r.status} (${last.trim()})`);
  }
}
