// tpm:///dev/tpmrm0 — a TPM 2.0 through the Linux TPM character device, as
// tpm2-tss's device TCTI drives it: one whole command per write(), one whole
// response per read(). The device is opened O_NONBLOCK (the kernel then
// queues the command and read() answers EAGAIN until the response is
// there), so a TPM that never answers costs the call its deadline and
// nothing else: the descriptor is closed and the next call opens the device
// again.
//
//   tpm:///dev/tpmrm0    the kernel resource manager (shared, sessions and
//                        objects flushed when the descriptor closes)
//   tpm:///dev/tpm0      the raw device (exclusive: EBUSY while tpm2-abrmd
//                        or another process holds it)
//
// Channel: service tpm2, opcode SUBMIT only (the platform signals -- _TPM_Init,
// locality, DRTM -- are not reachable from user space: UNSUPPORTED); the body is the command, the answer body the
// whole response, the answer status 0 (docs/wire-protocol.md: the response
// code is in the response).
import { close, constants, openSync, readSync, writeSync } from 'node:fs';
import { hex } from '../protocol/bytes.js';
import type { ServiceResponse } from '../protocol/services.js';
import { Tpm2Op } from '../protocol/tpm2/platform.js';
import { singleServiceTransport } from './device.js';
import { TransportError, type Transport, type TransportEnv } from './types.js';

/** Linux TPM_BUFSIZE: the largest command or response the character device moves. */
export const TPM_BUFSIZE = 4096;

function explainOpen(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return `${path} does not exist (no TPM driver bound; is the fTPM/dTPM enabled?)`;
    case 'EACCES':
      return `${path}: permission denied (is this user in the tss group?)`;
    case 'EBUSY':
      return `${path} is busy: another process (tpm2-abrmd?) holds it; /dev/tpmrm0 can be shared`;
    default:
      return `${path}: ${e.message}`;
  }
}

class TpmDevice {
  private fd = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  private open(): number {
    if (this.fd >= 0) return this.fd;
    try {
      this.fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      throw new TransportError('connect', `tpm: ${explainOpen(this.path, e as NodeJS.ErrnoException)}`);
    }
    return this.fd;
  }

  /**
   * Drops the descriptor. Closed off the event loop: with a command in
   * flight the kernel waits for the TPM to finish it before close returns.
   */
  private drop(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      close(fd, () => undefined);
    }
  }

  call(body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    const run = () => this.transact(body, timeoutMs);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async transact(cmd: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    if (cmd.length > TPM_BUFSIZE) throw new TransportError('unsupported', `tpm: a command of ${cmd.length} bytes is over the device's ${TPM_BUFSIZE}-byte buffer`);
    const fd = this.open();
    try {
      const n = writeSync(fd, cmd);
      if (n !== cmd.length) throw new TransportError('protocol', `tpm: ${this.path} took ${n} of ${cmd.length} command bytes`);
    } catch (e) {
      this.drop();
      if (e instanceof TransportError) throw e;
      const err = e as NodeJS.ErrnoException;
      // the kernel refuses what it cannot pass to the TPM (EINVAL for a header shorter than 10
      // bytes, E2BIG over TPM_BUFSIZE, EBUSY with a response still unread)
      throw new TransportError('remote', `tpm: ${this.path} refused the command (${err.code ?? err.message}): ${hex(cmd, 16)}`);
    }
    const rsp = await this.readResponse(fd, timeoutMs);
    return { status: 0, body: rsp };
  }

  /**
   * Reads the response from the non-blocking descriptor, retrying on EAGAIN
   * (first at once, then every 1 ms, then every 5 ms) until the deadline.
   * Polled with timers rather than poll(2): nothing is left blocked in a
   * thread when a TPM never answers.
   */
  private readResponse(fd: number, timeoutMs: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(TPM_BUFSIZE);
    const started = Date.now();
    return new Promise<Uint8Array>((resolve, reject) => {
      const fail = (err: TransportError) => {
        this.drop();
        reject(err);
      };
      let tries = 0;
      const attempt = () => {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (err.code !== 'EAGAIN' && err.code !== 'EWOULDBLOCK') {
            return fail(new TransportError('disconnected', `tpm: reading ${this.path}: ${err.code ?? err.message}`));
          }
          const waited = Date.now() - started;
          if (waited >= timeoutMs) return fail(new TransportError('timeout', `tpm: no response from ${this.path} within ${timeoutMs} ms`));
          tries += 1;
          if (tries < 50) setImmediate(attempt);
          else setTimeout(attempt, waited < 100 ? 1 : 5);
          return;
        }
        if (n === 0) return fail(new TransportError('disconnected', `tpm: ${this.path} closed`));
        if (n < 10) return fail(new TransportError('protocol', `tpm: a ${n}-byte response is shorter than a TPM header: ${hex(buf.subarray(0, n))}`));
        const size = buf.readUInt32BE(2);
        if (size !== n) return fail(new TransportError('protocol', `tpm: response header says ${size} bytes, the device returned ${n}: ${hex(buf.subarray(0, Math.min(n, 16)))}`));
        resolve(new Uint8Array(buf.subarray(0, n)));
      };
      attempt();
    });
  }

  close(): void {
    this.drop();
  }
}

export function parseTpmUri(uri: URL): string {
  if (uri.hostname) throw new TransportError('connect', `${uri.href}: a tpm URI has no host; write tpm:///dev/tpmrm0 (three slashes)`);
  const path = decodeURIComponent(uri.pathname);
  if (!path || path === '/') throw new TransportError('connect', `${uri.href}: expected tpm:///dev/tpmrm0`);
  for (const k of uri.searchParams.keys()) throw new TransportError('connect', `${uri.href}: unknown option "${k}"`);
  return path;
}

export async function openTpmDev(uri: URL, env: TransportEnv): Promise<Transport> {
  const dev = new TpmDevice(parseTpmUri(uri));
  return singleServiceTransport(uri, env, 'tpm2', { value: Tpm2Op.SUBMIT, name: 'SUBMIT' }, 'TPM 2.0 commands', (body, ms) => dev.call(body, ms), async () => dev.close());
}
