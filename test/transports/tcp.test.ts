// The envelope over TCP: the server keeps serving after malformed frames;
// the client times out, reconnects and reports dead or garbage targets as
// TransportErrors (verdict ERROR), never as findings.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, utf8 } from '../../protocol/bytes.js';
import {
  EnvelopeError,
  FrameKind,
  FrameParser,
  decodeErrorBody,
  encodeFrame,
  type Frame,
} from '../../protocol/envelope.js';
import { ControlOpcode } from '../../protocol/control.js';
import { ReferenceStack } from '../../reference/stack.js';
import { listenTcp, parseListen, type Listening } from '../../reference/server/tcp.js';
import { openSocket } from '../../transports/tcp.js';
import { openTransport, TransportError, type Transport } from '../../transports/index.js';
import { ControlClient } from '../../clients/control.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serveReference(maxBody = 4096): Promise<Listening> {
  const stack = await ReferenceStack.boot();
  const l = await listenTcp(stack, '127.0.0.1', 0, { maxBody });
  cleanups.push(() => l.close());
  return l;
}

/** A raw connection that collects the frames the server sends back. */
async function raw(port: number) {
  const sock = await openSocket('127.0.0.1', port);
  cleanups.push(() => sock.destroy());
  const got: Frame[] = [];
  const waiters: (() => void)[] = [];
  const p = new FrameParser();
  sock.on('data', (d: Buffer) =>
    p.push(new Uint8Array(d), (e) => {
      if (e.type === 'frame') {
        got.push(e.frame);
        waiters.shift()?.();
      }
    }),
  );
  return {
    send: (b: Uint8Array) => sock.write(b),
    next: async (): Promise<Frame> => {
      if (!got.length) await new Promise<void>((r) => waiters.push(r));
      return got.shift()!;
    },
  };
}

const echo = (seq: number, body = utf8('hi')): Uint8Array =>
  encodeFrame({ kind: FrameKind.REQUEST, service: 0, seq, opcode: ControlOpcode.ECHO, status: 0, body });

describe('envelope server', () => {
  it('answers an oversize frame with FRAME_TOO_LARGE and keeps serving the connection', async () => {
    const l = await serveReference(1024);
    const c = await raw(l.port);
    c.send(concat(echo(1, new Uint8Array(5000)), echo(2)));
    const e = await c.next();
    expect(e.kind).toBe(FrameKind.ERROR);
    expect(e.seq).toBe(1);
    expect(decodeErrorBody(e.body).code).toBe(EnvelopeError.FRAME_TOO_LARGE);
    const ok = await c.next();
    expect(ok).toMatchObject({ kind: FrameKind.RESPONSE, seq: 2, status: 0 });
    expect(new TextDecoder().decode(ok.body)).toBe('hi');
  });

  it('reports bytes outside any frame, a bad CRC and an unknown service, then answers the next request', async () => {
    const l = await serveReference();
    const c = await raw(l.port);
    const damaged = echo(5);
    damaged[damaged.length - 1] ^= 0xff;
    c.send(concat(utf8('garbage!'), damaged, encodeFrame({ kind: FrameKind.REQUEST, service: 77, seq: 6, opcode: 0, status: 0, body: new Uint8Array(0) }), echo(7)));
    const codes: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const f = await c.next();
      codes.push([f.seq, decodeErrorBody(f.body).code]);
    }
    expect(codes).toEqual([
      [0, EnvelopeError.BAD_MAGIC],
      [5, EnvelopeError.BAD_CRC],
      [6, EnvelopeError.UNKNOWN_SERVICE],
    ]);
    expect(await c.next()).toMatchObject({ kind: FrameKind.RESPONSE, seq: 7 });
  });

  it('binds loopback unless told otherwise', () => {
    expect(parseListen('tcp://:4433')).toEqual({ host: '127.0.0.1', port: 4433 });
    expect(parseListen('tcp://0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
    expect(parseListen('tcp://[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parseListen('tcp://host')).toThrow(/--listen expects/);
  });
});

/** A TCP server whose behaviour per connection the test decides. */
async function fakeTarget(onConnection: (sock: Socket, n: number) => void): Promise<{ port: number; server: Server }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    onConnection(s, ++n);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { port: (server.address() as AddressInfo).port, server };
}

async function transport(uri: string, callTimeoutMs = 300): Promise<Transport> {
  const t = await openTransport(uri, { callTimeoutMs });
  cleanups.push(() => t.close());
  return t;
}

describe('tcp client transport', () => {
  it('times out on a silent target, then reconnects for the next call', async () => {
    const stack = await ReferenceStack.boot();
    const { port } = await fakeTarget((sock, n) => {
      if (n === 1) return; // first connection: swallow everything
      const p = new FrameParser();
      sock.on('data', (d: Buffer) =>
        p.push(new Uint8Array(d), async (e) => {
          if (e.type !== 'frame') return;
          const r = await stack.handle(e.frame.service, e.frame.opcode, e.frame.body);
          sock.write(encodeFrame({ ...e.frame, kind: FrameKind.RESPONSE, status: r!.status, body: r!.body }));
        }),
      );
    });
    const c = new ControlClient((await transport(`tcp://127.0.0.1:${port}`)).channel('control'));
    const err = await c.echo(utf8('a')).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe('timeout');
    expect(new TextDecoder().decode(await c.echo(utf8('b')))).toBe('b');
  });

  it('reports a dropped connection as disconnected, and a garbage answer as a timeout without a finding', async () => {
    const { port } = await fakeTarget((sock, n) => {
      sock.on('data', () => (n === 1 ? sock.destroy() : sock.write(utf8('\r\nlogin: '))));
    });
    const c = new ControlClient((await transport(`tcp://127.0.0.1:${port}`)).channel('control'));
    const first = await c.echo(utf8('x')).catch((e) => e);
    expect(first.kind).toBe('disconnected');
    const second = await c.echo(utf8('y')).catch((e) => e);
    expect(second.kind).toBe('timeout');
  });

  it('reports a refused connection as connect', async () => {
    const { port, server } = await fakeTarget(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const err = await new ControlClient((await transport(`tcp://127.0.0.1:${port}`)).channel('control')).hello().catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe('connect');
  });

  it('rejects an answer for another service as a protocol error', async () => {
    const { port } = await fakeTarget((sock) => {
      const p = new FrameParser();
      sock.on('data', (d: Buffer) =>
        p.push(new Uint8Array(d), (e) => {
          if (e.type === 'frame') sock.write(encodeFrame({ ...e.frame, kind: FrameKind.RESPONSE, service: 9 }));
        }),
      );
    });
    const err = await new ControlClient((await transport(`tcp://127.0.0.1:${port}`)).channel('control')).echo(utf8('z')).catch((e) => e);
    expect(err.kind).toBe('protocol');
  });

  it('rejects an unknown scheme or a malformed URI with a message that lists the known ones', async () => {
    await expect(openTransport('ftp://x:1', { callTimeoutMs: 1 })).rejects.toThrow(/unknown transport scheme "ftp:".*inproc:/);
    await expect(openTransport('tcp://nohost', { callTimeoutMs: 1 })).rejects.toThrow(/expected tcp:\/\/HOST:PORT/);
  });
});
