// The Microsoft TPM simulator's TCP protocol (ms-tpm-20-ref
// TPMCmd/Simulator/include/TpmTcpProtocol.h): a command port P and a
// platform port P+1. Every request is a big-endian u32 code; the platform
// port acknowledges each signal with u32 0. Framing only.

export const MssimCmd = {
  SIGNAL_POWER_ON: 1,
  SIGNAL_POWER_OFF: 2,
  SIGNAL_PHYS_PRES_ON: 3,
  SIGNAL_PHYS_PRES_OFF: 4,
  SIGNAL_HASH_START: 5,
  SIGNAL_HASH_DATA: 6,
  SIGNAL_HASH_END: 7,
  SEND_COMMAND: 8,
  SIGNAL_CANCEL_ON: 9,
  SIGNAL_CANCEL_OFF: 10,
  SIGNAL_NV_ON: 11,
  SIGNAL_NV_OFF: 12,
  SIGNAL_KEY_CACHE_ON: 13,
  SIGNAL_KEY_CACHE_OFF: 14,
  REMOTE_HANDSHAKE: 15,
  SET_ALTERNATIVE_RESULT: 16,
  SIGNAL_RESET: 17,
  SIGNAL_RESTART: 18,
  SESSION_END: 20,
  STOP: 21,
  GET_COMMAND_RESPONSE_SIZES: 25,
  ACT_GET_SIGNALED: 26,
  TEST_FAILURE_MODE: 30,
} as const;

const NAMES = new Map<number, string>(Object.entries(MssimCmd).map(([k, v]) => [v, `TPM_${k}`]));

export function mssimCmdName(cmd: number): string {
  return NAMES.get(cmd) ?? `TPM_CMD_${cmd}`;
}

/** Header of SEND_COMMAND: u32 8, u8 locality, u32 command length. */
export const SEND_COMMAND_HEADER = 9;
/** Largest command the simulator accepts (its buffer). */
export const MSSIM_MAX_COMMAND = 4096;
