// swtpm://host:port — a TPM behind swtpm's socket interface (swtpm, or
// `fwsec serve --swtpm`). The tpm2 channel maps the fwsec tpm2 operations:
// SUBMIT goes raw on the data channel (one command per write, then wait for
// its whole response: swtpm 0.7.1 reads a command with a single read());
// the platform signals go to the control channel on port+1. The control
// channel answers HELLO from CMD_GET_CAPABILITY / CMD_GET_INFO and RESET
// with CMD_INIT (a power cycle).
import type { Socket } from 'node:net';
import { SERVICES, type ServiceName, type ServiceResponse } from '../protocol/services.js';
import { ControlOpcode, ControlStatus, encodeHello } from '../protocol/control.js';
import { Tpm2Op, Tpm2PlatformStatus } from '../protocol/tpm2/platform.js';
import { SWTPM_INFO_TPMATTRIBUTES, SWTPM_INFO_TPMSPECIFICATION, SwtpmCmd, SwtpmResult, swtpmCmdName, swtpmResultName } from '../protocol/tpm2/swtpm.js';
import { withDeadline } from './deadline.js';
import { openSocket, parseHostPort } from './tcp.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

const EMPTY = new Uint8Array(0);

/** One socket, one request at a time, answers read until `complete(buffer)` says how long they are. */
export class StreamConn {
  private sock: Socket | undefined;
  private opening: Promise<Socket> | undefined;
  private buf = new Uint8Array(0);
  private waiter: { complete(b: Uint8Array): number; resolve(b: Uint8Array): void; reject(e: Error): void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  connects = 0;

  constructor(
    readonly what: string,
    private readonly host: string,
    private readonly port: number,
  ) {}

  private async socket(timeoutMs: number): Promise<Socket> {
    if (this.closed) throw new TransportError('closed', `${this.what}: closed`);
    if (this.sock && !this.sock.destroyed) return this.sock;
    if (!this.opening) {
      this.opening = withDeadline(openSocket(this.host, this.port), timeoutMs, `${this.what}: connect`)
        .then((s) => {
          this.connects += 1;
          this.buf = new Uint8Array(0);
          s.on('data', (d: Buffer) => this.onData(d));
          s.on('error', () => undefined);
          s.on('close', () => {
            if (this.sock === s) this.sock = undefined;
            const w = this.waiter;
            this.waiter = undefined;
            w?.reject(new TransportError('disconnected', `${this.what}: connection closed by the far end`));
          });
          this.sock = s;
          return s;
        })
        .catch((e: unknown) => {
          if (e instanceof TransportError) throw e;
          throw new TransportError('connect', `${this.what}: cannot connect to ${this.host}:${this.port}: ${(e as Error).message}`);
        })
        .finally(() => {
          this.opening = undefined;
        });
    }
    return this.opening;
  }

  private onData(d: Buffer): void {
    const m = new Uint8Array(this.buf.length + d.length);
    m.set(this.buf);
    m.set(d, this.buf.length);
    this.buf = m;
    const w = this.waiter;
    if (!w) return;
    const n = w.complete(this.buf);
    if (n > 0 && this.buf.length >= n) {
      this.waiter = undefined;
      const out = this.buf.slice(0, n);
      this.buf = this.buf.slice(n);
      w.resolve(out);
    }
  }

  /** Sends `req` in one write and resolves with the answer; `complete` returns the answer length once known (0 = not yet). */
  request(req: Uint8Array, complete: (b: Uint8Array) => number, timeoutMs: number): Promise<Uint8Array> {
    const run = async () => {
      const started = Date.now();
      const s = await this.socket(timeoutMs);
      if (this.buf.length) this.buf = new Uint8Array(0); // stale bytes of an earlier, abandoned answer
      const answer = new Promise<Uint8Array>((resolve, reject) => {
        this.waiter = { complete, resolve, reject };
      });
      s.write(req);
      return withDeadline(answer, Math.max(1, timeoutMs - (Date.now() - started)), this.what, () => {
        this.waiter = undefined;
        s.destroy();
        if (this.sock === s) this.sock = undefined;
      });
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = undefined;
  }
}

/** Length of a TPM response once its header is in (commandSize field); 0 = need more. */
export function tpmResponseLength(b: Uint8Array): number {
  if (b.length < 10) return 0;
  const size = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(2);
  return size < 10 ? 10 : size;
}

const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
};
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

function replyLength(cmd: number): (b: Uint8Array) => number {
  switch (cmd) {
    case SwtpmCmd.GET_CAPABILITY:
    case SwtpmCmd.GET_TPMESTABLISHED:
    case SwtpmCmd.GET_CONFIG:
      return () => 8;
    case SwtpmCmd.SET_BUFFERSIZE:
      // result word only when it failed
      return (b) => (b.length >= 4 && new DataView(b.buffer, b.byteOffset).getUint32(0) !== 0 ? 4 : 16);
    case SwtpmCmd.GET_INFO:
      return (b) => {
        if (b.length < 4) return 0;
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (v.getUint32(0) !== 0) return 4;
        return b.length < 12 ? 0 : 12 + v.getUint32(8);
      };
    default:
      return () => 4;
  }
}

export class SwtpmTarget {
  readonly data: StreamConn;
  readonly ctrl: StreamConn;
  constructor(
    readonly uri: string,
    host: string,
    port: number,
    readonly env: TransportEnv,
  ) {
    this.data = new StreamConn(`${uri} data channel`, host, port);
    this.ctrl = new StreamConn(`${uri} control channel (port ${port + 1})`, host, port + 1);
  }

  async control(cmd: number, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.ctrl.request(concat(u32(cmd), payload), replyLength(cmd), timeoutMs);
  }

