// Round-trip latency (p50/p99) and throughput of each transport that runs on
// this machine, next to a raw baseline of the same carrier measured in the
// same run: inproc, tcp, serial over a socat pty pair, telnet through
// ser2net (tuned and with labgrid's default accepter line), plus the
// wall time of the psa-storage suite over each.
//   npm run bench -- transports        (BENCH_N=2000 round trips per small case)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { ControlClient } from '../clients/control.js';
import { ReferenceStack } from '../reference/stack.js';
import { serveSerial } from '../reference/server/serial.js';
import { listenTcp } from '../reference/server/tcp.js';
import { openTransport, type Transport } from '../transports/index.js';
import { openSocket } from '../transports/tcp.js';
import { ptyPair } from '../test/helpers/serial-line.js';
import { run as runSuite } from '../test/helpers/run.js';
import { echoRoundTrip as rawEcho, measure, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 2000);
const BIG = 16384;

async function envelopeCases(name: string, t: Transport, rows: Stats[], throughput: string[]): Promise<void> {
  const c = new ControlClient(t.channel('control'));
  const small = new Uint8Array(32).fill(3);
  await c.hello();
  rows.push(await measure(`${name} ECHO 32 B`, () => c.echo(small), N));
  const big = new Uint8Array(BIG).fill(0xa5);
  const s = await measure(`${name} ECHO 16 KiB`, () => c.echo(big), Math.max(50, Math.floor(N / 10)));
  rows.push(s);
  throughput.push(`${name.padEnd(34)} ${((2 * BIG * s.opsPerSec) / 1e6).toFixed(2).padStart(8)} MB/s (16 KiB each way per round trip)`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await openSocket('127.0.0.1', port)).destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing on port ${port}`);
}

async function ser2net(dir: string, device: string, accepter: string, chardelay: boolean): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const cfg = join(dir, `ser2net-${port}.yaml`);
  writeFileSync(cfg, `connection: &b\n  accepter: ${accepter},127.0.0.1,${port}\n  connector: serialdev,${device},115200n81,local\n  options:\n    chardelay: ${chardelay}\n`);
  const child = spawn('ser2net', ['-n', '-u', '-c', cfg, '-P', join(dir, `ser2net-${port}.pid`)], { stdio: 'ignore' });
  await waitPort(port);
  return { port, child };
}

async function suiteWall(label: string, target: string | undefined, lines: string[]): Promise<void> {
  const t0 = performance.now();
  const o = await runSuite({ target, suites: ['psa-storage'], allowDestructive: true });
  const s = (performance.now() - t0) / 1000;
  const pass = o.results.filter((r) => r.verdict === 'PASS').length;
  lines.push(`psa-storage over ${label.padEnd(30)} ${s.toFixed(2).padStart(6)} s wall, ${pass}/${o.results.length} PASS`);
  for (const r of o.results.filter((x) => x.verdict !== 'PASS')) lines.push(`    ${r.verdict} ${r.id}: ${r.message ?? ''}`);
}

export async function transportsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsec-bench-tr-'));
  const rows: Stats[] = [];
  const throughput: string[] = [];
  const walls: string[] = [];
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    // inproc
    const inproc = await openTransport('inproc:', { callTimeoutMs: 10_000 });
    cleanup.push(() => inproc.close());
    await envelopeCases('inproc', inproc, rows, throughput);

    // tcp: raw echo baseline, then the envelope against the reference server
    const echoServer = createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => echoServer.close(() => r())));
    const sock = await openSocket('127.0.0.1', (echoServer.address() as AddressInfo).port);
    cleanup.push(() => void sock.destroy());
    rows.push(await measure('raw TCP echo 64 B', rawEcho((b) => sock.write(b), (cb) => sock.on('data', cb), 64), N));
    const stack = await ReferenceStack.boot();
    const tcp = await listenTcp(stack, '127.0.0.1', 0, { maxBody: stack.config.maxBody });
    cleanup.push(() => tcp.close());
    const tcpT = await openTransport(tcp.uri, { callTimeoutMs: 10_000 });
    cleanup.push(() => tcpT.close());
    await envelopeCases('tcp', tcpT, rows, throughput);
    await suiteWall('inproc', undefined, walls);
    await suiteWall('tcp', tcp.uri, walls);

    // serial: raw echo over a pty pair, then the envelope to serveSerial
    const rawPair = await ptyPair(join(dir, 'ra'), join(dir, 'rb'));
    cleanup.push(() => rawPair.close());
    const ra = new SerialPort({ path: rawPair.a, baudRate: 115200 });
    const rb = new SerialPort({ path: rawPair.b, baudRate: 115200 });
    await Promise.all([new Promise((r) => ra.on('open', r)), new Promise((r) => rb.on('open', r))]);
    rb.on('data', (d: Buffer) => rb.write(d));
    cleanup.push(() => new Promise<void>((r) => ra.close(() => rb.close(() => r()))));
    rows.push(await measure('raw pty echo 64 B (serialport)', rawEcho((b) => ra.write(b), (cb) => ra.on('data', cb), 64), N));

    const pair = await ptyPair(join(dir, 'host'), join(dir, 'board'));
    cleanup.push(() => pair.close());
    const sstack = await ReferenceStack.boot();
    const serving = serveSerial(sstack, pair.b, { maxBody: sstack.config.maxBody });
    await serving.ready;
    cleanup.push(() => serving.close());
    const serialT = await openTransport(`serial://${pair.a}?baud=115200`, { callTimeoutMs: 10_000 });
    cleanup.push(() => serialT.close());
    await envelopeCases('serial (pty pair)', serialT, rows, throughput);
    await serialT.close(); // serial ports open exclusively: one user at a time
    await suiteWall('serial (pty pair)', `serial://${pair.a}`, walls);

    // telnet through ser2net in front of the same pty
    const tuned = await ser2net(dir, pair.a, 'telnet(rfc2217),tcp(nodelay)', false);
    cleanup.push(() => void tuned.child.kill('SIGTERM'));
    const telnetT = await openTransport(`telnet://127.0.0.1:${tuned.port}`, { callTimeoutMs: 10_000 });
    await envelopeCases('telnet/ser2net (nodelay, no chardelay)', telnetT, rows, throughput);
    await telnetT.close(); // ser2net serves one connection per port
    await suiteWall('telnet/ser2net tuned', `telnet://127.0.0.1:${tuned.port}`, walls);
    tuned.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));

    const plain = await ser2net(dir, pair.a, 'telnet(rfc2217),tcp', true);
    cleanup.push(() => void plain.child.kill('SIGTERM'));
    const plainT = await openTransport(`telnet://127.0.0.1:${plain.port}`, { callTimeoutMs: 10_000 });
    const pc = new ControlClient(plainT.channel('control'));
    // how ser2net splits an answer decides whether Nagle + delayed ACK stall it: 32 and 40 B bodies differ
    rows.push(await measure('telnet/ser2net (labgrid default) ECHO 32 B', () => pc.echo(new Uint8Array(32)), Math.max(20, Math.floor(N / 50))));
    rows.push(await measure('telnet/ser2net (labgrid default) ECHO 40 B', () => pc.echo(new Uint8Array(40)), Math.max(20, Math.floor(N / 50))));
    await plainT.close();
    await suiteWall('telnet/ser2net labgrid default', `telnet://127.0.0.1:${plain.port}`, walls);

    table(rows);
    console.log('');
    for (const l of throughput) console.log(l);
    console.log('');
    for (const l of walls) console.log(l);
  } finally {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
