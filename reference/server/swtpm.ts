// `fwsec serve --swtpm tcp://HOST:PORT`: the reference TPM behind swtpm
// 0.7.1's socket interface, so tpm2-tools (-T swtpm:port=PORT), QEMU-style
// control clients and swtpm_ioctl can use it. Data channel on PORT: raw TPM
// commands (also the mssim TPM_SEND_COMMAND prefix, as swtpm accepts), any
// number of connections; control channel on PORT+1: `u32 code || payload`,
// answered with the "resp" half of swtpm's ioctl structures.
import { createServer, type Server, type Socket } from 'node:net';
import { TpmWriter } from '../../protocol/tpm2/marshal.js';
import { Tpm2Op, Tpm2PlatformStatus } from '../../protocol/tpm2/platform.js';
import { PtmCap, SWTPM_INFO_TPMATTRIBUTES, SWTPM_INFO_TPMSPECIFICATION, SwtpmCmd, SwtpmResult, TPM_SEND_COMMAND, swtpmCmdName } from '../../protocol/tpm2/swtpm.js';
import { SERVICES } from '../../protocol/services.js';
import { RC } from '../../protocol/tpm2/rc.js';
import { errorResponse } from '../../protocol/tpm2/command.js';
import type { FrameHandler } from './envelope.js';
import type { Listening } from './tcp.js';

export interface TpmPortOptions {
  log?: (line: string) => void;
  /** Largest command accepted on the data channel (TPM_PT_MAX_COMMAND_SIZE of the reference). */
  maxCommand?: number;
  /** Text returned by CMD_GET_INFO TPMATTRIBUTES. */
  model?: string;
}

const TPM2 = SERVICES.tpm2;
/** Capabilities this server answers on its control channel (no state blobs, no fd passing). */
export const SERVER_PTM_CAPS =
  PtmCap.INIT |
  PtmCap.SHUTDOWN |
  PtmCap.GET_TPMESTABLISHED |
  PtmCap.SET_LOCALITY |
  PtmCap.HASHING |
  PtmCap.CANCEL_TPM_CMD |
  PtmCap.STORE_VOLATILE |
  PtmCap.RESET_TPMESTABLISHED |
  PtmCap.STOP |
  PtmCap.GET_CONFIG |
  PtmCap.SET_BUFFERSIZE |
  PtmCap.GET_INFO;

const u32 = (v: number) => new TpmWriter(4).u32(v).finish();

/** A helper that calls the tpm2 service and returns its status and body. */
async function tpm2(target: FrameHandler, op: number, body: Uint8Array): Promise<{ status: number; body: Uint8Array }> {
  const r = await target.handle(TPM2, op, body);
  if (!r) return { status: Tpm2PlatformStatus.NOT_SUPPORTED, body: new Uint8Array(0) };
  return r;
}

function resultOf(status: number): number {
  switch (status) {
    case Tpm2PlatformStatus.OK:
      return SwtpmResult.SUCCESS;
    case Tpm2PlatformStatus.BAD_LOCALITY:
      return SwtpmResult.BAD_LOCALITY;
    case Tpm2PlatformStatus.BAD_PARAMETER:
      return SwtpmResult.BAD_PARAMETER;
    case Tpm2PlatformStatus.NOT_SUPPORTED:
      return SwtpmResult.BAD_ORDINAL;
    default:
      return SwtpmResult.FAIL;
  }
}

/**
 * Serves the data channel of one connection. swtpm reads a command with a
 * single read(): what one write delivered is one command, whatever its
 * commandSize says. So: a chunk holding at least the declared size (or more:
 * a command with a too-small commandSize) is one command; a chunk shorter
 * than its commandSize waits 200 ms for the rest, then goes to the TPM as it
 * is (which answers TPM_RC_COMMAND_SIZE), as swtpm does.
 */
