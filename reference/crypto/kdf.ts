// Key derivation algorithms of the reference (PSA Crypto 1.2.1 §10.6.1):
// which input steps each takes and in what order, the initial capacity,
// and the output stream. HKDF and PBKDF2 from @noble/hashes; the TLS 1.2
// PRF (RFC 5246 §5) and PSK-to-MS (RFC 4279 §2) are built on its HMAC.
import { expand as hkdfExpandFn, extract as hkdfExtractFn } from '@noble/hashes/hkdf.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName, stepName } from '../../protocol/psa/crypto/names.js';
import { concat } from '../../protocol/bytes.js';
import { fail } from './errors.js';
import { hashFn, hmacOnce } from './primitives.js';

const { KdfStep } = C;

interface StepRule {
  step: number;
  optional?: boolean;
  /** May be given several times in a row (PBKDF2 salt: the inputs are concatenated). */
  repeatable?: boolean;
  /** May be given at any point before output (HKDF info). */
  anytime?: boolean;
  /** Must be a direct integer input (psa_key_derivation_input_integer). */
  integer?: boolean;
}

export interface KdfSpec {
  alg: number;
  hash: number;
  steps: StepRule[];
  capacity: number;
  /** Input steps whose value makes output_key permissible when it came from a key. */
  secretSteps: number[];
}

/** PSA_TLS12_PSK_TO_MS_PSK_MAX_SIZE */
export const TLS12_PSK_MAX = 64;
export const UNLIMITED_CAPACITY = Number.MAX_SAFE_INTEGER;

export function kdfSpec(alg: number): KdfSpec {
  const h = C.hashOf(alg);
  const hLen = C.hashLength(h);
  if (h && hLen) hashFn(h); // NOT_SUPPORTED for hashes the reference lacks
  if (C.isHkdf(alg)) {
    return {
      alg,
      hash: h,
      steps: [{ step: KdfStep.SALT, optional: true }, { step: KdfStep.SECRET }, { step: KdfStep.INFO, anytime: true }],
      capacity: 255 * hLen,
      secretSteps: [KdfStep.SECRET],
    };
  }
  if (C.isHkdfExtract(alg)) {
    return { alg, hash: h, steps: [{ step: KdfStep.SALT }, { step: KdfStep.SECRET }], capacity: hLen, secretSteps: [KdfStep.SECRET] };
  }
  if (C.isHkdfExpand(alg)) {
    return { alg, hash: h, steps: [{ step: KdfStep.SECRET }, { step: KdfStep.INFO }], capacity: 255 * hLen, secretSteps: [KdfStep.SECRET] };
  }
  if (C.isTls12Prf(alg)) {
    return {
      alg,
      hash: h,
      steps: [{ step: KdfStep.SEED }, { step: KdfStep.SECRET }, { step: KdfStep.LABEL }],
      capacity: UNLIMITED_CAPACITY,
      secretSteps: [KdfStep.SECRET],
    };
  }
  if (C.isTls12PskToMs(alg)) {
    return {
      alg,
      hash: h,
      steps: [{ step: KdfStep.SEED }, { step: KdfStep.OTHER_SECRET, optional: true }, { step: KdfStep.SECRET }, { step: KdfStep.LABEL }],
      capacity: UNLIMITED_CAPACITY,
      secretSteps: [KdfStep.SECRET],
    };
  }
  if (C.isPbkdf2Hmac(alg)) {
    return {
      alg,
      hash: h,
      steps: [{ step: KdfStep.COST, integer: true }, { step: KdfStep.SALT, repeatable: true }, { step: KdfStep.PASSWORD }],
      capacity: Math.min(UNLIMITED_CAPACITY, 0xffffffff * hLen),
      secretSteps: [KdfStep.PASSWORD],
    };
  }
  if (C.isKeyDerivation(alg)) return fail(PSA.ERROR_NOT_SUPPORTED, `key derivation ${algName(alg)} is not implemented`);
  return fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a key derivation algorithm`);
}

/** Tracks the inputs of one derivation and enforces the step order. */
export class KdfInputs {
  readonly values = new Map<number, Uint8Array>();
  cost?: bigint;
  private last = -1;

  constructor(readonly spec: KdfSpec) {}

  /** BAD_STATE for a step out of order or repeated; INVALID_ARGUMENT for a step the algorithm does not take. */
  accept(step: number, kind: 'bytes' | 'key' | 'integer'): void {
    const idx = this.spec.steps.findIndex((s) => s.step === step);
    if (idx < 0) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(this.spec.alg)} takes no ${stepName(step)} input`);
    const rule = this.spec.steps[idx]!;
    if (rule.integer && kind !== 'integer') fail(PSA.ERROR_INVALID_ARGUMENT, `${stepName(step)} must be a numeric input (psa_key_derivation_input_integer)`);
    if (!rule.integer && kind === 'integer') fail(PSA.ERROR_INVALID_ARGUMENT, `${stepName(step)} does not take a numeric input`);
    const given = this.values.has(step) || (rule.integer && this.cost !== undefined);
    if (rule.anytime) {
      if (given) fail(PSA.ERROR_BAD_STATE, `${stepName(step)} was already given`);
      return;
    }
    if (given && !(rule.repeatable && this.last === idx)) fail(PSA.ERROR_BAD_STATE, `${stepName(step)} was already given`);
    if (idx < this.last) fail(PSA.ERROR_BAD_STATE, `${stepName(step)} comes before ${stepName(this.spec.steps[this.last]!.step)}`);
    for (let i = 0; i < idx; i++) {
      const r = this.spec.steps[i]!;
      if (r.anytime || r.optional) continue;
      if (!this.values.has(r.step) && !(r.integer && this.cost !== undefined)) {
        fail(PSA.ERROR_BAD_STATE, `${stepName(step)} before the required ${stepName(r.step)}`);
      }
    }
    this.last = idx;
  }

  set(step: number, value: Uint8Array): void {
    const old = this.values.get(step);
    this.values.set(step, old ? concat(old, value) : value.slice());
  }

  get complete(): boolean {
    return this.spec.steps.every((r) => r.optional || (r.integer ? this.cost !== undefined : this.values.has(r.step)));
  }
}

