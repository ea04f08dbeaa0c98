// The agent contract of docs/agent.md as executable checks on a raw byte
// stream: each check crafts frames (good, damaged, oversize, split, behind
// noise) and judges what comes back. Used by agent-conformance.test.ts
// (a vendor's agent, or fwsec serve) and agent-faults.test.ts (agents with
// one bug each, to show every check can fail).
import { crc32 } from 'node:zlib';
import { Writer, hex } from '../../protocol/bytes.js';
import { ControlOpcode, ControlStatus, decodeHello, type Hello } from '../../protocol/control.js';
import { EnvelopeError, FrameKind, FrameParser, HEADER_LEN, decodeErrorBody, encodeFrame, envelopeErrorName, type Frame } from '../../protocol/envelope.js';
import { serviceName } from '../../protocol/services.js';
import type { ByteStream } from '../../transports/link.js';
import { openSerialPort, parseSerialUri, portStream } from '../../transports/serial.js';
import { openSocket, parseHostPort, socketStream } from '../../transports/tcp.js';
import { parseTelnetPeer, telnetStream } from '../../transports/telnet.js';

export class ContractFailure extends Error {}
function must(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new ContractFailure(msg);
}

/** A raw connection to an agent: write bytes, wait for frames. */
export class AgentConn {
  private frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  private parser = new FrameParser(1 << 24);
  seq = 100;

  constructor(private readonly stream: ByteStream) {
    stream.onData((chunk) =>
      this.parser.push(chunk, (e) => {
        if (e.type === 'frame') {
          this.frames.push(e.frame);
          for (const w of this.waiters.splice(0)) w();
        }
      }),
    );
  }

