// psa_status_t values (PSA Certified Status code API 1.0, PSA Crypto API 1.2
// crypto.h additions) with their names, so every message says
// PSA_ERROR_NOT_PERMITTED (-133) instead of -133.

export const PSA = {
  SUCCESS: 0,
  ERROR_PROGRAMMER_ERROR: -129,
  ERROR_CONNECTION_REFUSED: -130,
  ERROR_CONNECTION_BUSY: -131,
  ERROR_GENERIC_ERROR: -132,
  ERROR_NOT_PERMITTED: -133,
  ERROR_NOT_SUPPORTED: -134,
  ERROR_INVALID_ARGUMENT: -135,
  ERROR_INVALID_HANDLE: -136,
  ERROR_BAD_STATE: -137,
  ERROR_BUFFER_TOO_SMALL: -138,
  ERROR_ALREADY_EXISTS: -139,
  ERROR_DOES_NOT_EXIST: -140,
  ERROR_INSUFFICIENT_MEMORY: -141,
  ERROR_INSUFFICIENT_STORAGE: -142,
  ERROR_INSUFFICIENT_DATA: -143,
  ERROR_SERVICE_FAILURE: -144,
  ERROR_COMMUNICATION_FAILURE: -145,
  ERROR_STORAGE_FAILURE: -146,
  ERROR_HARDWARE_FAILURE: -147,
  ERROR_INSUFFICIENT_ENTROPY: -148,
  ERROR_INVALID_SIGNATURE: -149,
  ERROR_INVALID_PADDING: -150,
  ERROR_CORRUPTION_DETECTED: -151,
  ERROR_DATA_CORRUPT: -152,
  ERROR_DATA_INVALID: -153,
  OPERATION_INCOMPLETE: -248,
} as const;

export type PsaStatusName = keyof typeof PSA;

const NAMES = new Map<number, string>(Object.entries(PSA).map(([k, v]) => [v, `PSA_${k}`]));

/** `PSA_ERROR_NOT_PERMITTED (-133)`; unknown values keep their number and hex. */
export function psaStatusName(code: number): string {
  const name = NAMES.get(code);
  if (name) return `${name} (${code})`;
  return `unknown psa_status_t ${code} (0x${(code >>> 0).toString(16).padStart(8, '0')})`;
}

/** The bare symbol, e.g. `PSA_ERROR_NOT_PERMITTED`, or the number. */
export function psaStatusSymbol(code: number): string {
  return NAMES.get(code) ?? String(code);
}

export function isPsaStatus(code: number): boolean {
  return NAMES.has(code);
}
