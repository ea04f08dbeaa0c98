// Fault-injected TPMs: the reference TPM with one behaviour broken at the
// command interface, each modelled on a bug seen in the field.
import { SERVICES } from '../../protocol/services.js';
import { CC } from '../../protocol/tpm2/constants.js';
import { errorResponse } from '../../protocol/tpm2/command.js';
import { Tpm2Op } from '../../protocol/tpm2/platform.js';
import { RC, rcP } from '../../protocol/tpm2/rc.js';
import type { ServiceResponse } from '../../protocol/services.js';
import { registerFault, type Next } from './faults.js';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
const ccOf = (cmd: Uint8Array) => (cmd.length >= 10 ? dv(cmd).getUint32(6) : -1);
const rcOf = (resp: Uint8Array) => (resp.length >= 10 ? dv(resp).getUint32(6) : -1);
const answer = (rc: number): ServiceResponse => ({ status: 0, body: errorResponse(rc) });

/** Offset of the parameter area of a command with `handles` handles. */
function paramsAt(cmd: Uint8Array, handles: number): number {
  const h = 10 + 4 * handles;
  return dv(cmd).getUint16(0) === 0x8002 ? h + 4 + dv(cmd).getUint32(h) : h;
}

function submit(handle: (cmd: Uint8Array, next: Next) => Promise<ServiceResponse | undefined>) {
  return (name: string) =>
    registerFault(name, {
      service: SERVICES.tpm2,
      handle: (op, body, next) => (op === Tpm2Op.SUBMIT ? handle(body, next) : next(op, body)),
    });
}

/** edk2#10107: a TPM (or driver) answering a bad command tag with TPM 1.2's TPM_BADTAG 0x030 instead of TPM_RC_BAD_TAG 0x01E. */
export const BAD_TAG_030 = submit(async (cmd, next) => {
  const r = await next(Tpm2Op.SUBMIT, cmd);
  return r && rcOf(r.body) === RC.BAD_TAG ? answer(0x030) : r;
})('tpm2-bad-tag-030');

/** system76/firmware-open#427: Startup(STATE) on S3 resume refused with TPM_RC_VALUE + P1 although Shutdown(STATE) preceded it. */
export const RESUME_REFUSED = submit(async (cmd, next) => {
  if (ccOf(cmd) === CC.Startup && cmd.length === 12 && cmd[11] === 1) return answer(rcP(RC.VALUE, 1));
  return next(Tpm2Op.SUBMIT, cmd);
})('tpm2-resume-refused');

/** flightctl#3126: TPM_PT_NV_BUFFER_MAX reports 1024 but NV_Write / NV_Read above 768 bytes fail with TPM_RC_SIZE. */
export const NV_BUFFER_LIES = submit(async (cmd, next) => {
  const cc = ccOf(cmd);
  if ((cc === CC.NV_Write || cc === CC.NV_Read) && cmd.length >= 22) {
    const p = paramsAt(cmd, 2);
    if (p + 2 <= cmd.length && dv(cmd).getUint16(p) > 768) return answer(rcP(RC.SIZE, 1));
  }
  return next(Tpm2Op.SUBMIT, cmd);
})('tpm2-nv-buffer-lies');

/** Dasharo/dasharo-issues#767: a command listed in TPM_CAP_COMMANDS (here TPM2_StirRandom) answers TPM_RC_COMMAND_CODE. */
export const LISTED_NOT_IMPLEMENTED = submit(async (cmd, next) => (ccOf(cmd) === CC.StirRandom ? answer(RC.COMMAND_CODE) : next(Tpm2Op.SUBMIT, cmd)))('tpm2-listed-not-implemented');

/** PC Client PCR attributes wrong: PCR 20 (locality 2 only) resets from any locality. */
export const PCR20_RESET_ANY_LOCALITY = registerFault('tpm2-pcr20-reset-any-locality', {
  service: SERVICES.tpm2,
  handle: async (op, body, next) => {
    if (op !== Tpm2Op.SUBMIT || ccOf(body) !== CC.PCR_Reset || body.length < 14 || dv(body).getUint32(10) !== 20) return next(op, body);
    const loc = (await next(Tpm2Op.GET_LOCALITY, new Uint8Array(0)))!.body[0]!;
    await next(Tpm2Op.SET_LOCALITY, new Uint8Array([2]));
    try {
      return await next(op, body);
    } finally {
      await next(Tpm2Op.SET_LOCALITY, new Uint8Array([loc]));
    }
  },
});

/** ESAPI TSS2_ESYS_RC_RSP_AUTH_FAILED: a response HMAC computed wrongly (last octet of a 32-byte acknowledgment flipped). */
export const BAD_RESPONSE_HMAC = submit(async (cmd, next) => {
  const r = await next(Tpm2Op.SUBMIT, cmd);
  if (!r) return r;
  const b = r.body;
  if (b.length >= 44 && dv(b).getUint16(0) === 0x8002 && rcOf(b) === 0 && dv(b).getUint16(b.length - 34) === 32) {
    const out = b.slice();
    out[out.length - 1]! ^= 0x01;
    return { status: r.status, body: out };
  }
  return r;
})('tpm2-bad-response-hmac');

