// Serves the reference over the fwsec envelope on a tty (a pty, a USB-serial
// adapter wired to the host under test). Noise on the line is skipped by the
// envelope parser; when the device goes away (pty closed, adapter unplugged)
// the server keeps trying to open the path again until it is closed.
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { serveStream, type FrameHandler } from './envelope.js';

export interface SerialServeOptions {
  baudRate?: number;
  maxBody: number;
  log?: (line: string) => void;
  /** Delay between attempts to (re)open the device (default 200 ms). */
  retryMs?: number;
  /**
   * How often to check that PATH still names the device that is open
   * (default 1000 ms): a USB adapter that re-enumerates, or a pty that is
   * replaced, can leave the old descriptor open without any error.
   */
  watchMs?: number;
}

/** The device number PATH resolves to now, or undefined when it is gone. */
function deviceOf(path: string): number | undefined {
  try {
    return statSync(path).rdev;
  } catch {
    return undefined;
  }
}

export interface SerialServing {
  path: string;
  /** Resolves once the device is open the first time. */
  ready: Promise<void>;
  /** Times the device was opened (1 after the first open). */
  readonly opens: number;
  close(): Promise<void>;
}

/** Parses `--serial PATH[?baud=N]`. */
export function parseSerialListen(text: string): { path: string; baudRate: number } {
  const [path, query] = text.replace(/^serial:\/\//, '').split('?', 2) as [string, string | undefined];
  if (!path.startsWith('/')) throw new Error(`--serial expects a device path such as /dev/ttyUSB0 or /dev/pts/3, got ${JSON.stringify(text)}`);
  let baudRate = 115200;
  if (query) {
    const q = new URLSearchParams(query);
    for (const k of q.keys()) if (k !== 'baud') throw new Error(`--serial ${text}: unknown option "${k}" (known: baud)`);
    baudRate = Number(q.get('baud') ?? '115200');
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new Error(`--serial ${text}: baud must be a positive integer`);
  }
  return { path, baudRate };
}

export function serveSerial(target: FrameHandler, path: string, opts: SerialServeOptions): SerialServing {
  const log = opts.log ?? (() => {});
  let stopped = false;
  let port: SerialPort | undefined;
  let opens = 0;
  let timer: NodeJS.Timeout | undefined;
  let watch: NodeJS.Timeout | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));

  const attempt = () => {
    if (stopped) return;
    const p = new SerialPort({ path, baudRate: opts.baudRate ?? 115200, autoOpen: false, hupcl: false });
    p.open((err) => {
      if (err) {
        if (opens === 0 || !/ENOENT/.test(err.message)) log(`cannot open ${path}: ${err.message}; retrying`);
        timer = setTimeout(attempt, opts.retryMs ?? 200);
        return;
      }
      if (stopped) {
        p.close(() => undefined);
        return;
      }
      opens += 1;
      port = p;
      const rdev = deviceOf(path);
      clearInterval(watch);
      watch = setInterval(() => {
        if (port === p && deviceOf(path) !== rdev) {
          log(`${path} now names another device (or none); reopening`);
          p.close(() => undefined);
        }
      }, opts.watchMs ?? 1000);
      watch.unref();
      log(`serving on ${path} (open #${opens})`);
      const feed = serveStream(target, (b) => p.write(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), { maxBody: opts.maxBody, log });
      p.on('data', (d: Buffer) => feed(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
      p.on('error', (e: Error) => log(`${path}: ${e.message}`));
      p.on('close', () => {
        if (port === p) {
          port = undefined;
          clearInterval(watch);
        }
        if (stopped) return;
        log(`${path} went away; waiting for it to come back`);
        timer = setTimeout(attempt, opts.retryMs ?? 200);
      });
      markReady();
    });
  };
  attempt();

  return {
    path,
    ready,
    get opens() {
      return opens;
    },
    close: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        clearTimeout(timer);
        clearInterval(watch);
        if (port?.isOpen) port.close(() => resolve());
        else resolve();
      }),
  };
}
