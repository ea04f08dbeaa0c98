// serial:///dev/ttyUSB0?baud=115200 — the fwsec envelope over a serial line
// (a board's UART, a USB-serial adapter, a pty). The envelope's CRCs and
// resynchronising parser make it safe on a line that also carries boot
// chatter or line noise: bytes outside a frame are counted and skipped.
//
// Options (query string):
//   baud=115200          line speed (any rate the driver accepts)
//   dataBits=8 parity=none stopBits=1 rtscts=0   line settings
//   hupcl=1              drop DTR on close (0 keeps it: some boards reset on DTR)
//   lock=1               exclusive open (TIOCEXCL); 0 lets others open it too
//   maxBody=N            largest frame body accepted
//
// A call that times out leaves the port open (closing and reopening a UART
// can toggle DTR/RTS and reset the board); the late answer, if any, is
// discarded by its sequence number. When the device disappears (USB adapter
// unplugged, board power-cycled, pty closed), the call under way fails with
// TransportError('disconnected') and the next call opens the path again,
// waiting up to its deadline for the device to come back.
import { SerialPort } from 'serialport';
import { EnvelopeLink, envelopeTransport, type ByteStream } from './link.js';
import { TransportError, type Transport, type TransportEnv } from './types.js';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
  rtscts: boolean;
  hupcl: boolean;
  lock: boolean;
}

function flag(v: string | null, name: string, dflt: boolean): boolean {
  if (v === null) return dflt;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new TransportError('connect', `serial: ${name}=${v}: expected 0 or 1`);
}

/** Parses a serial: URI into port settings, or explains what is wrong. */
export function parseSerialUri(uri: URL): SerialSettings {
  const path = decodeURIComponent(uri.pathname);
  if (!path || path === '/') throw new TransportError('connect', `${uri.href}: expected serial:///dev/ttyX[?baud=115200]`);
  if (uri.hostname) {
    throw new TransportError('connect', `${uri.href}: a serial URI has no host; write serial://${'/'}dev/… (three slashes)`);
  }
  const q = uri.searchParams;
  const known = new Set(['baud', 'dataBits', 'parity', 'stopBits', 'rtscts', 'hupcl', 'lock', 'maxBody']);
  for (const k of q.keys()) {
    if (!known.has(k)) throw new TransportError('connect', `${uri.href}: unknown option "${k}" (known: ${[...known].join(', ')})`);
  }
  const baud = Number(q.get('baud') ?? '115200');
  if (!Number.isInteger(baud) || baud <= 0) throw new TransportError('connect', `${uri.href}: baud must be a positive integer`);
  const dataBits = Number(q.get('dataBits') ?? '8');
  if (![5, 6, 7, 8].includes(dataBits)) throw new TransportError('connect', `${uri.href}: dataBits must be 5, 6, 7 or 8`);
  const parity = q.get('parity') ?? 'none';
  if (!['none', 'even', 'odd', 'mark', 'space'].includes(parity)) {
    throw new TransportError('connect', `${uri.href}: parity must be none, even, odd, mark or space`);
  }
  const stopBits = Number(q.get('stopBits') ?? '1');
  if (![1, 1.5, 2].includes(stopBits)) throw new TransportError('connect', `${uri.href}: stopBits must be 1, 1.5 or 2`);
  return {
    path,
    baudRate: baud,
    dataBits: dataBits as SerialSettings['dataBits'],
    parity: parity as SerialSettings['parity'],
    stopBits: stopBits as SerialSettings['stopBits'],
    rtscts: flag(q.get('rtscts'), 'rtscts', false),
    hupcl: flag(q.get('hupcl'), 'hupcl', true),
    lock: flag(q.get('lock'), 'lock', true),
  };
}

/** Why an open failed, in words a lab engineer can act on. */
export function explainOpenError(path: string, e: Error & { code?: string }): string {
  const m = e.message;
  if (/ENOENT|No such file/i.test(m)) return `${path} does not exist (adapter unplugged, board off, or wrong path)`;
  if (/EACCES|Permission denied/i.test(m)) return `${path}: permission denied (is this user in the dialout group?)`;
  if (/EBUSY|Resource busy|lock|temporarily unavailable/i.test(m)) return `${path} is busy: another process holds it open (fwsec opens ports exclusively; lock=0 disables that)`;
  if (/ENOTTY|Inappropriate ioctl/i.test(m)) return `${path} is not a tty`;
  return `${path}: ${m}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openOnce(s: SerialSettings): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort(
      {
        path: s.path,
        baudRate: s.baudRate,
        dataBits: s.dataBits,
        parity: s.parity,
        stopBits: s.stopBits,
        rtscts: s.rtscts,
        hupcl: s.hupcl,
        lock: s.lock,
        autoOpen: false,
      },
    );
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

/**
 * Opens the port, retrying while the device is absent or busy (a board that
 * is rebooting, an adapter re-enumerating) until `timeoutMs` has passed.
 */
export async function openSerialPort(s: SerialSettings, timeoutMs: number): Promise<SerialPort> {
  // stop a little before the link's own deadline, so a late success never leaves an orphaned open port
  const deadline = Date.now() + Math.max(0, timeoutMs - 100);
  for (;;) {
    try {
      return await openOnce(s);
    } catch (e) {
      const err = e as Error;
      // serialport's lock is flock(LOCK_EX|LOCK_NB): EWOULDBLOCK while a closing opener still holds it
      const transient = /ENOENT|No such file|EBUSY|Resource busy|EIO|Cannot lock port|temporarily unavailable/i.test(err.message);
      if (!transient || Date.now() + 100 >= deadline) {
        throw new TransportError('connect', `serial ${explainOpenError(s.path, err)}`);
      }
      await sleep(100);
    }
  }
}

/** A SerialPort as a ByteStream: `onClose` fires once, on close or disconnect. */
export function portStream(port: SerialPort): ByteStream {
  let closed = false;
  const closeCbs: ((err?: Error) => void)[] = [];
  let lastErr: Error | undefined;
  port.on('error', (e: Error) => {
    lastErr = e;
  });
  port.on('close', (err?: Error) => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs) cb(err ?? lastErr);
  });
  return {
    write: (b) => {
      if (!closed) port.write(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    },
    onData: (cb) => port.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))),
    onClose: (cb) => closeCbs.push(cb),
    destroy: () => {
      if (port.isOpen) port.close(() => undefined);
    },
  };
}

export async function openSerial(uri: URL, env: TransportEnv): Promise<Transport> {
  const settings = parseSerialUri(uri);
  const maxBody = Number(uri.searchParams.get('maxBody') ?? '') || undefined;
  const link = new EnvelopeLink(uri.href, async (timeoutMs) => portStream(await openSerialPort(settings, timeoutMs)), {
    maxBody,
    log: env.log,
    keepStreamOnTimeout: true,
  });
  return envelopeTransport(uri.href, link, env);
}
