// Real pseudo-terminals for serial tests, made by socat (Debian package
// socat), and a "noisy line" relay between two of them that splits writes,
// injects line noise and boot chatter between frames, and can flip bits
// inside frames. Each end is a real tty that serialport opens as it would
// open /dev/ttyUSB0.
//
//   client side tty  <->  socat  <->  [relay in this process]  <->  socat  <->  server side tty
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { HEADER_LEN, TRAILER_LEN } from '../../protocol/envelope.js';

export interface Pty {
  /** The /dev/pts/N path (the symlink resolved). */
  path: string;
  /** The symlink socat keeps pointing at the pty. */
  link: string;
  child: ChildProcess;
  /** Bytes the tty side wrote. */
  onData(cb: (b: Buffer) => void): void;
  /** Bytes for the tty side to read. */
  write(b: Uint8Array): void;
  close(): Promise<void>;
}

/** Creates a pty whose other end is this process (through socat's stdio). */
export function makePty(link: string, timeoutMs = 5000): Promise<Pty> {
  const child = spawn('socat', ['-d', '-d', `PTY,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socat did not make a pty within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run socat (Debian package socat; see .ci/apt-packages): ${e.message}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      // socat -d -d logs "PTY is /dev/pts/N" and then "starting data transfer loop"
      if (/starting data transfer loop/.test(err)) {
        clearTimeout(timer);
        const m = /PTY is (\/dev\/pts\/\d+)/.exec(err);
        resolve({
          path: m ? m[1]! : realpathSync(link),
          link,
          child,
          onData: (cb) => child.stdout!.on('data', cb),
          write: (b) => {
            if (!child.stdin!.destroyed) child.stdin!.write(b);
          },
          close: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res();
              child.once('exit', () => res());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

/** Splits a byte stream into the envelope frames it carries (clean input assumed). */
export class FrameSplitter {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer, emit: (frame: Buffer) => void, passthrough: (b: Buffer) => void): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < HEADER_LEN) return;
      if (this.buf.readUInt32BE(0) !== 0x46575345) {
        // not a frame start (cannot happen with clean endpoints): pass it on as is
        passthrough(this.buf);
        this.buf = Buffer.alloc(0);
        return;
      }
      const total = HEADER_LEN + this.buf.readUInt32BE(20) + TRAILER_LEN;
      if (this.buf.length < total) return;
      emit(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
  }
}

export interface NoiseOptions {
  /** Probability of line noise / boot chatter before a frame (0..1). */
  noiseBefore: number;
  /** Largest piece a frame is written in (1 = byte by byte); pieces are written in separate turns. */
  maxPiece: number;
  /** Probability of flipping one bit inside a request frame's body (0 in clean-but-noisy runs). */
  corruptRequest?: number;
  /** Deterministic generator seed. */
  seed: number;
}

const CHATTER = [
  '\r\nU-Boot 2024.01 (Jan 08 2024 - 12:00:00 +0000)\r\n\r\nDRAM:  1 GiB\r\n',
  'NOTICE:  BL31: v2.10.0(release):lts-v2.10.0\r\n',
  'I/TC: OP-TEE version: 4.1.0 (gcc version 12.2.0)\r\n',
  '[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd034]\r\n',
  'FWS', // a partial magic
  'FWSE\x01\x01\x00\x01garbage that looks like a header', // a magic inside noise
];

/** xorshift32: a small deterministic generator for the relay's choices. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

export interface LineStats {
  frames: number;
  noiseBursts: number;
  noiseBytes: number;
  corrupted: number;
  pieces: number;
}

/**
 * Relays frames between two ptys. Each direction is split into frames; a
 * frame is written in pieces of 1..maxPiece bytes, each in its own turn of
 * the event loop; noise may precede a frame. Noise never lands inside a
 * frame unless `corruptRequest` asks for a bit flip in a request body.
 */
export function noisyRelay(a: Pty, b: Pty, opts: NoiseOptions): { stats: LineStats } {
  const rand = rng(opts.seed);
  const stats: LineStats = { frames: 0, noiseBursts: 0, noiseBytes: 0, corrupted: 0, pieces: 0 };
  const wire = (from: Pty, to: Pty, requests: boolean) => {
    const splitter = new FrameSplitter();
    // writes to one side are queued so pieces keep their order
    let queue: Promise<void> = Promise.resolve();
    const send = (bytes: Buffer) => {
      queue = queue.then(async () => {
        for (let off = 0; off < bytes.length; ) {
          const n = Math.min(bytes.length - off, 1 + Math.floor(rand() * opts.maxPiece));
          to.write(bytes.subarray(off, off + n));
          stats.pieces += 1;
          off += n;
          await new Promise((r) => setImmediate(r));
        }
      });
    };
    from.onData((chunk) =>
      splitter.push(
        chunk,
        (frame) => {
          stats.frames += 1;
          if (rand() < opts.noiseBefore) {
            const noise = rand() < 0.5 ? Buffer.from(CHATTER[Math.floor(rand() * CHATTER.length)]!, 'latin1') : randomBytes(rand, 1 + Math.floor(rand() * 40));
            stats.noiseBursts += 1;
            stats.noiseBytes += noise.length;
            send(noise);
          }
          let out = frame;
          if (requests && opts.corruptRequest && frame.length > HEADER_LEN + TRAILER_LEN && rand() < opts.corruptRequest) {
            out = Buffer.from(frame);
            const at = HEADER_LEN + Math.floor(rand() * (frame.length - HEADER_LEN - TRAILER_LEN));
            out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
            stats.corrupted += 1;
          }
          send(out);
        },
        (raw) => send(raw),
      ),
    );
  };
  wire(a, b, true);
  wire(b, a, false);
  return { stats };
}

function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** A back-to-back pty pair (socat PTY PTY): what one end writes the other reads. */
export function ptyPair(linkA: string, linkB: string, timeoutMs = 5000): Promise<{ a: string; b: string; child: ChildProcess; close(): Promise<void> }> {
  const child = spawn('socat', ['-d', '-d', `PTY,raw,echo=0,link=${linkA}`, `PTY,raw,echo=0,link=${linkB}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socat did not make a pty pair within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run socat: ${e.message}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/starting data transfer loop/.test(err)) {
        clearTimeout(timer);
        const ptys = [...err.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]!);
        resolve({
          a: ptys[0] ?? realpathSync(linkA),
          b: ptys[1] ?? realpathSync(linkB),
          child,
          close: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res();
              child.once('exit', () => res());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
