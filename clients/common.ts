// Shared by every client: turning an undecodable answer into a transport
// failure (verdict ERROR: the target answered garbage, not a finding).
import { DecodeError } from '../protocol/bytes.js';
import { TransportError } from '../transports/types.js';

export function decodeAnswer<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new TransportError('protocol', `undecodable answer to ${what}: ${e.message}`);
    }
    throw e;
  }
}
