// Authorization computations (Part 1, 19.6 and 19.7; Part 3, 23): cpHash,
// rpHash, session keys, command and response HMACs, and the policy digest
// updates of the policy commands. Both the client and the reference TPM use
// exactly these functions; the vector tests pin them to hand-computed values.
import { cfb } from '@noble/ciphers/aes.js';
import { concat } from '../bytes.js';
import { ALG, CC } from './constants.js';
import { hash, hashSize, hmac, kdfa } from './crypto.js';
import { TpmWriter, be32 } from './marshal.js';
import { writePcrSelections, type PcrSelection } from './structures.js';

/** cpHash = H(commandCode || name1 || ... || parameters). */
export function cpHash(alg: number, cc: number, names: readonly Uint8Array[], params: Uint8Array): Uint8Array {
  return hash(alg, be32(cc), ...names, params);
}

/** rpHash = H(responseCode || commandCode || parameters); only successful responses carry one. */
export function rpHash(alg: number, rc: number, cc: number, params: Uint8Array): Uint8Array {
  return hash(alg, be32(rc), be32(cc), params);
}

/**
 * sessionKey = KDFa(authHash, bind.authValue || salt, "ATH", nonceTPM, nonceCaller, digest bits)
 * when the session is bound or salted (even if that key is empty); an Empty
 * Buffer for an unbound, unsalted session (Part 1, 19.6.8).
 */
export function sessionKey(alg: number, boundOrSalted: boolean, bindAuthAndSalt: Uint8Array, nonceTPM: Uint8Array, nonceCaller: Uint8Array): Uint8Array {
  if (!boundOrSalted) return new Uint8Array(0);
  return kdfa(alg, bindAuthAndSalt, 'ATH', nonceTPM, nonceCaller, hashSize(alg) * 8);
}

/**
 * Parameter encryption mask or key material (Part 1, 21): KDFa(authHash,
 * sessionKey || authValue, label, nonceNewer, nonceOlder, bits).
 */
export function paramKey(alg: number, key: Uint8Array, lbl: 'CFB' | 'XOR', nonceNewer: Uint8Array, nonceOlder: Uint8Array, bits: number): Uint8Array {
  return kdfa(alg, key, lbl, nonceNewer, nonceOlder, bits);
}

/** Trailing zero bytes removed (Part 1, 19.6.4: authValues are compared and used without them). */
export function stripZeros(auth: Uint8Array): Uint8Array {
  let n = auth.length;
  while (n > 0 && auth[n - 1] === 0) n--;
  return auth.subarray(0, n);
}

/**
 * Command HMAC: HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM
 * [|| nonceTPMdecrypt] [|| nonceTPMencrypt] || sessionAttributes).
 */
export function commandHmac(
  alg: number,
  key: Uint8Array,
  cp: Uint8Array,
  nonceCaller: Uint8Array,
  nonceTPM: Uint8Array,
  attributes: number,
  extraNonces: readonly Uint8Array[] = [],
): Uint8Array {
  return hmac(alg, key, cp, nonceCaller, nonceTPM, ...extraNonces, new Uint8Array([attributes]));
}

/** Response HMAC: HMAC(sessionKey || authValue, rpHash || nonceTPM || nonceCaller || sessionAttributes). */
export function responseHmac(alg: number, key: Uint8Array, rp: Uint8Array, nonceTPM: Uint8Array, nonceCaller: Uint8Array, attributes: number): Uint8Array {
  return hmac(alg, key, rp, nonceTPM, nonceCaller, new Uint8Array([attributes]));
}

/** The initial policy digest: all zeros, the size of the session's hash. */
export function zeroDigest(alg: number): Uint8Array {
  return new Uint8Array(hashSize(alg));
}

/** PolicyCommandCode: H(policyDigest || TPM_CC_PolicyCommandCode || code). */
export function policyCommandCode(alg: number, digest: Uint8Array, code: number): Uint8Array {
  return hash(alg, digest, be32(CC.PolicyCommandCode), be32(code));
}

/** PolicyAuthValue and PolicyPassword both extend TPM_CC_PolicyAuthValue (Part 3, 23.17 and 23.18). */
export function policyAuthValue(alg: number, digest: Uint8Array): Uint8Array {
  return hash(alg, digest, be32(CC.PolicyAuthValue));
}

/** PolicyPCR: H(policyDigest || TPM_CC_PolicyPCR || pcrs || pcrDigest). */
export function policyPcr(alg: number, digest: Uint8Array, pcrs: readonly PcrSelection[], pcrDigest: Uint8Array): Uint8Array {
  const w = new TpmWriter();
  writePcrSelections(w, pcrs);
  return hash(alg, digest, be32(CC.PolicyPCR), w.finish(), pcrDigest);
}

/** PolicyLocality: H(policyDigest || TPM_CC_PolicyLocality || locality). */
export function policyLocality(alg: number, digest: Uint8Array, locality: number): Uint8Array {
  return hash(alg, digest, be32(CC.PolicyLocality), new Uint8Array([locality]));
}

/** PolicyOR: H(zeros || TPM_CC_PolicyOR || digest1 || ... || digestN). */
export function policyOr(alg: number, digests: readonly Uint8Array[]): Uint8Array {
  return hash(alg, zeroDigest(alg), be32(CC.PolicyOR), concat(...digests));
}

/** PolicySecret: H(H(policyDigest || TPM_CC_PolicySecret || authName) || policyRef). */
export function policySecret(alg: number, digest: Uint8Array, authName: Uint8Array, policyRef: Uint8Array): Uint8Array {
  return hash(alg, hash(alg, digest, be32(CC.PolicySecret), authName), policyRef);
}

/**
 * Session-based parameter encryption of the first TPM2B parameter's data
 * (Part 1, 21.2 XOR and 21.3 CFB). `sym` is the session's symmetric
 * definition; `key` is sessionKey || authValue; a command is protected with
 * (nonceCaller, nonceTPM), a response with (nonceTPM, nonceCaller).
 */
export function cryptParameter(
  sym: { algorithm: number; keyBits?: number },
  authHash: number,
  key: Uint8Array,
  nonceNewer: Uint8Array,
  nonceOlder: Uint8Array,
  data: Uint8Array,
  encrypt: boolean,
): Uint8Array {
  if (sym.algorithm === ALG.XOR) {
    const mask = kdfa(sym.keyBits ?? authHash, key, 'XOR', nonceNewer, nonceOlder, data.length * 8);
    return data.map((b, i) => b ^ mask[i]!);
  }
  const bits = sym.keyBits ?? 128;
  const kiv = kdfa(authHash, key, 'CFB', nonceNewer, nonceOlder, bits + 128);
  const c = cfb(kiv.subarray(0, bits / 8), kiv.subarray(bits / 8, bits / 8 + 16));
  return encrypt ? c.encrypt(data) : c.decrypt(data);
}