  write(b: Uint8Array): void {
    this.stream.write(b);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** The next frame with sequence `seq` (others, e.g. BAD_MAGIC reports with sequence 0, are set aside). */
  async frame(seq: number, timeoutMs: number, what: string): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.seq === seq);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      must(left > 0, `${what}: no frame with sequence ${seq} within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  close(): void {
    this.stream.destroy();
  }
}

export async function connectAgent(uri: string, timeoutMs: number): Promise<AgentConn> {
  const u = new URL(uri);
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme === 'tcp') {
    const { host, port } = parseHostPort(u);
    return new AgentConn(socketStream(await openSocket(host, port)));
  }
  if (scheme === 'telnet') {
    const { host, port } = parseHostPort(u);
    return new AgentConn(telnetStream(socketStream(await openSocket(host, port)), parseTelnetPeer(u)));
  }
  if (scheme === 'serial') return new AgentConn(portStream(await openSerialPort(parseSerialUri(u), timeoutMs)));
  throw new Error(`the agent test speaks tcp://, telnet:// and serial://, not ${scheme}:`);
}

export interface Ctx {
  timeoutMs: number;
  hello: Hello;
}

export interface ContractCheck {
  id: string;
  requirement: string;
  /** Resets the target: runs only when allowed. */
  destructive?: boolean;
  run(c: AgentConn, ctx: Ctx): Promise<void>;
}

function request(seq: number, service: number, opcode: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeFrame({ kind: FrameKind.REQUEST, service, seq, opcode, status: 0, body });
}

async function call(c: AgentConn, ctx: Ctx, service: number, opcode: number, body: Uint8Array, what: string): Promise<Frame> {
  const seq = c.nextSeq();
  c.write(request(seq, service, opcode, body));
  return c.frame(seq, ctx.timeoutMs, what);
}

async function echoOk(c: AgentConn, ctx: Ctx, what: string): Promise<void> {
  const body = Uint8Array.from([0xff, 0x00, 0x46, 0x57, 0x53, 0x45, 0x0d, 0x0a]);
  const f = await call(c, ctx, 0, ControlOpcode.ECHO, body, what);
  must(f.kind === FrameKind.RESPONSE && f.status === ControlStatus.OK && hex(f.body) === hex(body), `${what}: ECHO answered kind ${f.kind} status ${f.status} body ${hex(f.body, 16)}`);
}

function expectError(f: Frame, code: number, seq: number, what: string): void {
  must(f.kind === FrameKind.ERROR, `${what}: expected an error frame ${envelopeErrorName(code)}, got kind ${f.kind} status ${f.status}`);
  const e = decodeErrorBody(f.body);
  must(e.code === code && f.status === code, `${what}: expected ${envelopeErrorName(code)}, got ${envelopeErrorName(e.code)} (status ${f.status}): ${e.message}`);
  must(f.seq === seq, `${what}: error frame carries sequence ${f.seq}, not the request's ${seq}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Time to move `bytes` over the slowest link the test expects (11,520 bytes/s: a 115200-baud UART). */
const transferMs = (bytes: number) => Math.ceil((bytes / 11_520) * 1000);

/** A request whose header CRC is recomputed after `edit` changed header bytes. */
function withHeader(frame: Uint8Array, edit: (h: DataView) => void): Uint8Array {
  const b = frame.slice();
  const v = new DataView(b.buffer);
  edit(v);
  v.setUint32(24, crc32(b.subarray(0, 24)));
  return b;
}

export const CONTRACT: ContractCheck[] = [
  {
    id: 'hello',
    requirement: 'HELLO answers status 0 with protocol version 1, maxBody > 0, the service list including control (0) without duplicates, and a UTF-8 agent name',
    run: async (c, ctx) => {
      const f = await call(c, ctx, 0, ControlOpcode.HELLO, new Uint8Array(0), 'HELLO');
      must(f.kind === FrameKind.RESPONSE && f.status === 0, `HELLO answered kind ${f.kind} status ${f.status}`);
      let h: Hello;
      try {
        h = decodeHello(f.body);
      } catch (e) {
        throw new ContractFailure(`HELLO body does not decode: ${(e as Error).message}: ${hex(f.body, 40)}`);
      }
      must(h.protocolVersion === 1, `HELLO protocol version ${h.protocolVersion}, expected 1`);
      must(h.services.includes(0), `HELLO lists services ${h.services.join(', ')} without control (0)`);
      must(new Set(h.services).size === h.services.length, `HELLO lists a service twice: ${h.services.join(', ')}`);
      must(h.agent.length > 0 && !h.agent.includes('\ufffd'), `HELLO agent name ${JSON.stringify(h.agent)} is empty or not UTF-8`);
    },
  },
  {
    id: 'response-fields',
    requirement: 'a response has kind 2 and repeats the request’s service id, sequence number and opcode',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      c.write(request(seq, 0, ControlOpcode.ECHO, Uint8Array.from([1, 2, 3])));
      const f = await c.frame(seq, ctx.timeoutMs, 'ECHO');
      must(f.kind === FrameKind.RESPONSE, `kind ${f.kind}, expected 2`);
      must(f.service === 0, `service ${f.service}, expected 0`);
      must(f.opcode === ControlOpcode.ECHO, `opcode ${f.opcode}, expected ${ControlOpcode.ECHO} (the request's)`);
    },
  },
  {
    id: 'echo-every-byte',
    requirement: 'ECHO returns its body byte for byte: every byte value, empty and 4 KiB bodies',
    run: async (c, ctx) => {
      const all = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
      const big = Uint8Array.from({ length: Math.min(4096, ctx.hello.maxBody) }, (_, i) => (i * 7 + 0xff) & 0xff);
      for (const body of [new Uint8Array(0), all, big]) {
        const f = await call(c, ctx, 0, ControlOpcode.ECHO, body, `ECHO of ${body.length} bytes`);
        must(f.status === 0 && hex(f.body) === hex(body), `ECHO of ${body.length} bytes came back as ${f.body.length} bytes, status ${f.status}`);
      }
    },
  },
  {
    id: 'echo-max-body',
    requirement: 'a body of the announced maxBody (up to 64 KiB tested) is accepted and echoed',
    run: async (c, ctx) => {
      const n = Math.min(ctx.hello.maxBody, 65536);
      const body = Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff);
      const seq = c.nextSeq();
      c.write(request(seq, 0, ControlOpcode.ECHO, body));
      const f = await c.frame(seq, ctx.timeoutMs + transferMs(2 * n), `ECHO of ${n} bytes`);
      must(f.kind === FrameKind.RESPONSE && hex(f.body) === hex(body), `ECHO of maxBody ${n} bytes: kind ${f.kind}, ${f.body.length} bytes back`);
    },
  },
  {
    id: 'control-unknown-opcode',
    requirement: 'an unknown control opcode is answered with a response of status 1 (NOT_SUPPORTED)',
    run: async (c, ctx) => {
      const f = await call(c, ctx, 0, 0x7777, new Uint8Array(0), 'control opcode 0x7777');
      must(f.kind === FrameKind.RESPONSE && f.status === ControlStatus.NOT_SUPPORTED, `control opcode 0x7777: kind ${f.kind} status ${f.status}, expected a response with status 1`);
    },
  },
  {
    id: 'unknown-service',
    requirement: 'a request for a service the agent does not serve gets error UNKNOWN_SERVICE with its sequence number',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      c.write(request(seq, 0x7ffe, 1, Uint8Array.from([1])));
      expectError(await c.frame(seq, ctx.timeoutMs, 'service 0x7ffe'), EnvelopeError.UNKNOWN_SERVICE, seq, 'service 0x7ffe');
    },
  },
  {
    id: 'bad-crc',
    requirement: 'a request whose body CRC is wrong gets error BAD_CRC with its sequence number, is not executed, and the agent keeps answering',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      const f = request(seq, 0, ControlOpcode.ECHO, Uint8Array.from([9, 9, 9, 9]));
      f[HEADER_LEN + 1] ^= 0x10; // a bit flipped in the body on the line
      c.write(f);
      expectError(await c.frame(seq, ctx.timeoutMs, 'damaged ECHO'), EnvelopeError.BAD_CRC, seq, 'damaged ECHO');
      await echoOk(c, ctx, 'ECHO after the damaged request');
    },
  },
  {
    id: 'too-large',
    requirement: 'a header announcing a body over maxBody gets FRAME_TOO_LARGE with its sequence number; the announced body is skipped and the agent keeps answering',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      const n = ctx.hello.maxBody + 1;
      c.write(request(seq, 0, ControlOpcode.ECHO, new Uint8Array(n).fill(0x46)));
      expectError(await c.frame(seq, ctx.timeoutMs + transferMs(n), `ECHO of maxBody+1 = ${n} bytes`), EnvelopeError.FRAME_TOO_LARGE, seq, 'oversize ECHO');
      // the announced body must pass before the agent parses again: allow for it on a slow line
      await echoOk(c, { ...ctx, timeoutMs: ctx.timeoutMs + transferMs(n) }, 'ECHO after the oversize frame');
    },
  },
  {
    id: 'bad-version',
    requirement: 'a header with a valid CRC and version 2 gets UNSUPPORTED_VERSION with its sequence number, and the agent keeps answering',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      c.write(withHeader(request(seq, 0, ControlOpcode.ECHO, Uint8Array.from([1])), (h) => h.setUint8(4, 2)));
      expectError(await c.frame(seq, ctx.timeoutMs, 'version 2 frame'), EnvelopeError.UNSUPPORTED_VERSION, seq, 'version 2 frame');
      await echoOk(c, ctx, 'ECHO after the version 2 frame');
    },
  },
  {
    id: 'bad-kind',
    requirement: 'a frame of kind other than request gets BAD_KIND with its sequence number',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      c.write(encodeFrame({ kind: FrameKind.RESPONSE, service: 0, seq, opcode: ControlOpcode.ECHO, status: 0, body: Uint8Array.from([1]) }));
      expectError(await c.frame(seq, ctx.timeoutMs, 'response-kind frame'), EnvelopeError.BAD_KIND, seq, 'response-kind frame');
    },
  },
  {
    id: 'resync-noise',
    requirement: 'boot chatter and line noise right before a frame (same write) do not lose the frame',
    run: async (c, ctx) => {
      const noise = new Writer().bytes(new TextEncoder().encode('\r\nU-Boot 2024.01\r\nNOTICE:  BL31: v2.10\r\n')).bytes(Uint8Array.from({ length: 97 }, (_, i) => (i * 53 + 7) & 0xff)).finish();
      const seq = c.nextSeq();
      const body = Uint8Array.from([5, 6, 7]);
      c.write(new Writer().bytes(noise).bytes(request(seq, 0, ControlOpcode.ECHO, body)).finish());
      const f = await c.frame(seq, ctx.timeoutMs, 'ECHO behind noise');
      must(f.kind === FrameKind.RESPONSE && hex(f.body) === hex(body), `ECHO behind noise: kind ${f.kind}`);
    },
  },
  {
    id: 'resync-false-magic',
    requirement: 'a magic inside noise, followed at once by a real frame, costs only one byte of search: the frame is answered',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      const body = Uint8Array.from([0x11]);
      c.write(new Writer().bytes(new TextEncoder().encode('FWSE')).bytes(Uint8Array.from([1, 1, 0, 0, 0, 0])).bytes(request(seq, 0, ControlOpcode.ECHO, body)).finish());
      const f = await c.frame(seq, ctx.timeoutMs, 'ECHO right after a false magic');
      must(f.kind === FrameKind.RESPONSE && hex(f.body) === hex(body), `ECHO after a false magic: kind ${f.kind}`);
    },
  },
  {
    id: 'split-writes',
    requirement: 'a frame arriving one byte at a time is answered',
    run: async (c, ctx) => {
      const seq = c.nextSeq();
      const body = Uint8Array.from({ length: 40 }, (_, i) => i);
      const f = request(seq, 0, ControlOpcode.ECHO, body);
      for (const b of f) {
        c.write(Uint8Array.of(b));
        await sleep(1);
      }
      const r = await c.frame(seq, ctx.timeoutMs, 'ECHO written byte by byte');
      must(hex(r.body) === hex(body), 'ECHO written byte by byte came back different');
    },
  },
  {
    id: 'back-to-back',
    requirement: 'two requests in one write are both answered, in order',
    run: async (c, ctx) => {
      const s1 = c.nextSeq();
      const s2 = c.nextSeq();
      c.write(new Writer().bytes(request(s1, 0, ControlOpcode.ECHO, Uint8Array.of(1))).bytes(request(s2, 0, ControlOpcode.ECHO, Uint8Array.of(2))).finish());
      const a = await c.frame(s1, ctx.timeoutMs, 'first of two');
      const b = await c.frame(s2, ctx.timeoutMs, 'second of two');
      must(a.body[0] === 1 && b.body[0] === 2, 'the two answers carry the wrong bodies');
    },
  },
  {
    id: 'services-answer',
    requirement: 'every service listed in HELLO answers a harmless request with a response (its own status), not an envelope error',
    run: async (c, ctx) => {
      const probes: Record<string, [number, Uint8Array]> = {
        its: [0x102, new Writer().u64le(0n).finish()],
        ps: [0x102, new Writer().u64le(0n).finish()],
        crypto: [0x10c, new Writer().u64le(8n).finish()],
        tpm2: [0, new Writer().u16be(0x8001).u32be(12).u32be(0x17b).u16be(8).finish()],
        rpmb: [0, new Writer().u16le(1).u16le(0).u16le(0).finish()],
        'smm-variable': [0, new Uint8Array(48)],
      };
      for (const id of ctx.hello.services.filter((s) => s !== 0)) {
        const name = serviceName(id) ?? `service ${id}`;
        const [op, body] = probes[name] ?? [0, new Uint8Array(0)];
        const f = await call(c, ctx, id, op, body, `${name} probe`);
        const err = f.kind === FrameKind.ERROR ? decodeErrorBody(f.body) : undefined;
        must(f.kind === FrameKind.RESPONSE, `${name} answered an envelope error ${err ? `${envelopeErrorName(err.code)}: ${err.message}` : `(kind ${f.kind})`}`);
      }
    },
  },
  {
    id: 'reset',
    requirement: 'RESET answers status 0 once the services answer again (or 1 NOT_SUPPORTED), and HELLO answers afterwards',
    destructive: true,
    run: async (c, ctx) => {
      const f = await call(c, ctx, 0, ControlOpcode.RESET, new Uint8Array(0), 'RESET');
      must(f.kind === FrameKind.RESPONSE && (f.status === 0 || f.status === 1), `RESET: kind ${f.kind} status ${f.status}`);
      const h = await call(c, ctx, 0, ControlOpcode.HELLO, new Uint8Array(0), 'HELLO after RESET');
      must(h.kind === FrameKind.RESPONSE && h.status === 0, 'HELLO after RESET did not answer');
    },
  },
];