function pHash(hash: number, secret: Uint8Array, seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let a = seed;
  let off = 0;
  while (off < len) {
    a = hmacOnce(hash, secret, a);
    const block = hmacOnce(hash, secret, concat(a, seed));
    out.set(block.subarray(0, Math.min(block.length, len - off)), off);
    off += block.length;
  }
  return out;
}

/** The first `len` bytes of the derivation's output stream. */
export function kdfOutput(inputs: KdfInputs, len: number): Uint8Array {
  const { spec, values } = inputs;
  const get = (s: number) => values.get(s) ?? new Uint8Array(0);
  const h = hashFn(spec.hash);
  if (C.isHkdf(spec.alg)) return hkdfExpandFn(h, hkdfExtractFn(h, get(KdfStep.SECRET), get(KdfStep.SALT)), get(KdfStep.INFO), len);
  if (C.isHkdfExtract(spec.alg)) return hkdfExtractFn(h, get(KdfStep.SECRET), get(KdfStep.SALT)).slice(0, len);
  if (C.isHkdfExpand(spec.alg)) return hkdfExpandFn(h, get(KdfStep.SECRET), get(KdfStep.INFO), len);
  if (C.isTls12Prf(spec.alg)) return pHash(spec.hash, get(KdfStep.SECRET), concat(get(KdfStep.LABEL), get(KdfStep.SEED)), len);
  if (C.isTls12PskToMs(spec.alg)) {
    const psk = get(KdfStep.SECRET);
    const other = values.get(KdfStep.OTHER_SECRET) ?? new Uint8Array(psk.length);
    const u16 = (n: number) => new Uint8Array([n >> 8, n & 0xff]);
    const pms = concat(u16(other.length), other, u16(psk.length), psk);
    return pHash(spec.hash, pms, concat(get(KdfStep.LABEL), get(KdfStep.SEED)), len);
  }
  if (C.isPbkdf2Hmac(spec.alg)) {
    return pbkdf2(h, get(KdfStep.PASSWORD), get(KdfStep.SALT), { c: Number(inputs.cost!), dkLen: len });
  }
  return fail(PSA.ERROR_NOT_SUPPORTED, `key derivation ${algName(spec.alg)} is not implemented`);
}
