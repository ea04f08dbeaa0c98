// serial:// over real ptys (socat), with line noise, boot chatter, split
// writes and bit flips injected by a relay between the two ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../clients/control.js';
import { ReferenceStack } from '../../reference/stack.js';
import { serveSerial } from '../../reference/server/serial.js';
import { FWSEC_BIN, spawnReady, waitExit } from '../../suites/harness/launchers.js';
import { EnvelopeLink } from '../../transports/link.js';
import { openSerialPort, parseSerialUri, portStream } from '../../transports/serial.js';
import { openTransport, TransportError } from '../../transports/index.js';
import { SERVICES } from '../../protocol/services.js';
import { run, verdicts } from '../helpers/run.js';
import { makePty, noisyRelay, rng, type Pty } from '../helpers/serial-line.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-serial-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('serial URI', () => {
  it('parses line settings and refuses what it does not know', () => {
    const s = parseSerialUri(new URL('serial:///dev/ttyUSB0?baud=921600&parity=even&stopBits=2&hupcl=0'));
    expect(s).toMatchObject({ path: '/dev/ttyUSB0', baudRate: 921600, parity: 'even', stopBits: 2, hupcl: false, lock: true, dataBits: 8 });
    expect(() => parseSerialUri(new URL('serial:///dev/ttyUSB0?speed=9600'))).toThrow(/unknown option "speed"/);
    expect(() => parseSerialUri(new URL('serial:///dev/ttyUSB0?baud=fast'))).toThrow(/baud must be a positive integer/);
    expect(() => parseSerialUri(new URL('serial://dev/ttyUSB0'))).toThrow(/three slashes/);
    expect(() => parseSerialUri(new URL('serial:///dev/ttyUSB0?parity=maybe'))).toThrow(/parity/);
  });

  it('says plainly that a device does not exist', async () => {
    const t = await openTransport(`serial://${dir}/no-such-tty`, { callTimeoutMs: 400 });
    const err = await new ControlClient(t.channel('control')).hello().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('connect');
    expect((err as Error).message).toMatch(/no-such-tty does not exist/);
    await t.close();
  });
});

describe('envelope over a noisy pty pair', () => {
  let client: Pty;
  let server: Pty;
  let stack: ReferenceStack;
  let serving: ReturnType<typeof serveSerial>;
  let relay: ReturnType<typeof noisyRelay>;

  beforeAll(async () => {
    client = await makePty(join(dir, 'client'));
    server = await makePty(join(dir, 'server'));
    relay = noisyRelay(client, server, { noiseBefore: 0.5, maxPiece: 7, seed: 7, corruptRequest: 0 });
    stack = await ReferenceStack.boot();
    serving = serveSerial(stack, server.path, { maxBody: stack.config.maxBody });
    await serving.ready;
  });
  afterAll(async () => {
    await serving.close();
    await client.close();
    await server.close();
  });

  it('every ECHO comes back intact through noise, chatter and split writes', async () => {
    const link = new EnvelopeLink(`serial://${client.path}`, async (ms) => portStream(await openSerialPort(parseSerialUri(new URL(`serial://${client.path}`)), ms)), {
      keepStreamOnTimeout: true,
    });
    const rand = rng(11);
    for (let i = 0; i < 60; i++) {
      const body = new Uint8Array(Math.floor(rand() * 700));
      for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
      const r = await link.call(SERVICES.control, 3, body, 5000);
      expect(r.status).toBe(0);
      expect(Buffer.from(r.body).equals(Buffer.from(body))).toBe(true);
    }
    expect(relay.stats.noiseBursts).toBeGreaterThan(10);
    expect(link.stats.garbageBytes).toBeGreaterThan(0); // the client skipped noise...
    expect(link.stats.timeouts).toBe(0); // ...and never lost an answer
    await link.close();
  });
});

describe('bit flips inside request frames', () => {
  it('a request damaged on the line is reported BAD_CRC by the far end and resent', async () => {
    const client = await makePty(join(dir, 'c2'));
    const server = await makePty(join(dir, 's2'));
    const relay = noisyRelay(client, server, { noiseBefore: 0, maxPiece: 64, seed: 3, corruptRequest: 0.3 });
    const stack = await ReferenceStack.boot();
    const serving = serveSerial(stack, server.path, { maxBody: stack.config.maxBody });
    await serving.ready;
    const settings = parseSerialUri(new URL(`serial://${client.path}`));
    const link = new EnvelopeLink('serial-test', async (ms) => portStream(await openSerialPort(settings, ms)), { keepStreamOnTimeout: true, maxResends: 10 });
    try {
      for (let i = 0; i < 40; i++) {
        const body = new Uint8Array(64).fill(i);
        const r = await link.call(SERVICES.control, 3, body, 5000);
        expect(Buffer.from(r.body).equals(Buffer.from(body))).toBe(true);
      }
      expect(relay.stats.corrupted).toBeGreaterThan(3);
      expect(link.stats.resends).toBe(relay.stats.corrupted);
      expect(stack.internalErrors).toBe(0);
    } finally {
      await link.close();
      await serving.close();
      await client.close();
      await server.close();
    }
  });
});

