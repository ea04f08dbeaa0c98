// mssim://host:port — a TPM behind the Microsoft simulator's TCP protocol
// (ms-tpm-20-ref tpm_server, IBM's, `fwsec serve --mssim`). Commands travel
// as TPM_SEND_COMMAND {u8 locality, u32 length, command} on port, answered
// {u32 length, response} + u32 0; the locality of every command is the one
// the last SET_LOCALITY chose (the simulator has no locality state of its
// own). Platform signals go to port+1: _TPM_Init = POWER_OFF + POWER_ON
// (+ NV_ON, as the tss TCTI does), each acknowledged with u32 0.
import { SERVICES, type ServiceName, type ServiceResponse } from '../protocol/services.js';
import { ControlOpcode, ControlStatus, encodeHello } from '../protocol/control.js';
import { MssimCmd } from '../protocol/tpm2/mssim.js';
import { Tpm2Op, Tpm2PlatformStatus } from '../protocol/tpm2/platform.js';
import { StreamConn } from './swtpm.js';
import { parseHostPort } from './tcp.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

const EMPTY = new Uint8Array(0);

const be = (...vals: [number, 1 | 4][]) => {
  const out = new Uint8Array(vals.reduce((n, [, w]) => n + w, 0));
  const v = new DataView(out.buffer);
  let o = 0;
  for (const [x, w] of vals) {
    if (w === 1) v.setUint8(o, x);
    else v.setUint32(o, x >>> 0);
    o += w;
  }
  return out;
};
const cat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const ack = () => 4;
/** {u32 length, response} + u32 0. */
const framed = (b: Uint8Array) => (b.length < 4 ? 0 : 8 + new DataView(b.buffer, b.byteOffset).getUint32(0));

export async function openMssim(uri: URL, env: TransportEnv): Promise<Transport> {
  const { host, port } = parseHostPort(uri);
  const cmd = new StreamConn(`${uri.href} command port`, host, port);
  const plat = new StreamConn(`${uri.href} platform port (${port + 1})`, host, port + 1);
  let locality = 0;
  let powered = false;
  const signal = async (code: number, ms: number) => {
    const r = await plat.request(be([code, 4]), ack, ms);
    const v = new DataView(r.buffer, r.byteOffset).getUint32(0);
    if (v !== 0) throw new TransportError('protocol', `${uri.href}: platform signal ${code} answered ${v}`);
  };
  const ensurePower = async (ms: number) => {
    if (powered) return;
    await signal(MssimCmd.SIGNAL_POWER_ON, ms);
    await signal(MssimCmd.SIGNAL_NV_ON, ms);
    powered = true;
  };
  const tpm2 = async (op: number, body: Uint8Array, ms: number): Promise<ServiceResponse> => {
    await ensurePower(ms);
    switch (op) {
      case Tpm2Op.SUBMIT: {
        const r = await cmd.request(cat(be([MssimCmd.SEND_COMMAND, 4], [locality, 1], [body.length, 4]), body), framed, ms);
        return { status: Tpm2PlatformStatus.OK, body: r.slice(4, r.length - 4) };
      }
      case Tpm2Op.INIT:
        await signal(MssimCmd.SIGNAL_POWER_OFF, ms);
        await signal(MssimCmd.SIGNAL_POWER_ON, ms);
        await signal(MssimCmd.SIGNAL_NV_ON, ms);
        locality = 0;
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      case Tpm2Op.SET_LOCALITY:
        if (body.length !== 1) return { status: Tpm2PlatformStatus.BAD_PARAMETER, body: EMPTY };
        if (body[0]! > 4) return { status: Tpm2PlatformStatus.BAD_LOCALITY, body: EMPTY };
        locality = body[0]!;
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      case Tpm2Op.GET_LOCALITY:
        return { status: Tpm2PlatformStatus.OK, body: new Uint8Array([locality]) };
      case Tpm2Op.HASH_START:
        await cmd.request(be([MssimCmd.SIGNAL_HASH_START, 4]), ack, ms);
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      case Tpm2Op.HASH_DATA:
        await cmd.request(cat(be([MssimCmd.SIGNAL_HASH_DATA, 4], [body.length, 4]), body), ack, ms);
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      case Tpm2Op.HASH_END:
        await cmd.request(be([MssimCmd.SIGNAL_HASH_END, 4]), ack, ms);
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      case Tpm2Op.STOP:
        await signal(MssimCmd.SIGNAL_POWER_OFF, ms);
        return { status: Tpm2PlatformStatus.OK, body: EMPTY };
      default:
        // the simulator protocol has no tpmEstablished signals
        return { status: Tpm2PlatformStatus.NOT_SUPPORTED, body: EMPTY };
    }
  };
  const channel = (service: ServiceName): Channel => ({
    uri: uri.href,
    service,
    call: async (opcode: number, body: Uint8Array, o: CallOptions = {}) => {
      const ms = o.timeoutMs ?? env.callTimeoutMs;
      if (service === 'tpm2') return tpm2(opcode, body, ms);
      if (service === 'control') {
        if (opcode === ControlOpcode.HELLO) {
          await ensurePower(ms);
          return { status: ControlStatus.OK, body: encodeHello({ protocolVersion: 1, maxBody: 4096, services: [SERVICES.control, SERVICES.tpm2], agent: `mssim simulator at ${host}:${port}` }) };
        }
        if (opcode === ControlOpcode.RESET) {
          await tpm2(Tpm2Op.INIT, EMPTY, ms);
          return { status: ControlStatus.OK, body: EMPTY };
        }
        return { status: ControlStatus.NOT_SUPPORTED, body: EMPTY };
      }
      throw new TransportError('unsupported', `${uri.href} carries only the tpm2 service (asked for ${service})`);
    },
  });
  return {
    uri: uri.href,
    channel,
    close: async () => {
      cmd.close();
      plat.close();
    },
  };
}
