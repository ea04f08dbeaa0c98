// `fwsec serve --mssim tcp://HOST:PORT`: the reference TPM behind the
// Microsoft simulator's TCP protocol (TpmTcpProtocol.h): command port PORT
// (TPM_SEND_COMMAND with locality, _TPM_Hash_Start/Data/End, session end,
// handshake), platform port PORT+1 (power, NV, cancel, physical presence,
// reset); every platform signal is acknowledged with u32 0. While powered
// off a command answers a zero-length response, as the simulator does.
import type { Socket } from 'node:net';
import { TpmWriter } from '../../protocol/tpm2/marshal.js';
import { MSSIM_MAX_COMMAND, MssimCmd } from '../../protocol/tpm2/mssim.js';
import { Tpm2Op, Tpm2PlatformStatus } from '../../protocol/tpm2/platform.js';
import { SERVICES } from '../../protocol/services.js';
import type { FrameHandler } from './envelope.js';
import type { Listening } from './tcp.js';
import { listenPortPair, type TpmPortOptions } from './swtpm.js';

const TPM2 = SERVICES.tpm2;
const u32 = (v: number) => new TpmWriter(4).u32(v).finish();

interface SimState {
  powered: boolean;
}

async function op(target: FrameHandler, code: number, body: Uint8Array = new Uint8Array(0)): Promise<{ status: number; body: Uint8Array }> {
  return (await target.handle(TPM2, code, body)) ?? { status: Tpm2PlatformStatus.NOT_SUPPORTED, body: new Uint8Array(0) };
}

/** A byte reader over a socket: `need(n)` resolves when n bytes are buffered. */
class SockReader {
  private buf = new Uint8Array(0);
  private waiting: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void } | undefined;
  private closed = false;
  constructor(sock: Socket) {
    sock.on('data', (d: Buffer) => {
      const m = new Uint8Array(this.buf.length + d.length);
      m.set(this.buf);
      m.set(d, this.buf.length);
      this.buf = m;
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiting?.reject(new Error('closed'));
      this.waiting = undefined;
    });
  }
  private wake(): void {
    const w = this.waiting;
    if (w && this.buf.length >= w.n) {
      this.waiting = undefined;
      const out = this.buf.slice(0, w.n);
      this.buf = this.buf.slice(w.n);
      w.resolve(out);
    }
  }
  read(n: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('closed'));
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.wake();
    });
  }
  async u32(): Promise<number> {
    const b = await this.read(4);
    return new DataView(b.buffer, b.byteOffset).getUint32(0);
  }
}

async function serveCommandPort(target: FrameHandler, sock: Socket, st: SimState, o: TpmPortOptions): Promise<void> {
  const r = new SockReader(sock);
  const write = (b: Uint8Array) => !sock.destroyed && sock.write(b);
  for (;;) {
    const cmd = await r.u32();
    switch (cmd) {
      case MssimCmd.SEND_COMMAND: {
        const loc = (await r.read(1))[0]!;
        const len = await r.u32();
        if (len > MSSIM_MAX_COMMAND) {
          sock.destroy();
          return;
        }
        const body = await r.read(len);
        if (!st.powered) {
          write(new TpmWriter(8).u32(0).u32(0).finish());
          break;
        }
        await op(target, Tpm2Op.SET_LOCALITY, new Uint8Array([loc > 4 ? 0 : loc]));
        const res = await op(target, Tpm2Op.SUBMIT, body);
        const resp = res.body;
        write(new TpmWriter(resp.length + 8).u32(resp.length).bytes(resp).u32(0).finish());
        break;
      }
      case MssimCmd.SIGNAL_HASH_START:
        await op(target, Tpm2Op.HASH_START);
        write(u32(0));
        break;
      case MssimCmd.SIGNAL_HASH_DATA: {
        const len = await r.u32();
        await op(target, Tpm2Op.HASH_DATA, await r.read(len));
        write(u32(0));
        break;
      }
      case MssimCmd.SIGNAL_HASH_END:
        await op(target, Tpm2Op.HASH_END);
        write(u32(0));
        break;
      case MssimCmd.REMOTE_HANDSHAKE: {
        await r.u32(); // client version
        write(new TpmWriter(12).u32(1).u32(0x7).u32(0).finish());
        break;
      }
      case MssimCmd.SET_ALTERNATIVE_RESULT:
        await r.u32();
        write(u32(0));
        break;
      case MssimCmd.GET_COMMAND_RESPONSE_SIZES:
        write(new TpmWriter(12).u32(MSSIM_MAX_COMMAND).u32(MSSIM_MAX_COMMAND).u32(0).finish());
        break;
      case MssimCmd.SESSION_END:
        sock.end();
        return;
      case MssimCmd.STOP:
        write(u32(0));
        sock.end();
        return;
      default:
        o.log?.(`mssim command port: unknown code ${cmd}`);
        sock.destroy();
        return;
    }
  }
}

async function servePlatformPort(target: FrameHandler, sock: Socket, st: SimState, o: TpmPortOptions): Promise<void> {
  const r = new SockReader(sock);
  for (;;) {
    const cmd = await r.u32();
    switch (cmd) {
      case MssimCmd.SIGNAL_POWER_ON:
        if (!st.powered) {
          st.powered = true;
          await op(target, Tpm2Op.INIT);
        }
        break;
      case MssimCmd.SIGNAL_POWER_OFF:
        st.powered = false;
        await op(target, Tpm2Op.STOP);
        break;
      case MssimCmd.SIGNAL_RESET:
        await op(target, Tpm2Op.INIT);
        break;
      case MssimCmd.SIGNAL_RESTART:
        await op(target, Tpm2Op.INIT);
        break;
      case MssimCmd.SESSION_END:
        sock.end();
        return;
      case MssimCmd.STOP:
        sock.write(u32(0));
        sock.end();
        return;
      case MssimCmd.SIGNAL_PHYS_PRES_ON:
      case MssimCmd.SIGNAL_PHYS_PRES_OFF:
      case MssimCmd.SIGNAL_CANCEL_ON:
      case MssimCmd.SIGNAL_CANCEL_OFF:
      case MssimCmd.SIGNAL_NV_ON:
      case MssimCmd.SIGNAL_NV_OFF:
      case MssimCmd.SIGNAL_KEY_CACHE_ON:
      case MssimCmd.SIGNAL_KEY_CACHE_OFF:
      case MssimCmd.TEST_FAILURE_MODE:
        break;
      default:
        o.log?.(`mssim platform port: unknown code ${cmd}`);
        sock.destroy();
        return;
    }
    if (!sock.destroyed) sock.write(u32(0));
  }
}

/** Listens on PORT (commands) and PORT+1 (platform). The simulator starts powered on, as fwsec serve's TPM does. */
export function listenMssim(target: FrameHandler, host: string, port: number, o: TpmPortOptions = {}): Promise<Listening> {
  const st: SimState = { powered: true };
  return listenPortPair('mssim', host, port, (s) => serveCommandPort(target, s, st, o), (s) => servePlatformPort(target, s, st, o), o.log);
}
