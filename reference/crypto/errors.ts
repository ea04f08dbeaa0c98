// A PSA status raised inside the reference crypto service: the handler
// answers it as the status of the call. Anything else thrown is a
// reference bug (counted in ReferenceStack.internalErrors).
import { psaStatusName } from '../../protocol/psa/status.js';

export class PsaError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The failure leaves a multi-part operation as it was (no error state). */
    readonly keepsState = false,
  ) {
    super(`${psaStatusName(status)}: ${message}`);
    this.name = 'PsaError';
  }
}

export function fail(status: number, message: string): never {
  throw new PsaError(status, message);
}

/** A failure after which the operation stays usable (e.g. kdf INSUFFICIENT_DATA, set_capacity too large). */
export function failKeepingState(status: number, message: string): never {
  throw new PsaError(status, message, true);
}