export function serveTpmData(target: FrameHandler, sock: Socket, o: TpmPortOptions): void {
  const max = o.maxCommand ?? 4096;
  let buf = new Uint8Array(0);
  let chain = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const submit = async (cmd: Uint8Array, framed: boolean): Promise<void> => {
    const r = await tpm2(target, Tpm2Op.SUBMIT, cmd);
    const resp = r.status === Tpm2PlatformStatus.OK ? r.body : errorResponse(RC.FAILURE);
    if (sock.destroyed) return;
    if (framed) sock.write(new TpmWriter(resp.length + 8).u32(resp.length).bytes(resp).u32(0).finish());
    else sock.write(resp);
  };
  const pump = async (flush: boolean): Promise<void> => {
    for (;;) {
      if (buf.length < 10 && !(flush && buf.length > 0)) return;
      const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      if (buf.length >= 9 && v.getUint32(0) === TPM_SEND_COMMAND) {
        // mssim framing: u32 8 | u8 locality | u32 length | command
        const len = v.getUint32(5);
        if (len > max) {
          sock.write(new TpmWriter(18).u32(10).bytes(errorResponse(RC.COMMAND_SIZE)).u32(0).finish());
          buf = new Uint8Array(0);
          return;
        }
        if (buf.length < 9 + len) return;
        await tpm2(target, Tpm2Op.SET_LOCALITY, new Uint8Array([buf[4]!]));
        const cmd = buf.slice(9, 9 + len);
        buf = buf.slice(9 + len);
        await submit(cmd, true);
        continue;
      }
      const size = buf.length >= 6 ? v.getUint32(2) : 0;
      if (buf.length < size && size <= max + 16 && !flush) return;
      // what arrived is the command (the TPM judges commandSize against it)
      const cmd = buf;
      buf = new Uint8Array(0);
      await submit(cmd.length > max + 16 ? cmd.slice(0, max + 1) : cmd, false);
      return;
    }
  };
  sock.on('data', (d: Buffer) => {
    const merged = new Uint8Array(buf.length + d.length);
    merged.set(buf);
    merged.set(d, buf.length);
    buf = merged;
    clearTimeout(timer);
    chain = chain.then(() => pump(false)).catch((e) => o.log?.(`swtpm data: ${(e as Error).message}`));
    timer = setTimeout(() => {
      chain = chain.then(() => pump(true)).catch((e) => o.log?.(`swtpm data: ${(e as Error).message}`));
    }, 200);
  });
  sock.on('close', () => clearTimeout(timer));
}

const PAYLOAD: Record<number, number> = {
  [SwtpmCmd.GET_CAPABILITY]: 0,
  [SwtpmCmd.INIT]: 4,
  [SwtpmCmd.SHUTDOWN]: 0,
  [SwtpmCmd.GET_TPMESTABLISHED]: 0,
  [SwtpmCmd.SET_LOCALITY]: 1,
  [SwtpmCmd.HASH_START]: 0,
  [SwtpmCmd.HASH_DATA]: 4,
  [SwtpmCmd.HASH_END]: 0,
  [SwtpmCmd.CANCEL_TPM_CMD]: 0,
  [SwtpmCmd.STORE_VOLATILE]: 0,
  [SwtpmCmd.RESET_TPMESTABLISHED]: 1,
  [SwtpmCmd.STOP]: 0,
  [SwtpmCmd.GET_CONFIG]: 0,
  [SwtpmCmd.SET_BUFFERSIZE]: 4,
  [SwtpmCmd.GET_INFO]: 16,
};

/** Serves the control channel of one connection. */
export function serveTpmControl(target: FrameHandler, sock: Socket, o: TpmPortOptions): void {
  let buf = new Uint8Array(0);
  let chain = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let bufferSize = 4096;
  const reply = (b: Uint8Array) => {
    if (!sock.destroyed) sock.write(b);
  };
  const process = async (): Promise<void> => {
    for (;;) {
      if (buf.length < 4) return;
      const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const cmd = v.getUint32(0);
      const need = PAYLOAD[cmd];
      if (need === undefined) {
        o.log?.(`swtpm control: unknown command 0x${cmd.toString(16)}`);
        reply(u32(SwtpmResult.BAD_ORDINAL));
        buf = new Uint8Array(0);
        return;
      }
      let take = 4 + need;
      if (cmd === SwtpmCmd.HASH_DATA && buf.length >= 8) take = 8 + v.getUint32(4);
      if (cmd === SwtpmCmd.SET_LOCALITY || cmd === SwtpmCmd.RESET_TPMESTABLISHED) {
        // QEMU sends the 4-byte request union; tpm2-tss sends 1 byte
        if (buf.length === 8 && buf[5] === 0 && buf[6] === 0 && buf[7] === 0) take = 8;
      }
      if (buf.length < take) {
        // the whole request must arrive within 500 ms (swtpm); else it is dropped
        clearTimeout(timer);
        timer = setTimeout(() => {
          o.log?.(`swtpm control: incomplete ${swtpmCmdName(cmd)} request dropped`);
          buf = new Uint8Array(0);
          sock.destroy();
        }, 500);
        return;
      }
      clearTimeout(timer);
      const payload = buf.slice(4, take);
      buf = buf.slice(take);
      reply(await control(target, cmd, payload, o, { get: () => bufferSize, set: (n) => (bufferSize = n) }));
    }
  };
  sock.on('data', (d: Buffer) => {
    const merged = new Uint8Array(buf.length + d.length);
    merged.set(buf);
    merged.set(d, buf.length);
    buf = merged;
    chain = chain.then(process).catch((e) => o.log?.(`swtpm control: ${(e as Error).message}`));
  });
  sock.on('close', () => clearTimeout(timer));
}

