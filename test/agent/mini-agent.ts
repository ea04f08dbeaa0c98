// A second, independent implementation of the agent contract (docs/agent.md),
// written the way a firmware agent would be (one buffer, hand-rolled parser),
// with switchable bugs that each break one requirement. Serves control and
// ITS (from a reference stack) over TCP.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { Writer, utf8 } from '../../protocol/bytes.js';
import type { ReferenceStack } from '../../reference/stack.js';

export type AgentBug =
  | 'none'
  | 'hello-without-control' // HELLO's service list forgets id 0
  | 'opcode-not-echoed' // responses carry opcode 0
  | 'echo-truncates-4k' // a 4095-byte buffer: bodies of 4 KiB and more come back one byte short
  | 'max-body-lies' // HELLO announces 64 KiB, the buffer holds 8 KiB
  | 'control-unknown-ok' // unknown control opcodes answered with status 0
  | 'silent-unknown-service' // requests for unknown services get no answer at all
  | 'ignores-crc' // body CRC never checked: damaged requests are executed
  | 'wedges-on-oversize' // stops parsing after a header announcing too large a body
  | 'no-version-check' // version 2 frames handled as version 1
  | 'answers-any-kind' // response-kind frames executed as requests
  | 'no-resync' // a read that does not start with a frame is thrown away
  | 'skips-whole-header' // a magic with a bad header CRC skips 28 bytes instead of 1
  | 'header-needs-one-chunk' // a header split across reads is thrown away
  | 'one-frame-per-chunk' // only the first frame of a read is handled
  | 'lists-unserved-service' // HELLO lists PS, which is not served
  | 'reset-kills-agent'; // answers RESET, then never answers again

const MAGIC = [0x46, 0x57, 0x53, 0x45];
const MAX = 65536;

function frame(kind: number, service: number, seq: number, opcode: number, status: number, body: Uint8Array): Uint8Array {
  const w = new Writer(32 + body.length).u32be(0x46575345).u8(1).u8(kind).u16be(service).u32be(seq).u32be(opcode).i32be(status).u32be(body.length);
  const head = w.finish();
  return w.u32be(crc32(head)).bytes(body).u32be(crc32(body)).finish();
}
const errorFrame = (seq: number, service: number, code: number, msg: string) => frame(3, service, seq, 0, code, new Writer().u16be(code).bytes(utf8(msg)).finish());

export async function startMiniAgent(bug: AgentBug, stack: ReferenceStack): Promise<{ uri: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let skip = 0;
    let dead = false;
    let chain: Promise<void> = Promise.resolve();
    const send = (b: Uint8Array) => {
      if (!dead) sock.write(b);
    };
    const limit = bug === 'max-body-lies' ? 8192 : MAX;

    const dispatch = async (kind: number, service: number, seq: number, opcode: number, body: Uint8Array) => {
      const op = bug === 'opcode-not-echoed' ? 0 : opcode;
      if (service === 0) {
        if (opcode === 1) {
          const services = bug === 'hello-without-control' ? [1] : bug === 'lists-unserved-service' ? [0, 1, 2] : [0, 1];
          const w = new Writer().u16be(1).u32be(MAX).u16be(services.length);
          for (const s of services) w.u16be(s);
          return send(frame(2, 0, seq, op, 0, w.bytes(utf8(`mini agent (${bug})`)).finish()));
        }
        if (opcode === 3) return send(frame(2, 0, seq, op, 0, bug === 'echo-truncates-4k' && body.length >= 4096 ? body.subarray(0, 4095) : body));
        if (opcode === 2) {
          await stack.reboot();
          send(frame(2, 0, seq, op, 0, new Uint8Array(0)));
          if (bug === 'reset-kills-agent') dead = true;
          return;
        }
        return send(frame(2, 0, seq, op, bug === 'control-unknown-ok' ? 0 : 1, new Uint8Array(0)));
      }
      if (service === 1) {
        const r = (await stack.handle(1, opcode, body))!;
        return send(frame(2, 1, seq, op, r.status, r.body));
      }
      if (bug === 'silent-unknown-service') return;
      send(errorFrame(seq, service, 5, `service ${service} is not served`));
      void kind;
    };

    sock.on('data', (chunk: Buffer) => {
      if (dead) return;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
      }
      if (bug === 'no-resync' && buf.length === 0 && !MAGIC.every((m, i) => chunk[i] === m)) return;
      const startedEmpty = buf.length === 0;
      buf = Buffer.concat([buf, chunk]);
      let pos = 0;
      for (;;) {
        let i = pos;
        while (i + 4 <= buf.length && !MAGIC.every((m, k) => buf[i + k] === m)) i++;
        if (i + 4 > buf.length) {
          pos = Math.max(pos, buf.length - 3);
          break;
        }
        pos = i;
        if (buf.length - pos < 28) {
          if (bug === 'header-needs-one-chunk' && !startedEmpty) pos = buf.length;
          else if (bug === 'header-needs-one-chunk') pos = buf.length; // dropped either way: the header did not come in one read
          break;
        }
        if (crc32(buf.subarray(pos, pos + 24)) !== buf.readUInt32BE(pos + 24)) {
          pos += bug === 'skips-whole-header' ? 28 : 1;
          continue;
        }
        const version = buf[pos + 4]!;
        const kind = buf[pos + 5]!;
        const service = buf.readUInt16BE(pos + 6);
        const seq = buf.readUInt32BE(pos + 8);
        const opcode = buf.readUInt32BE(pos + 12);
        const len = buf.readUInt32BE(pos + 20);
        if (len > limit) {
          if (bug === 'wedges-on-oversize') {
            dead = true;
            return;
          }
          chain = chain.then(() => send(errorFrame(seq, service, 3, `body of ${len} bytes over ${limit}`)));
          const avail = buf.length - pos - 28;
          if (avail >= len + 4) pos += 28 + len + 4;
          else {
            skip = len + 4 - avail;
            pos = buf.length;
          }
          continue;
        }
        if (buf.length - pos < 28 + len + 4) break;
        const body = new Uint8Array(buf.subarray(pos + 28, pos + 28 + len));
        const crcOk = crc32(body) === buf.readUInt32BE(pos + 28 + len);
        pos += 28 + len + 4;
        if (version !== 1 && bug !== 'no-version-check') {
          chain = chain.then(() => send(errorFrame(seq, service, 2, `version ${version}`)));
        } else if (!crcOk && bug !== 'ignores-crc') {
          chain = chain.then(() => send(errorFrame(seq, service, 4, 'body CRC mismatch')));
        } else if (kind !== 1 && bug !== 'answers-any-kind') {
          chain = chain.then(() => send(errorFrame(seq, service, 6, `kind ${kind}`)));
        } else {
          chain = chain.then(() => dispatch(kind, service, seq, opcode, body));
        }
        if (bug === 'one-frame-per-chunk') {
          pos = buf.length;
          break;
        }
      }
      buf = buf.subarray(pos);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return {
    uri: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
