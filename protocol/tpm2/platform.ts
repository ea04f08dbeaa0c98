// The tpm2 service in the fwsec envelope (service id 5): opcode 0 carries
// one TPM command and its response, raw; the other opcodes are the platform
// signals a TPM receives outside its command stream (_TPM_Init, locality,
// the DRTM _TPM_Hash_Start/Data/End sequence, TPM_ACCESS.tpmEstablishment).
// Layouts in docs/tpm2.md, "Envelope bodies".

export const Tpm2Op = {
  /** body: command bytes -> body: response bytes (status 0; the TPM's own code is inside). */
  SUBMIT: 0,
  /** _TPM_Init: power cycle; volatile state is lost, the TPM waits for TPM2_Startup. Empty bodies. */
  INIT: 1,
  /** body: u8 locality (0-4) -> empty. Later SUBMITs run at this locality. */
  SET_LOCALITY: 2,
  /** _TPM_Hash_Start (locality 4). */
  HASH_START: 3,
  /** _TPM_Hash_Data: body = the data. */
  HASH_DATA: 4,
  /** _TPM_Hash_End. */
  HASH_END: 5,
  /** -> body: u8 tpmEstablished bit. */
  GET_ESTABLISHED: 6,
  /** Clears tpmEstablished; needs locality 3 or 4 (body: u8 locality, as swtpm's control channel). */
  RESET_ESTABLISHED: 7,
  /** -> body: u8 current locality. */
  GET_LOCALITY: 8,
  /** Stops the TPM: every command answers TPM_RC_FAILURE until INIT (swtpm CMD_STOP). */
  STOP: 9,
} as const;

export const Tpm2PlatformStatus = {
  OK: 0,
  NOT_SUPPORTED: 1,
  BAD_PARAMETER: 2,
  BAD_LOCALITY: 3,
  FAILED: 4,
  /** The TPM is stopped or not initialised. */
  NOT_RUNNING: 5,
} as const;

const OP_NAMES = new Map<number, string>(Object.entries(Tpm2Op).map(([k, v]) => [v, k]));
const STATUS_NAMES = new Map<number, string>(Object.entries(Tpm2PlatformStatus).map(([k, v]) => [v, k]));

export function tpm2OpName(op: number): string {
  return OP_NAMES.get(op) ?? `TPM2_OP_${op}`;
}

export function tpm2PlatformStatusName(code: number): string {
  return `TPM2_PLATFORM_${STATUS_NAMES.get(code) ?? `STATUS_${code}`} (${code})`;
}