describe('timeouts and devices that go away', () => {
  it('a silent line times out the call, keeps the port, and the next call succeeds once the agent is up', async () => {
    const client = await makePty(join(dir, 'c3'));
    const server = await makePty(join(dir, 's3'));
    noisyRelay(client, server, { noiseBefore: 0, maxPiece: 512, seed: 1 });
    const t = await openTransport(`serial://${client.link}`, { callTimeoutMs: 300 });
    const control = new ControlClient(t.channel('control'));
    const err = await control.hello().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('timeout');
    const stack = await ReferenceStack.boot();
    const serving = serveSerial(stack, server.path, { maxBody: stack.config.maxBody });
    await serving.ready;
    // the request that timed out is still in the pty: the agent answers it late, the link discards that answer
    const h = await control.hello(3000);
    expect(h.agent).toMatch(/reference/);
    expect(await control.echo(new Uint8Array([1, 2, 3]), 3000)).toEqual(new Uint8Array([1, 2, 3]));
    await t.close();
    await serving.close();
    await client.close();
    await server.close();
  });

  it('the device disappears: the call under way fails, the next one waits for it to come back', async () => {
    const link = join(dir, 'c4');
    let client = await makePty(link);
    const server = await makePty(join(dir, 's4'));
    let relay = noisyRelay(client, server, { noiseBefore: 0.2, maxPiece: 32, seed: 5 });
    void relay;
    const stack = await ReferenceStack.boot();
    const serving = serveSerial(stack, server.path, { maxBody: stack.config.maxBody });
    await serving.ready;
    const t = await openTransport(`serial://${link}`, { callTimeoutMs: 4000 });
    const control = new ControlClient(t.channel('control'));
    expect((await control.hello()).protocolVersion).toBe(1);
    await client.close(); // unplugged
    setTimeout(async () => {
      client = await makePty(link); // plugged back in: a new /dev/pts/N behind the same name
      relay = noisyRelay(client, server, { noiseBefore: 0.2, maxPiece: 32, seed: 6 });
    }, 500);
    // the first call after the unplug may see the close (disconnected) or already wait in open
    let answered = false;
    for (let i = 0; i < 3 && !answered; i++) {
      try {
        await control.echo(new Uint8Array([9]));
        answered = true;
      } catch (e) {
        expect(e).toBeInstanceOf(TransportError);
        expect(['disconnected', 'connect']).toContain((e as TransportError).kind);
      }
    }
    expect(answered).toBe(true);
    await t.close();
    await serving.close();
    await client.close();
    await server.close();
  });

  it('fwsec serve reopens its tty after the device comes back', async () => {
    const client = await makePty(join(dir, 'c5'));
    const slink = join(dir, 's5');
    let server = await makePty(slink);
    noisyRelay(client, server, { noiseBefore: 0, maxPiece: 512, seed: 2 });
    const stack = await ReferenceStack.boot();
    const serving = serveSerial(stack, slink, { maxBody: stack.config.maxBody, retryMs: 50, watchMs: 100 });
    await serving.ready;
    expect(serving.opens).toBe(1);
    await server.close();
    server = await makePty(slink);
    noisyRelay(client, server, { noiseBefore: 0, maxPiece: 512, seed: 4 });
    // the server notices the device is back by itself (no request needed)...
    for (let i = 0; i < 200 && serving.opens < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(serving.opens).toBe(2);
    // ...and answers on it
    const t = await openTransport(`serial://${client.path}`, { callTimeoutMs: 5000 });
    const control = new ControlClient(t.channel('control'));
    expect((await control.hello()).protocolVersion).toBe(1);
    await t.close();
    await serving.close();
    await client.close();
    await server.close();
  });
});

describe('Done-when: fwsec run over serial against fwsec serve --serial, noise injected', () => {
  it('gives the same psa-storage verdicts as in-process', async () => {
    const client = await makePty(join(dir, 'run-client'));
    const server = await makePty(join(dir, 'run-server'));
    const relay = noisyRelay(client, server, { noiseBefore: 0.3, maxPiece: 48, seed: 2026 });
    const serve = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--serial', server.path], /serving on serial/, 30_000);
    await serve.ready;
    const out = join(dir, 'results');
    try {
      const runner = spawn(
        process.execPath,
        [FWSEC_BIN, 'run', '--target', `serial://${client.path}?baud=115200`, '--suite', 'psa-storage', '--allow-destructive', '--out', out],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      runner.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      runner.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const code = await new Promise<number | null>((res) => runner.once('exit', (c) => res(c)));
      expect(log).toMatch(/exit status 0/);
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { results: { id: string; verdict: string }[] };
      const overSerial = new Map(report.results.map((r) => [r.id, r.verdict]));
      const inproc = verdicts(await run({ suites: ['psa-storage'] }));
      expect(overSerial.size).toBeGreaterThanOrEqual(60);
      expect(overSerial).toEqual(inproc);
      expect(relay.stats.noiseBursts).toBeGreaterThan(50);
    } finally {
      serve.child.kill('SIGTERM');
      await waitExit(serve.child, 5000);
      await client.close();
      await server.close();
    }
  }, 400_000); // real processes over ptys: minutes when the machine is loaded, seconds when not
});
