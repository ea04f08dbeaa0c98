// Storage ops/s in-process and over TCP; envelope round-trip latency next to
// a raw TCP echo measured in the same run; wall time of a psa-storage run.
import { createServer, type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { StorageClient } from '../clients/psa-storage.js';
import { ControlClient } from '../clients/control.js';
import { ReferenceStack } from '../reference/stack.js';
import { listenTcp } from '../reference/server/tcp.js';
import { openTransport } from '../transports/index.js';
import { openSocket } from '../transports/tcp.js';
import { FWSEC_BIN } from '../suites/harness/launchers.js';
import { echoRoundTrip, measure, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 5000);

async function storageOps(prefix: string, its: StorageClient): Promise<Stats[]> {
  const data = new Uint8Array(64).fill(7);
  let uid = 1n;
  const rows: Stats[] = [];
  rows.push(await measure(`${prefix} its set 64 B`, () => its.set(uid++ % 512n + 1n, data), N));
  rows.push(await measure(`${prefix} its get 64 B`, () => its.get(5n, 0, 64), N));
  rows.push(await measure(`${prefix} its get_info`, () => its.getInfo(5n), N));
  let r = 1n;
  rows.push(
    await measure(`${prefix} its set+remove`, async () => {
      const u = 10_000n + (r++ % 512n);
      await its.set(u, data);
      await its.remove(u);
    }, Math.floor(N / 2)),
  );
  return rows;
}

/** A raw TCP echo of one envelope-sized message: the floor under any protocol on this host. */
async function rawEcho(bytes: number): Promise<Stats> {
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  const sock = await openSocket('127.0.0.1', port);
  const stats = await measure(`raw TCP echo ${bytes} B`, echoRoundTrip((b) => sock.write(b), (cb) => sock.on('data', cb), bytes), N);
  sock.destroy();
  server.close();
  return stats;
}

export async function storageBench(): Promise<void> {
  const inproc = await openTransport('inproc:', { callTimeoutMs: 10_000 });
  const rows = await storageOps('inproc', new StorageClient(inproc.channel('its')));

  const tcpStack = await ReferenceStack.boot();
  const listening = await listenTcp(tcpStack, '127.0.0.1', 0, { maxBody: tcpStack.config.maxBody });
  const tcp = await openTransport(listening.uri, { callTimeoutMs: 10_000 });
  rows.push(...(await storageOps('tcp', new StorageClient(tcp.channel('its')))));
  const control = new ControlClient(tcp.channel('control'));
  const echo = new Uint8Array(32).fill(3);
  // 32-byte body + 32 bytes of envelope = 64 bytes each way, like the raw echo below
  rows.push(await measure('tcp envelope ECHO 32 B body', () => control.echo(echo), N));
  rows.push(await rawEcho(64));
  table(rows);
  await tcp.close();
  await inproc.close();
  await listening.close();

  for (const profile of ['reference', 'reference-tcp']) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [FWSEC_BIN, 'run', '--profile', profile, '--suite', 'psa-storage', '--out', `/tmp/fwsec-bench-${profile}`], { encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    const last = r.stdout.split('\n').find((l) => /checks in/.test(l)) ?? r.stderr.slice(-200);
    console.log(`fwsec run --profile ${profile} --suite psa-storage: ${s.toFixed(2)} s wall, exit ${r.status} (${last.trim()})`);
  }
}
