// Key policy (PSA Crypto 1.2.1 §9.5): does a key's permitted-algorithm
// policy permit the algorithm of an operation, and the policy of a copy
// (§9.6.1 psa_copy_key: both sets of restrictions apply).
import * as C from '../../protocol/psa/crypto/constants.js';

const { Alg, Usage } = C;

/** True when `policy` (a key's permitted algorithm) permits `requested` (an operation's algorithm). */
export function algPermits(policy: number, requested: number): boolean {
  policy >>>= 0;
  requested >>>= 0;
  if (policy === Alg.NONE || requested === Alg.NONE) return false;
  if (policy === requested) return true;
  // a signature scheme with PSA_ALG_ANY_HASH permits the scheme with any hash;
  // RSA_PKCS1V15_SIGN(ANY_HASH) also permits RSA_PKCS1V15_SIGN_RAW
  if (C.isSign(policy) && C.hashOf(policy) === Alg.ANY_HASH) {
    if (C.isRsaPkcs1v15Sign(policy) && requested === Alg.RSA_PKCS1V15_SIGN_RAW) return true;
    return C.signBaseOf(policy) === C.signBaseOf(requested) && C.hashOf(requested) !== 0 && C.hashOf(requested) !== Alg.ANY_HASH;
  }
  // AT_LEAST_THIS_LENGTH_MAC(base, min): same base MAC, length >= min
  if (C.isMac(policy) && C.isMac(requested) && C.hasAtLeastFlag(policy) && !C.hasAtLeastFlag(requested)) {
    if (C.macBaseOf(policy) !== C.macBaseOf(requested)) return false;
    const min = C.macTruncationOf(policy);
    const len = C.macTruncationOf(requested);
    // an untruncated MAC has its full length, which is at least any valid minimum
    return len === 0 || len >= min;
  }
  // AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(base, min)
  if (C.isAead(policy) && C.isAead(requested) && C.hasAtLeastFlag(policy) && !C.hasAtLeastFlag(requested)) {
    if (C.aeadWithDefaultLengthTag(policy) !== C.aeadWithDefaultLengthTag(requested)) return false;
    return C.aeadTagLengthOf(requested) >= C.aeadTagLengthOf(policy);
  }
  // a standalone key agreement permits it combined with any KDF
  if (C.isStandaloneKeyAgreement(policy) && C.isKeyAgreement(requested)) {
    return C.kaBaseOf(requested) === policy;
  }
  return false;
}

/** The usage flags a key reports and holds: SIGN_HASH implies SIGN_MESSAGE, VERIFY_HASH implies VERIFY_MESSAGE. */
export function effectiveUsage(usage: number): number {
  let u = usage >>> 0;
  if (u & Usage.SIGN_HASH) u |= Usage.SIGN_MESSAGE;
  if (u & Usage.VERIFY_HASH) u |= Usage.VERIFY_MESSAGE;
  return u >>> 0;
}

/**
 * The permitted algorithm of a copy: the same algorithm when both permit
 * it; the specific one when the other is a wildcard that includes it;
 * undefined when they have nothing in common.
 */
export function intersectAlg(a: number, b: number): number | undefined {
  a >>>= 0;
  b >>>= 0;
  if (a === b) return a;
  if (a === Alg.NONE || b === Alg.NONE) return undefined;
  if (algPermits(a, b) && !C.isWildcardPolicy(b)) return b;
  if (algPermits(b, a) && !C.isWildcardPolicy(a)) return a;
  // two wildcards of the same kind: the stricter one
  if (C.isMac(a) && C.isMac(b) && C.hasAtLeastFlag(a) && C.hasAtLeastFlag(b) && C.macBaseOf(a) === C.macBaseOf(b)) {
    return C.macTruncationOf(a) >= C.macTruncationOf(b) ? a : b;
  }
  if (C.isAead(a) && C.isAead(b) && C.hasAtLeastFlag(a) && C.hasAtLeastFlag(b) && C.aeadWithDefaultLengthTag(a) === C.aeadWithDefaultLengthTag(b)) {
    return C.aeadTagLengthOf(a) >= C.aeadTagLengthOf(b) ? a : b;
  }
  return undefined;
}