async function control(target: FrameHandler, cmd: number, p: Uint8Array, o: TpmPortOptions, bs: { get(): number; set(n: number): void }): Promise<Uint8Array> {
  const res = async (op: number, body: Uint8Array = new Uint8Array(0)) => u32(resultOf((await tpm2(target, op, body)).status));
  switch (cmd) {
    case SwtpmCmd.GET_CAPABILITY:
      return new TpmWriter(8).u64(BigInt(SERVER_PTM_CAPS)).finish();
    case SwtpmCmd.INIT:
      return res(Tpm2Op.INIT);
    case SwtpmCmd.SHUTDOWN:
    case SwtpmCmd.STOP:
      return res(Tpm2Op.STOP);
    case SwtpmCmd.GET_TPMESTABLISHED: {
      const r = await tpm2(target, Tpm2Op.GET_ESTABLISHED, new Uint8Array(0));
      return new TpmWriter(8).u32(resultOf(r.status)).u8(r.body[0] ?? 0).u8(0).u8(0).u8(0).finish();
    }
    case SwtpmCmd.SET_LOCALITY:
      return res(Tpm2Op.SET_LOCALITY, p.subarray(0, 1));
    case SwtpmCmd.HASH_START:
      return res(Tpm2Op.HASH_START);
    case SwtpmCmd.HASH_DATA:
      return res(Tpm2Op.HASH_DATA, p.subarray(4));
    case SwtpmCmd.HASH_END:
      return res(Tpm2Op.HASH_END);
    case SwtpmCmd.CANCEL_TPM_CMD:
    case SwtpmCmd.STORE_VOLATILE:
      return u32(SwtpmResult.SUCCESS);
    case SwtpmCmd.RESET_TPMESTABLISHED:
      return res(Tpm2Op.RESET_ESTABLISHED, p.subarray(0, 1));
    case SwtpmCmd.GET_CONFIG:
      return new TpmWriter(8).u32(0).u32(0).finish();
    case SwtpmCmd.SET_BUFFERSIZE: {
      const want = new DataView(p.buffer, p.byteOffset).getUint32(0);
      if (want !== 0) {
        if (want < 2808 || want > 4096) return new TpmWriter(16).u32(SwtpmResult.BAD_PARAMETER).u32(bs.get()).u32(2808).u32(4096).finish();
        bs.set(want);
      }
      return new TpmWriter(16).u32(0).u32(bs.get()).u32(2808).u32(4096).finish();
    }
    case SwtpmCmd.GET_INFO: {
      const v = new DataView(p.buffer, p.byteOffset);
      const flags = v.getBigUint64(0);
      const offset = v.getUint32(8);
      const parts: string[] = [];
      if (flags & SWTPM_INFO_TPMSPECIFICATION) parts.push('"TPMSpecification":{"family":"2.0","level":0,"revision":159}');
      if (flags & SWTPM_INFO_TPMATTRIBUTES) parts.push(`"TPMAttributes":{"manufacturer":"id:46575345","version":"id:00010000","model":"${o.model ?? 'fwsec reference'}"}`);
      const text = new TextEncoder().encode(`{${parts.join(',')}}\0`);
      if (offset >= text.length - 1) return u32(SwtpmResult.BAD_PARAMETER);
      const chunk = text.subarray(offset, Math.min(text.length, offset + 3072));
      return new TpmWriter(12 + chunk.length).u32(0).u32(text.length).u32(chunk.length).bytes(chunk).finish();
    }
    default:
      return u32(SwtpmResult.BAD_ORDINAL);
  }
}

type OnConn = (s: Socket) => void | Promise<void>;

function listen(host: string, port: number, onConn: OnConn, log?: (l: string) => void): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('error', (e) => log?.(`${sock.remoteAddress}:${sock.remotePort}: ${e.message}`));
    sock.on('close', () => sockets.delete(sock));
    Promise.resolve(onConn(sock)).catch(() => sock.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : port, sockets });
    });
  });
}

function closeAll(l: { server: Server; sockets: Set<Socket> }): Promise<void> {
  return new Promise((res) => {
    for (const s of l.sockets) s.destroy();
    l.server.close(() => res());
  });
}

/**
 * Listens on PORT and PORT+1 (swtpm: data and control; mssim: commands and
 * platform). PORT 0 picks a free pair.
 */
export async function listenPortPair(scheme: string, host: string, port: number, first: OnConn, second: OnConn, log?: (l: string) => void): Promise<Listening> {
  for (let attempt = 0; ; attempt++) {
    const a = await listen(host, port, first, log);
    try {
      const b = await listen(host, a.port + 1, second, log);
      const shown = host.includes(':') ? `[${host}]` : host;
      return {
        uri: `${scheme}://${shown}:${a.port}`,
        port: a.port,
        close: async () => {
          await closeAll(a);
          await closeAll(b);
        },
      };
    } catch (e) {
      await closeAll(a);
      // PORT+1 taken: with a chosen port that is the user's problem, with port 0 try another pair
      if (port !== 0 || attempt > 20) throw e;
    }
  }
}

/** Listens on PORT (data) and PORT+1 (control). PORT 0 picks a free pair. */
export function listenSwtpm(target: FrameHandler, host: string, port: number, o: TpmPortOptions = {}): Promise<Listening> {
  return listenPortPair('swtpm', host, port, (s) => serveTpmData(target, s, o), (s) => serveTpmControl(target, s, o), o.log);
}
