// Shared by the device transports that carry exactly one service
// (tpm:// -> tpm2, mmc:// -> rpmb) through one opcode of that service: the
// channel factory that refuses every other service and opcode as unsupported,
// so a check that needs a platform signal or a test hook the device cannot
// express gets UNSUPPORTED, not a misread body.
import type { ServiceName, ServiceResponse } from '../protocol/services.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

export function singleServiceTransport(
  uri: URL,
  env: TransportEnv,
  service: ServiceName,
  opcode: { value: number; name: string },
  carries: string,
  call: (body: Uint8Array, timeoutMs: number) => Promise<ServiceResponse>,
  close: () => Promise<void>,
): Transport {
  const channel = (s: ServiceName): Channel => ({
    uri: uri.href,
    service: s,
    carries: (op) => s === service && op === opcode.value,
    call: async (op: number, body: Uint8Array, opts: CallOptions = {}) => {
      if (s !== service) {
        throw new TransportError('unsupported', `${uri.href} carries ${carries} only, not ${s}${s === 'control' ? ' (a device has no fwsec control service)' : ''}`);
      }
      if (op !== opcode.value) {
        throw new TransportError('unsupported', `${uri.href} carries ${service} opcode ${opcode.value} (${opcode.name}) only, not opcode 0x${op.toString(16)}`);
      }
      return call(body, opts.timeoutMs ?? env.callTimeoutMs);
    },
  });
  return { uri: uri.href, channel, close };
}