/** tpm2-tss#1585 / libtpms#497: TPM_RC_RETRY on the first NV_Write of each index, TPM_RC_TESTING on the first TPM2_Hash after each Startup. */
export const RETRY_AND_TESTING = (() => {
  const seen = new Set<number>();
  let hashed = false;
  return submit(async (cmd, next) => {
    const cc = ccOf(cmd);
    if (cc === CC.Startup) hashed = false;
    if (cc === CC.NV_Write && cmd.length >= 18) {
      const ix = dv(cmd).getUint32(14);
      if (!seen.has(ix)) {
        seen.add(ix);
        return answer(RC.RETRY);
      }
    }
    if (cc === CC.Hash && !hashed) {
      hashed = true;
      return answer(RC.TESTING);
    }
    return next(Tpm2Op.SUBMIT, cmd);
  })('tpm2-retry-and-testing');
})();

/** An NV implementation that ignores the offset of TPM2_NV_Write and always writes at 0. */
export const NV_WRITE_OFFSET_IGNORED = submit(async (cmd, next) => {
  if (ccOf(cmd) === CC.NV_Write && cmd.length >= 22) {
    const p = paramsAt(cmd, 2);
    const at = p + 2 <= cmd.length ? p + 2 + dv(cmd).getUint16(p) : cmd.length;
    if (at + 2 <= cmd.length) {
      const m = cmd.slice();
      dv(m).setUint16(at, 0);
      return next(Tpm2Op.SUBMIT, m);
    }
  }
  return next(Tpm2Op.SUBMIT, cmd);
})('tpm2-nv-write-offset-ignored');

/** A TPM that extends only the first digest of TPM2_PCR_Extend's TPML_DIGEST_VALUES (other banks silently unchanged). */
export const PCR_EXTEND_FIRST_BANK_ONLY = submit(async (cmd, next) => {
  if (ccOf(cmd) === CC.PCR_Extend && cmd.length >= 22) {
    const p = paramsAt(cmd, 1);
    if (p + 6 <= cmd.length && dv(cmd).getUint32(p) > 1) {
      const size = { 0x0004: 20, 0x000b: 32, 0x000c: 48, 0x000d: 64 }[dv(cmd).getUint16(p + 4)];
      if (size !== undefined && p + 6 + size <= cmd.length) {
        const m = cmd.slice(0, p + 6 + size);
        dv(m).setUint32(p, 1);
        dv(m).setUint32(2, m.length);
        return next(Tpm2Op.SUBMIT, m);
      }
    }
  }
  return next(Tpm2Op.SUBMIT, cmd);
})('tpm2-pcr-extend-first-bank-only');

/** Rewrites the response code of every answer with `f` (undefined: unchanged), keeping the response otherwise. */
function rewriteRc(name: string, f: (rc: number) => number | undefined): string {
  return submit(async (cmd, next) => {
    const r = await next(Tpm2Op.SUBMIT, cmd);
    if (!r) return r;
    const rc = rcOf(r.body);
    const to = rc > 0 ? f(rc) : undefined;
    return to === undefined ? r : answer(to);
  })(name);
}
const FMT1 = 0x080;
const P = 0x040;
const S = 0x800;
const N_SHIFT = 8;

/**
 * The parameter number of format-one codes counted from 0, or off by one
 * (a marshalling table indexed from the wrong end): TPM_RC_VALUE + P1 (0x1c4)
 * answered as + P2 (0x2c4).
 */
export const PARAM_NUMBER_OFF = rewriteRc('tpm2-param-number-off', (rc) => {
  if (!(rc & FMT1) || !(rc & P)) return undefined;
  const n = (rc >> N_SHIFT) & 0xf;
  return (rc & ~(0xf << N_SHIFT)) | (((n % 15) + 1) << N_SHIFT);
});

/** Handle numbers of format-one codes swapped (1 <-> 2): the error blamed on the wrong handle. */
export const HANDLE_NUMBER_SWAPPED = rewriteRc('tpm2-handle-number-swapped', (rc) => {
  if (!(rc & FMT1) || rc & P || rc & S) return undefined;
  const n = (rc >> N_SHIFT) & 0x7;
  if (n !== 1 && n !== 2) return undefined;
  return (rc & ~(0x7 << N_SHIFT)) | ((3 - n) << N_SHIFT);
});

/** Session errors without the session number (TPM_RC_BAD_AUTH + session 1, 0x9a2, answered as 0x0a2). */
export const SESSION_NUMBER_DROPPED = rewriteRc('tpm2-session-number-dropped', (rc) => (rc & FMT1 && !(rc & P) && rc & S ? rc & ~(S | (0x7 << N_SHIFT)) : undefined));

/** TPM2_GetRandom answering fewer bytes than asked although the request is within TPM_PT_MAX_DIGEST (a TRNG FIFO read once). */
export const GETRANDOM_SHORT = submit(async (cmd, next) => {
  const r = await next(Tpm2Op.SUBMIT, cmd);
  if (!r || ccOf(cmd) !== CC.GetRandom || rcOf(r.body) !== 0 || r.body.length < 12) return r;
  const n = dv(r.body).getUint16(10);
  if (n < 2) return r;
  const half = n >> 1;
  const out = r.body.slice(0, 12 + half);
  dv(out).setUint32(2, out.length);
  dv(out).setUint16(10, half);
  return { status: r.status, body: out };
})('tpm2-getrandom-short');

/** TPM2_FlushContext acknowledged but the object or session kept loaded (the resource leak the tpm2-tss tests look for). */
export const FLUSH_IGNORED = submit(async (cmd, next) => (ccOf(cmd) === CC.FlushContext && cmd.length >= 14 ? answer(0) : next(Tpm2Op.SUBMIT, cmd)))('tpm2-flush-ignored');
