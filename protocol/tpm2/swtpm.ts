// swtpm's socket interface (swtpm 0.7.1, include/swtpm/tpm_ioctl.h): the
// data channel carries raw TPM commands (one per write); the control channel
// (data port + 1) carries `u32 command code || payload` and answers the
// "resp" half of the ioctl structures. Results are TPM 1.2 return codes.
// Framing only: used by the swtpm:// transport and the --swtpm server.

export const SwtpmCmd = {
  GET_CAPABILITY: 0x01,
  INIT: 0x02,
  SHUTDOWN: 0x03,
  GET_TPMESTABLISHED: 0x04,
  SET_LOCALITY: 0x05,
  HASH_START: 0x06,
  HASH_DATA: 0x07,
  HASH_END: 0x08,
  CANCEL_TPM_CMD: 0x09,
  STORE_VOLATILE: 0x0a,
  RESET_TPMESTABLISHED: 0x0b,
  GET_STATEBLOB: 0x0c,
  SET_STATEBLOB: 0x0d,
  STOP: 0x0e,
  GET_CONFIG: 0x0f,
  SET_DATAFD: 0x10,
  SET_BUFFERSIZE: 0x11,
  GET_INFO: 0x12,
} as const;

/** PTM_CAP_* bits answered by CMD_GET_CAPABILITY. */
export const PtmCap = {
  INIT: 1 << 0,
  SHUTDOWN: 1 << 1,
  GET_TPMESTABLISHED: 1 << 2,
  SET_LOCALITY: 1 << 3,
  HASHING: 1 << 4,
  CANCEL_TPM_CMD: 1 << 5,
  STORE_VOLATILE: 1 << 6,
  RESET_TPMESTABLISHED: 1 << 7,
  GET_STATEBLOB: 1 << 8,
  SET_STATEBLOB: 1 << 9,
  STOP: 1 << 10,
  GET_CONFIG: 1 << 11,
  SET_DATAFD: 1 << 12,
  SET_BUFFERSIZE: 1 << 13,
  GET_INFO: 1 << 14,
  SEND_COMMAND_HEADER: 1 << 15,
} as const;

/** TPM 1.2 return codes swtpm uses on its control channel. */
export const SwtpmResult = {
  SUCCESS: 0x00,
  BAD_PARAMETER: 0x03,
  FAIL: 0x09,
  BAD_ORDINAL: 0x0a,
  SIZE: 0x17,
  IOERROR: 0x1f,
  BAD_LOCALITY: 0x3d,
} as const;

/** CMD_INIT flag: delete the volatile state file after reading it. */
export const PTM_INIT_FLAG_DELETE_VOLATILE = 1;
/** CMD_GET_INFO flags. */
export const SWTPM_INFO_TPMSPECIFICATION = 1n;
export const SWTPM_INFO_TPMATTRIBUTES = 2n;

/** The mssim-style prefix swtpm also accepts on its data channel: TPM_SEND_COMMAND. */
export const TPM_SEND_COMMAND = 8;

/** The answer swtpm itself gives to a command while the TPM is not running (TPM_RC_FAILURE). */
export const NOT_RUNNING_RESPONSE = Uint8Array.from([0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 0x01, 0x01]);

const CMD_NAMES = new Map<number, string>(Object.entries(SwtpmCmd).map(([k, v]) => [v, `CMD_${k}`]));
const RESULT_NAMES = new Map<number, string>(Object.entries(SwtpmResult).map(([k, v]) => [v, `TPM_${k}`]));

export function swtpmCmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `CMD_0x${cmd.toString(16)}`;
}

export function swtpmResultName(res: number): string {
  return `${RESULT_NAMES.get(res) ?? 'TPM_RESULT'} (0x${res.toString(16)})`;
}

/** Length of the fixed control reply for commands whose reply is only a result word. */
export const RESULT_ONLY_REPLY = 4;