/** HELLO, for the context of the checks. */
export async function readHello(conns: Connections): Promise<Hello> {
  const c = await conns.get();
  try {
    const f = await call(c, { timeoutMs: conns.timeoutMs, hello: { protocolVersion: 1, maxBody: 1, services: [], agent: '' } }, 0, ControlOpcode.HELLO, new Uint8Array(0), 'HELLO');
    return decodeHello(f.body);
  } finally {
    conns.release(c);
  }
}

/**
 * Connections per check: a fresh one over TCP and telnet; one for the whole
 * run over serial (closing and reopening a tty between checks can reset a
 * board, and a pty whose last user closes it hangs up).
 */
export class Connections {
  private shared: AgentConn | undefined;
  constructor(private readonly uri: string, readonly timeoutMs: number) {}
  async get(): Promise<AgentConn> {
    if (!this.uri.startsWith('serial:')) return connectAgent(this.uri, this.timeoutMs);
    this.shared ??= await connectAgent(this.uri, this.timeoutMs);
    return this.shared;
  }
  release(c: AgentConn): void {
    if (c !== this.shared) c.close();
  }
  close(): void {
    this.shared?.close();
    this.shared = undefined;
  }
}

/** Runs every check on its own connection; returns the ids that failed, with why. */
export async function runContract(uri: string, opts: { timeoutMs: number; allowReset: boolean }): Promise<Map<string, string>> {
  const conns = new Connections(uri, opts.timeoutMs);
  const failed = new Map<string, string>();
  try {
    const hello = await readHello(conns);
    for (const check of CONTRACT) {
      if (check.destructive && !opts.allowReset) continue;
      const c = await conns.get();
      try {
        await check.run(c, { timeoutMs: opts.timeoutMs, hello });
      } catch (e) {
        failed.set(check.id, (e as Error).message);
      } finally {
        conns.release(c);
      }
    }
  } finally {
    conns.close();
  }
  return failed;
}
