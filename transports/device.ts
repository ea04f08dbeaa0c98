// Shared by the device transports that carry exactly one service
// (tpm:// -> tpm2, mmc:// -> rpmb): the channel factory that refuses the others.
import type { ServiceName, ServiceResponse } from '../protocol/services.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

export function singleServiceTransport(
  uri: URL,
  env: TransportEnv,
  service: ServiceName,
  carries: string,
  call: (body: Uint8Array, timeoutMs: number) => Promise<ServiceResponse>,
  close: () => Promise<void>,
): Transport {
  const channel = (s: ServiceName): Channel => ({
    uri: uri.href,
    service: s,
    call: async (_opcode: number, body: Uint8Array, opts: CallOptions = {}) => {
      if (s !== service) {
        throw new TransportError('unsupported', `${uri.href} carries ${carries} only, not ${s}${s === 'control' ? ' (a device has no fwsec control service)' : ''}`);
      }
      return call(body, opts.timeoutMs ?? env.callTimeoutMs);
    },
  });
  return { uri: uri.href, channel, close };
}