  /** A control command whose reply starts with a result word; the result word. */
  async controlResult(cmd: number, payload: Uint8Array, timeoutMs: number): Promise<number> {
    const r = await this.control(cmd, payload, timeoutMs);
    return new DataView(r.buffer, r.byteOffset).getUint32(0);
  }

  async tpm2(op: number, body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    const res = (r: number): ServiceResponse => ({
      status: r === SwtpmResult.SUCCESS ? Tpm2PlatformStatus.OK : r === SwtpmResult.BAD_LOCALITY ? Tpm2PlatformStatus.BAD_LOCALITY : r === SwtpmResult.BAD_ORDINAL ? Tpm2PlatformStatus.NOT_RUNNING : Tpm2PlatformStatus.FAILED,
      body: EMPTY,
    });
    switch (op) {
      case Tpm2Op.SUBMIT:
        return { status: Tpm2PlatformStatus.OK, body: await this.data.request(body, tpmResponseLength, timeoutMs) };
      case Tpm2Op.INIT:
        return res(await this.controlResult(SwtpmCmd.INIT, u32(0), timeoutMs));
      case Tpm2Op.SET_LOCALITY:
        if (body.length !== 1) return { status: Tpm2PlatformStatus.BAD_PARAMETER, body: EMPTY };
        return res(await this.controlResult(SwtpmCmd.SET_LOCALITY, body, timeoutMs));
      case Tpm2Op.HASH_START:
        return res(await this.controlResult(SwtpmCmd.HASH_START, EMPTY, timeoutMs));
      case Tpm2Op.HASH_DATA: {
        // ptm_hdata carries up to 4096 bytes per request
        for (let off = 0; off < body.length || off === 0; off += 4096) {
          const chunk = body.subarray(off, off + 4096);
          const r = await this.controlResult(SwtpmCmd.HASH_DATA, concat(u32(chunk.length), chunk), timeoutMs);
          if (r !== 0) return res(r);
          if (body.length === 0) break;
        }
        return res(0);
      }
      case Tpm2Op.HASH_END:
        return res(await this.controlResult(SwtpmCmd.HASH_END, EMPTY, timeoutMs));
      case Tpm2Op.GET_ESTABLISHED: {
        const r = await this.control(SwtpmCmd.GET_TPMESTABLISHED, EMPTY, timeoutMs);
        const v = new DataView(r.buffer, r.byteOffset);
        if (v.getUint32(0) !== 0) return res(v.getUint32(0));
        return { status: Tpm2PlatformStatus.OK, body: new Uint8Array([r[4]! & 1]) };
      }
      case Tpm2Op.RESET_ESTABLISHED:
        if (body.length !== 1) return { status: Tpm2PlatformStatus.BAD_PARAMETER, body: EMPTY };
        return res(await this.controlResult(SwtpmCmd.RESET_TPMESTABLISHED, body, timeoutMs));
      case Tpm2Op.STOP:
        return res(await this.controlResult(SwtpmCmd.STOP, EMPTY, timeoutMs));
      default:
        return { status: Tpm2PlatformStatus.NOT_SUPPORTED, body: EMPTY };
    }
  }

  /** HELLO from the control channel: capabilities and GET_INFO. */
  async hello(timeoutMs: number): Promise<ServiceResponse> {
    const caps = await this.control(SwtpmCmd.GET_CAPABILITY, EMPTY, timeoutMs);
    const capBits = new DataView(caps.buffer, caps.byteOffset).getBigUint64(0);
    let info = '';
    try {
      const flags = new Uint8Array(16);
      new DataView(flags.buffer).setBigUint64(0, SWTPM_INFO_TPMSPECIFICATION | SWTPM_INFO_TPMATTRIBUTES);
      const r = await this.control(SwtpmCmd.GET_INFO, flags, timeoutMs);
      if (r.length > 12) info = ` ${new TextDecoder().decode(r.subarray(12)).replace(/\0+$/, '')}`;
    } catch (e) {
      if (!(e instanceof TransportError) || e.kind !== 'timeout') throw e;
    }
    const hello = encodeHello({ protocolVersion: 1, maxBody: 4096, services: [SERVICES.control, SERVICES.tpm2], agent: `swtpm control channel (PTM caps 0x${capBits.toString(16)})${info}` });
    return { status: ControlStatus.OK, body: hello };
  }

  close(): void {
    this.data.close();
    this.ctrl.close();
  }
}

export async function openSwtpm(uri: URL, env: TransportEnv): Promise<Transport> {
  const { host, port } = parseHostPort(uri);
  if (port >= 65535) throw new TransportError('connect', `${uri.href}: the control channel needs port ${port + 1}`);
  const t = new SwtpmTarget(uri.href, host, port, env);
  const channel = (service: ServiceName): Channel => ({
    uri: uri.href,
    service,
    call: async (opcode: number, body: Uint8Array, o: CallOptions = {}) => {
      const ms = o.timeoutMs ?? env.callTimeoutMs;
      if (service === 'tpm2') return t.tpm2(opcode, body, ms);
      if (service === 'control') {
        if (opcode === ControlOpcode.HELLO) return t.hello(ms);
        if (opcode === ControlOpcode.RESET) {
          const r = await t.controlResult(SwtpmCmd.INIT, u32(0), ms);
          if (r !== 0) throw new TransportError('remote', `${uri.href}: CMD_INIT answered ${swtpmResultName(r)}`);
          return { status: ControlStatus.OK, body: EMPTY };
        }
        return { status: ControlStatus.NOT_SUPPORTED, body: EMPTY };
      }
      throw new TransportError('unsupported', `${uri.href} carries only the tpm2 service (asked for ${service})`);
    },
  });
  return { uri: uri.href, channel, close: async () => t.close() };
}

export { swtpmCmdName };
