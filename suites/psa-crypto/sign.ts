// 10.7 Asymmetric signature: psa_sign_hash/verify_hash/sign_message/
// verify_message with ECDSA (randomized and deterministic), PureEdDSA and
// RSA PKCS #1 v1.5 / PSS. Every signature a target produces is verified by
// node:crypto; signatures made by node:crypto must verify on the target;
// the Wycheproof bug classes (r or s of 0 or >= n, wrong lengths, high s,
// bit flips, non-canonical EdDSA S) are checked explicitly.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat, fromHex, hex } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, client, expectPsa, flipBit, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { RSA_2048_PRIVATE, RSA_2048_PUBLIC } from './testkeys.js';
import { ED25519_RFC8032, RFC6979_KEYS, RFC6979_VECTORS } from './vectors.js';

const SIGN_ALL = Usage.SIGN_HASH | Usage.VERIFY_HASH | Usage.SIGN_MESSAGE | Usage.VERIFY_MESSAGE;

/** Private scalars the checks import: the RFC 6979 keys, and a fixed secp256k1 scalar. */
export const EC_SCALARS: Record<keyof typeof O.CURVES, Uint8Array> = {
  p256: RFC6979_KEYS.p256,
  p384: RFC6979_KEYS.p384,
  p521: RFC6979_KEYS.p521,
  k256: fromHex('b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef'),
};
const CURVE_KEYS = Object.keys(O.CURVES) as (keyof typeof O.CURVES)[];

export const eccPairType = (c: O.Curve) => C.eccKeyPair(c.family);
export const eccCap = (c: O.Curve) => keyCap(eccPairType(c), c.bits);

export async function eccKey(t: CheckContext, c: O.Curve, d: Uint8Array, alg: number, usage = SIGN_ALL): Promise<number> {
  return importKey(t, { type: eccPairType(c), bits: c.bits, usage, alg }, d, eccCap(c));
}

export async function rsaKey(t: CheckContext, alg: number, usage = SIGN_ALL, pub = false): Promise<number> {
  return importKey(t, { type: pub ? KeyType.RSA_PUBLIC_KEY : KeyType.RSA_KEY_PAIR, bits: 2048, usage, alg }, pub ? RSA_2048_PUBLIC : RSA_2048_PRIVATE, keyCap(KeyType.RSA_KEY_PAIR));
}

async function signHashOk(t: CheckContext, key: number, alg: number, hash: Uint8Array): Promise<Uint8Array> {
  const r = await client(t).signHash(key, alg, hash);
  supported(t, r.status, algCap(alg), `psa_sign_hash(${algName(alg)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_sign_hash(${algName(alg)})`);
  return r.value!;
}

const ed = ED25519_RFC8032;
const ED_CAPS = [algCap(Alg.PURE_EDDSA), keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255)];
const edKey = (t: CheckContext, secret: Uint8Array, usage = SIGN_ALL) =>
  importKey(t, { type: C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), bits: 255, usage, alg: Alg.PURE_EDDSA }, secret, ED_CAPS[1]!);

const P256 = O.CURVES.p256;
const ECDSA256 = C.ecdsa(Alg.SHA_256);
const P256_CAPS = [algCap(ECDSA256), eccCap(P256)];
const RSA_CAP = keyCap(KeyType.RSA_KEY_PAIR);

/** A valid ECDSA-P256 signature of `msg` made by node:crypto with the RFC 6979 P-256 key, and the key on the target. */
async function p256Signed(t: CheckContext, msg: Uint8Array): Promise<{ key: number; hash: Uint8Array; sig: Uint8Array }> {
  const key = await eccKey(t, P256, EC_SCALARS.p256, ECDSA256);
  const sig = O.ecdsaSign(P256, EC_SCALARS.p256, Alg.SHA_256, msg);
  return { key, hash: O.hash(Alg.SHA_256, msg), sig };
}

function malformedEcdsa(name: string, what: string, mutate: (r: bigint, s: bigint, c: O.Curve) => [bigint, bigint]): CheckDef {
  return check({
    id: `psa-crypto.sign.ecdsa-${name}`,
    title: `psa_verify_hash rejects an ECDSA signature with ${what}`,
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: `psa_verify_hash returns PSA_ERROR_INVALID_SIGNATURE when the signature is not the result of signing the hash with the key: an ECDSA signature with ${what} (SEC 1 §4.1.4 requires 1 <= r, s <= n-1) never verifies.`,
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const msg = pattern(40, 101);
      const { key, hash, sig } = await p256Signed(t, msg);
      const r = O.bytesToBig(sig.subarray(0, 32));
      const s = O.bytesToBig(sig.subarray(32));
      const [r2, s2] = mutate(r, s, P256);
      const bad = concat(O.bigToBytes(r2, 32), O.bigToBytes(s2, 32));
      expectPsa(t, await client(t).verifyHash(key, ECDSA256, hash, bad), PSA.ERROR_INVALID_SIGNATURE, `psa_verify_hash with ${what} (${hex(bad, 16)}...)`);
    },
  });
}

export default [
  ...CURVE_KEYS.flatMap((name): CheckDef[] => {
    const c = O.CURVES[name];
    const alg = C.ecdsa(c.hash);
    const caps = [algCap(alg), eccCap(c)];
    return [
      check({
        id: `psa-crypto.sign.ecdsa-${name}-sign-hash`,
        title: `psa_sign_hash(${algName(alg)}) on ${c.name} verifies under node:crypto`,
        spec: SPEC,
        clause: '10.7.1 PSA_ALG_ECDSA',
        level: 'MUST',
        requirement: `psa_sign_hash with ${algName(alg)} signs the given message digest; the signature is r || s, each an N-octet big-endian string (N = ${c.bytes} for ${c.name}), and an independent ECDSA verifier accepts it for the message.`,
        services: ['crypto'],
        capabilities: caps,
        run: async (t) => {
          const key = await eccKey(t, c, EC_SCALARS[name], alg);
          const msg = pattern(50, 102);
          const sig = await signHashOk(t, key, alg, O.hash(c.hash, msg));
          t.expectEqual(sig.length, 2 * c.bytes, 'signature length (2N)');
          t.assert(O.ecdsaVerify(c, O.ecPublicOf(c, EC_SCALARS[name]), c.hash, msg, sig), `node:crypto rejects the ${c.name} signature ${hex(sig, 24)}`, {
            expected: 'a signature node:crypto verifies',
            actual: 'verification failure',
          });
        },
      }),
      check({
        id: `psa-crypto.sign.ecdsa-${name}-sign-message`,
        title: `psa_sign_message(${algName(alg)}) on ${c.name} verifies under node:crypto`,
        spec: SPEC,
        clause: '10.7.2 psa_sign_message',
        level: 'MUST',
        requirement: 'psa_sign_message signs a message with a private key; for hash-and-sign algorithms this includes the hashing step: the result verifies for the message under an independent verifier.',
        services: ['crypto'],
        capabilities: caps,
        run: async (t) => {
          const key = await eccKey(t, c, EC_SCALARS[name], alg);
          const msg = pattern(300, 103);
          const r = await client(t).signMessage(key, alg, msg);
          supported(t, r.status, algCap(alg), 'psa_sign_message');
          expectPsa(t, r.status, PSA.SUCCESS, `psa_sign_message(${algName(alg)})`);
          t.assert(O.ecdsaVerify(c, O.ecPublicOf(c, EC_SCALARS[name]), c.hash, msg, r.value!), 'node:crypto rejects the signature of psa_sign_message', {
            expected: 'a valid signature',
            actual: hex(r.value!, 24),
          });
        },
      }),
      check({
        id: `psa-crypto.sign.ecdsa-${name}-verify-foreign`,
        title: `psa_verify_hash accepts a ${c.name} signature made by node:crypto`,
        spec: SPEC,
        clause: '10.7.2 psa_verify_hash',
        level: 'MUST',
        requirement: 'psa_verify_hash returns PSA_SUCCESS for a valid signature of the hash under the key, whoever produced it (here OpenSSL), and psa_verify_message for the message likewise.',
        services: ['crypto'],
        capabilities: caps,
        run: async (t) => {
          const key = await eccKey(t, c, EC_SCALARS[name], alg);
          const msg = pattern(33, 104);
          const sig = O.ecdsaSign(c, EC_SCALARS[name], c.hash, msg);
          const s1 = await client(t).verifyHash(key, alg, O.hash(c.hash, msg), sig);
          supported(t, s1, algCap(alg), 'psa_verify_hash');
          expectPsa(t, s1, PSA.SUCCESS, 'psa_verify_hash of an OpenSSL signature');
          expectPsa(t, await client(t).verifyMessage(key, alg, msg, sig), PSA.SUCCESS, 'psa_verify_message of an OpenSSL signature');
        },
      }),
    ];
  }),
  ...RFC6979_VECTORS.map((v) => {
    const alg = C.deterministicEcdsa(v.hash);
    const c = O.CURVES[v.curve];
    return check({
      id: `psa-crypto.sign.deterministic-ecdsa-kat-${v.name}`,
      title: `PSA_ALG_DETERMINISTIC_ECDSA matches ${v.source}`,
      spec: SPEC,
      clause: '10.7.1 PSA_ALG_DETERMINISTIC_ECDSA',
      level: 'MUST',
      requirement: `PSA_ALG_DETERMINISTIC_ECDSA is the deterministic ECDSA of RFC 6979: psa_sign_message(${algName(alg)}) with the RFC key gives exactly the (r, s) of ${v.source}.`,
      services: ['crypto'],
      capabilities: [algCap(alg), eccCap(c)],
      run: async (t) => {
        const key = await eccKey(t, c, RFC6979_KEYS[v.curve], alg);
        const r = await client(t).signMessage(key, alg, v.message);
        supported(t, r.status, [algCap(alg), algCap(v.hash)], `psa_sign_message(${algName(alg)})`);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_sign_message(${algName(alg)})`);
        t.expectBytes(r.value!, concat(v.r, v.s), 'r || s');
      },
    });
  }),
  check({
    id: 'psa-crypto.sign.deterministic-ecdsa-repeatable',
    title: 'deterministic ECDSA gives the same signature twice and differs across keys',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_DETERMINISTIC_ECDSA',
    level: 'MUST',
    requirement: 'RFC 6979 derives k from the private key and the hash: signing the same hash twice with one key gives the same signature, and a second key signing the same hash gives a different r (a k that depends on the message alone leaks both keys).',
    services: ['crypto'],
    capabilities: [algCap(C.deterministicEcdsa(Alg.SHA_256)), eccCap(P256)],
    run: async (t) => {
      const alg = C.deterministicEcdsa(Alg.SHA_256);
      const k1 = await eccKey(t, P256, EC_SCALARS.p256, alg);
      const k2 = await eccKey(t, P256, pattern(32, 105), alg);
      const h = O.hash(Alg.SHA_256, pattern(20, 106));
      const a = await signHashOk(t, k1, alg, h);
      const b = await signHashOk(t, k1, alg, h);
      const d = await signHashOk(t, k2, alg, h);
      t.expectBytes(b, a, 'second signature with the same key');
      t.assert(hex(a.subarray(0, 32)) !== hex(d.subarray(0, 32)), 'two different keys produced the same r for the same hash: the nonce does not depend on the key', {
        expected: 'different r',
        actual: `r = ${hex(a.subarray(0, 32))} for both`,
      });
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-randomized',
    title: 'randomized ECDSA gives a different signature each time',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_ECDSA',
    level: 'SHOULD',
    requirement: 'PSA_ALG_ECDSA is randomized: each invocation returns a different, equally valid signature (a constant k across signatures would reveal the key).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDSA256);
      const h = O.hash(Alg.SHA_256, pattern(20, 107));
      const a = await signHashOk(t, key, ECDSA256, h);
      const b = await signHashOk(t, key, ECDSA256, h);
      t.assert(hex(a) !== hex(b), 'two PSA_ALG_ECDSA signatures of the same hash are identical', { expected: 'different signatures', actual: hex(a, 16) });
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-nonce-unique',
    title: 'ECDSA signatures of different hashes never share r',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_ECDSA',
    level: 'MUST',
    requirement:
      'PSA_ALG_ECDSA is ECDSA as defined by SEC 1 / FIPS 186, which takes a new secret per-message number k for every signature: six signatures of six different hashes under one key all verify and have six different r (two signatures sharing k, hence r, reveal the private key).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDSA256);
      const point = O.ecPublicOf(P256, EC_SCALARS.p256);
      const rs = new Map<string, number>();
      for (let i = 0; i < 6; i++) {
        const msg = pattern(24, 120 + i);
        const sig = await signHashOk(t, key, ECDSA256, O.hash(Alg.SHA_256, msg));
        t.assert(O.ecdsaVerify(P256, point, Alg.SHA_256, msg, sig), `signature ${i} does not verify under node:crypto`);
        const r = hex(sig.subarray(0, 32));
        const prev = rs.get(r);
        t.assert(prev === undefined, `signatures ${prev} and ${i} (of different hashes) share r = ${r.slice(0, 16)}…: the same k was used twice`, { expected: 'six distinct r', actual: r });
        rs.set(r, i);
      }
    },
  }),
  malformedEcdsa('r-zero', 'r = 0', (_r, s) => [0n, s]),
  malformedEcdsa('s-zero', 's = 0', (r) => [r, 0n]),
  malformedEcdsa('r-equals-n', 'r = n', (_r, s, c) => [c.n, s]),
  malformedEcdsa('s-equals-n', 's = n', (r, _s, c) => [r, c.n]),
  malformedEcdsa('r-plus-n', 'r + n in place of r (same value mod n)', (r, s, c) => [r + c.n < 1n << 256n ? r + c.n : (1n << 256n) - 1n, s]),
  malformedEcdsa('r-s-swapped', 'r and s swapped', (r, s) => [s, r]),
  check({
    id: 'psa-crypto.sign.ecdsa-high-s',
    title: 'psa_verify_hash accepts an ECDSA signature with s replaced by n - s',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_ECDSA',
    level: 'SHOULD',
    requirement: 'ECDSA as defined by SEC 1 accepts both (r, s) and (r, n - s); the Crypto API does not restrict signatures to low s, so a verifier that enforces low s rejects valid signatures.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const msg = pattern(40, 108);
      const { key, hash, sig } = await p256Signed(t, msg);
      const s = O.bytesToBig(sig.subarray(32));
      const other = concat(sig.subarray(0, 32), O.bigToBytes(P256.n - s, 32));
      expectPsa(t, await client(t).verifyHash(key, ECDSA256, hash, other), PSA.SUCCESS, 'psa_verify_hash of (r, n - s)');
    },
  }),
  checkProp({
    id: 'psa-crypto.sign.ecdsa-bit-flip',
    title: 'no single-bit change of a valid ECDSA signature or hash verifies',
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: 'psa_verify_hash returns PSA_ERROR_INVALID_SIGNATURE when the signature is not the result of signing the hash: for every one-bit change of the signature, or of the hash.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    numRuns: 25,
    arbitrary: () => fc.record({ where: fc.constantFrom('signature' as const, 'hash' as const), bit: fc.nat({ max: 511 }) }),
    predicate: async (t, { where, bit }) => {
      const msg = pattern(40, 109);
      const { key, hash, sig } = await p256Signed(t, msg);
      const s = where === 'signature' ? flipBit(sig, bit) : sig;
      const h = where === 'hash' ? flipBit(hash, bit % 256) : hash;
      expectPsa(t, await client(t).verifyHash(key, ECDSA256, h, s), PSA.ERROR_INVALID_SIGNATURE, `psa_verify_hash with ${where} bit ${bit} flipped`);
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-signature-length',
    title: 'ECDSA signatures of the wrong length do not verify',
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: 'The ECDSA signature is exactly 2N bytes: a valid signature with one byte removed, one zero byte appended or prepended, DER-encoded, or empty is not accepted (PSA_ERROR_INVALID_SIGNATURE; PSA_ERROR_INVALID_ARGUMENT accepted for a length that cannot be a signature).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const msg = pattern(40, 110);
      const { key, hash, sig } = await p256Signed(t, msg);
      const der = (x: Uint8Array) => (x[0]! & 0x80 ? concat(Uint8Array.of(0x02, 33, 0), x) : concat(Uint8Array.of(0x02, 32), x));
      const r = der(sig.subarray(0, 32));
      const s = der(sig.subarray(32));
      const cases: [string, Uint8Array][] = [
        ['63 bytes', sig.subarray(0, 63)],
        ['65 bytes (zero appended)', concat(sig, new Uint8Array(1))],
        ['65 bytes (zero prepended)', concat(new Uint8Array(1), sig)],
        ['DER-encoded', concat(Uint8Array.of(0x30, r.length + s.length), r, s)],
        ['empty', new Uint8Array(0)],
      ];
      for (const [what, bad] of cases) {
        expectPsa(t, await client(t).verifyHash(key, ECDSA256, hash, bad), [PSA.ERROR_INVALID_SIGNATURE, PSA.ERROR_INVALID_ARGUMENT], `psa_verify_hash with a signature of ${what}`);
      }
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-hash-length',
    title: 'psa_sign_hash refuses a hash of the wrong length for ECDSA(SHA-256)',
    spec: SPEC,
    clause: '10.7.2 psa_sign_hash',
    level: 'MUST',
    requirement: 'For hash-and-sign algorithms hash_length must equal PSA_HASH_LENGTH(PSA_ALG_GET_HASH(alg)): psa_sign_hash(PSA_ALG_ECDSA(PSA_ALG_SHA_256)) with 31 or 33 bytes returns PSA_ERROR_INVALID_ARGUMENT.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDSA256);
      for (const n of [31, 33, 0]) {
        const r = await client(t).signHash(key, ECDSA256, pattern(n, 111));
        expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, `psa_sign_hash with a ${n}-byte hash`);
      }
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-verify-hash-length',
    title: 'psa_verify_hash refuses a hash of the wrong length for ECDSA(SHA-256)',
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: 'psa_verify_hash returns PSA_ERROR_INVALID_ARGUMENT (hash_length is not valid for the algorithm) or PSA_ERROR_INVALID_SIGNATURE for a 31-byte hash with PSA_ALG_ECDSA(PSA_ALG_SHA_256); it never reports PSA_SUCCESS (a truncated hash must not verify).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const msg = pattern(40, 112);
      const { key, hash, sig } = await p256Signed(t, msg);
      expectPsa(t, await client(t).verifyHash(key, ECDSA256, hash.subarray(0, 31), sig), [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_INVALID_SIGNATURE], 'psa_verify_hash with a 31-byte hash');
    },
  }),
  check({
    id: 'psa-crypto.sign.ecdsa-any',
    title: 'PSA_ALG_ECDSA_ANY signs a caller-provided hash',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_ECDSA_ANY',
    level: 'MUST',
    requirement: 'PSA_ALG_ECDSA_ANY is the same signature scheme as PSA_ALG_ECDSA() without the hashing step: psa_sign_hash of a SHA-256 digest verifies as ECDSA-SHA-256 of the message.',
    services: ['crypto'],
    capabilities: [algCap(Alg.ECDSA_ANY), eccCap(P256)],
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, Alg.ECDSA_ANY);
      const msg = pattern(60, 113);
      const sig = await signHashOk(t, key, Alg.ECDSA_ANY, O.hash(Alg.SHA_256, msg));
      t.assert(O.ecdsaVerify(P256, O.ecPublicOf(P256, EC_SCALARS.p256), Alg.SHA_256, msg, sig), 'node:crypto rejects the ECDSA_ANY signature', { expected: 'valid', actual: hex(sig, 16) });
    },
  }),
  check({
    id: 'psa-crypto.sign.verify-with-public-key',
    title: 'an imported ECC public key verifies, and cannot sign',
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: 'psa_verify_hash takes a public key or a key pair; psa_sign_hash needs an asymmetric key pair and returns PSA_ERROR_INVALID_ARGUMENT (or NOT_PERMITTED) for a public key.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const pub = await importKey(t, { type: C.eccPublicKey(C.EccFamily.SECP_R1), bits: 256, usage: SIGN_ALL, alg: ECDSA256 }, O.ecPublicOf(P256, EC_SCALARS.p256), eccCap(P256));
      const msg = pattern(44, 114);
      const sig = O.ecdsaSign(P256, EC_SCALARS.p256, Alg.SHA_256, msg);
      expectPsa(t, await client(t).verifyHash(pub, ECDSA256, O.hash(Alg.SHA_256, msg), sig), PSA.SUCCESS, 'psa_verify_hash with the public key');
      const r = await client(t).signHash(pub, ECDSA256, O.hash(Alg.SHA_256, msg));
      expectPsa(t, r.status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_PERMITTED], 'psa_sign_hash with a public key');
    },
  }),
  check({
    id: 'psa-crypto.sign.not-a-signature-algorithm',
    title: 'psa_sign_hash refuses an algorithm that is not a signature',
    spec: SPEC,
    clause: '10.7.2 psa_sign_hash',
    level: 'MUST',
    requirement: 'psa_sign_hash returns PSA_ERROR_INVALID_ARGUMENT (alg is not an asymmetric signature algorithm) or PSA_ERROR_NOT_SUPPORTED for PSA_ALG_SHA_256 and PSA_ALG_ECDH.',
    services: ['crypto'],
    capabilities: [eccCap(P256)],
    run: async (t) => {
      for (const alg of [Alg.SHA_256, Alg.ECDH]) {
        const key = await eccKey(t, P256, EC_SCALARS.p256, alg);
        const r = await client(t).signHash(key, alg, pattern(32));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_sign_hash(${algName(alg)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.sign.wildcard-not-an-algorithm',
    title: 'psa_sign_message refuses the ECDSA(ANY_HASH) wildcard',
    spec: SPEC,
    clause: '10.7.2 psa_sign_message',
    level: 'MUST',
    requirement: 'PSA_ALG_ECDSA(PSA_ALG_ANY_HASH) is only a policy: psa_sign_message with it is not an algorithm to compute (PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const alg = C.ecdsa(Alg.ANY_HASH);
      const key = await eccKey(t, P256, EC_SCALARS.p256, alg);
      const r = await client(t).signMessage(key, alg, pattern(10));
      expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_sign_message(${algName(alg)})`);
    },
  }),
  check({
    id: 'psa-crypto.sign.incompatible-key',
    title: 'ECDSA with an RSA key and RSA-PSS with an ECC key are refused',
    spec: SPEC,
    clause: '10.7.2 psa_sign_hash',
    level: 'MUST',
    requirement: 'psa_sign_hash returns PSA_ERROR_INVALID_ARGUMENT (key is not an asymmetric key pair compatible with alg) or PSA_ERROR_NOT_SUPPORTED when the key type does not fit the signature scheme.',
    services: ['crypto'],
    capabilities: [RSA_CAP, eccCap(P256)],
    run: async (t) => {
      const rsa = await rsaKey(t, ECDSA256);
      expectPsa(t, (await client(t).signHash(rsa, ECDSA256, pattern(32))).status, INVALID_OR_UNSUPPORTED, 'psa_sign_hash(ECDSA) with an RSA key');
      const pss = C.rsaPss(Alg.SHA_256);
      const ec = await eccKey(t, P256, EC_SCALARS.p256, pss);
      expectPsa(t, (await client(t).signHash(ec, pss, pattern(32))).status, INVALID_OR_UNSUPPORTED, 'psa_sign_hash(RSA-PSS) with an ECC key');
    },
  }),
  ...ed.map((v) =>
    check({
      id: `psa-crypto.sign.eddsa-kat-${v.name}`,
      title: `PureEdDSA Ed25519 matches ${v.source}`,
      spec: SPEC,
      clause: '10.7.1 PSA_ALG_PURE_EDDSA',
      level: 'MUST',
      requirement: `PSA_ALG_PURE_EDDSA with an Edwards25519 key computes Ed25519: psa_sign_message with the RFC 8032 key gives the 64-byte R || S of ${v.source}, and psa_verify_message accepts it.`,
      services: ['crypto'],
      capabilities: ED_CAPS,
      run: async (t) => {
        const key = await edKey(t, v.secret);
        const r = await client(t).signMessage(key, Alg.PURE_EDDSA, v.message);
        supported(t, r.status, algCap(Alg.PURE_EDDSA), 'psa_sign_message(PSA_ALG_PURE_EDDSA)');
        expectPsa(t, r.status, PSA.SUCCESS, 'psa_sign_message(PSA_ALG_PURE_EDDSA)');
        t.expectBytes(r.value!, v.signature, 'Ed25519 signature');
        expectPsa(t, await client(t).verifyMessage(key, Alg.PURE_EDDSA, v.message, v.signature), PSA.SUCCESS, 'psa_verify_message of the RFC signature');
      },
    }),
  ),
  check({
    id: 'psa-crypto.sign.eddsa-differential',
    title: 'Ed25519 signatures of the target verify under node:crypto',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_PURE_EDDSA',
    level: 'MUST',
    requirement: 'psa_sign_message(PSA_ALG_PURE_EDDSA) of a 1000-byte message with a generated Edwards25519 key pair verifies under an independent Ed25519 verifier with the key from psa_export_public_key.',
    services: ['crypto'],
    capabilities: ED_CAPS,
    run: async (t) => {
      const key = await edKey(t, pattern(32, 115));
      const msg = pattern(1000, 116);
      const r = await client(t).signMessage(key, Alg.PURE_EDDSA, msg);
      supported(t, r.status, algCap(Alg.PURE_EDDSA), 'psa_sign_message');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_sign_message(PSA_ALG_PURE_EDDSA)');
      t.assert(O.ed25519Verify(O.ed25519PublicOf(pattern(32, 115)), msg, r.value!), 'node:crypto rejects the Ed25519 signature', { expected: 'valid', actual: hex(r.value!, 16) });
    },
  }),
  check({
    id: 'psa-crypto.sign.eddsa-sign-hash-refused',
    title: 'PSA_ALG_PURE_EDDSA cannot be used with psa_sign_hash',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_PURE_EDDSA',
    level: 'MUST',
    requirement: 'PSA_ALG_PURE_EDDSA can only be used with psa_sign_message() and psa_verify_message(): psa_sign_hash with it returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: ED_CAPS,
    run: async (t) => {
      const key = await edKey(t, ed[0]!.secret);
      expectPsa(t, (await client(t).signHash(key, Alg.PURE_EDDSA, pattern(64))).status, INVALID_OR_UNSUPPORTED, 'psa_sign_hash(PSA_ALG_PURE_EDDSA)');
    },
  }),
  check({
    id: 'psa-crypto.sign.eddsa-non-canonical-s',
    title: 'an Ed25519 signature with S >= L is rejected',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_PURE_EDDSA',
    level: 'MUST',
    requirement: 'PureEdDSA is Ed25519 as defined by RFC 8032, whose verification (§5.1.7) rejects S outside 0 <= S < L: the RFC 8032 test-1 signature with S + L in place of S does not verify.',
    services: ['crypto'],
    capabilities: ED_CAPS,
    run: async (t) => {
      const v = ed[0]!;
      const key = await edKey(t, v.secret);
      const L = 2n ** 252n + 27742317777372353535851937790883648493n;
      const sLe = v.signature.subarray(32);
      let s = 0n;
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sLe[i]!);
      const bumped = s + L;
      const out = new Uint8Array(32);
      let x = bumped;
      for (let i = 0; i < 32; i++) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      const bad = concat(v.signature.subarray(0, 32), out);
      expectPsa(t, await client(t).verifyMessage(key, Alg.PURE_EDDSA, v.message, bad), PSA.ERROR_INVALID_SIGNATURE, 'psa_verify_message with S + L');
    },
  }),
  check({
    id: 'psa-crypto.sign.eddsa-altered',
    title: 'an Ed25519 signature of another message does not verify',
    spec: SPEC,
    clause: '10.7.2 psa_verify_message',
    level: 'MUST',
    requirement: 'psa_verify_message returns PSA_ERROR_INVALID_SIGNATURE when the signature is not the result of signing the input message: RFC 8032 test-2 signature checked against a changed message, and with one bit flipped.',
    services: ['crypto'],
    capabilities: ED_CAPS,
    run: async (t) => {
      const v = ed[1]!;
      const key = await edKey(t, v.secret);
      expectPsa(t, await client(t).verifyMessage(key, Alg.PURE_EDDSA, Uint8Array.of(0x73), v.signature), PSA.ERROR_INVALID_SIGNATURE, 'psa_verify_message of another message');
      expectPsa(t, await client(t).verifyMessage(key, Alg.PURE_EDDSA, v.message, flipBit(v.signature, 300)), PSA.ERROR_INVALID_SIGNATURE, 'psa_verify_message with a bit flipped');
    },
  }),
  ...([Alg.SHA_256, Alg.SHA_384, Alg.SHA_512] as const).flatMap((h): CheckDef[] => {
    const name = algName(h).replace('PSA_ALG_', '').toLowerCase().replace(/_/g, '-');
    return [C.rsaPkcs1v15Sign(h), C.rsaPss(h)].map((alg) =>
      check({
        id: `psa-crypto.sign.${C.isRsaPss(alg) ? 'rsa-pss' : 'rsa-pkcs1v15'}-${name}-sign-hash`,
        title: `psa_sign_hash(${algName(alg)}) verifies under node:crypto`,
        spec: SPEC,
        clause: `10.7.1 ${C.isRsaPss(alg) ? 'PSA_ALG_RSA_PSS' : 'PSA_ALG_RSA_PKCS1V15_SIGN'}`,
        level: 'MUST',
        requirement: C.isRsaPss(alg)
          ? 'PSA_ALG_RSA_PSS is RSASSA-PSS of RFC 8017 §8.1 with MGF1 and a salt as long as the hash: a signature of a digest verifies under an independent verifier that requires salt length = hash length.'
          : 'PSA_ALG_RSA_PKCS1V15_SIGN is RSASSA-PKCS1-v1_5 of RFC 8017 §8.2, the hash used as H in EMSA-PKCS1-V1_5-ENCODE: the signature verifies under an independent verifier.',
        services: ['crypto'],
        capabilities: [algCap(alg), algCap(h), RSA_CAP],
        run: async (t) => {
          const key = await rsaKey(t, alg);
          const msg = pattern(90, 117);
          const sig = await signHashOk(t, key, alg, O.hash(h, msg));
          t.expectEqual(sig.length, 256, 'signature length (modulus size)');
          t.assert(O.rsaVerify(O.rsaTestKey().pub, alg, msg, sig), `node:crypto rejects the ${algName(alg)} signature`, { expected: 'valid', actual: hex(sig, 16) });
        },
      }),
    );
  }),
  ...[C.rsaPkcs1v15Sign(Alg.SHA_256), C.rsaPss(Alg.SHA_256)].flatMap((alg): CheckDef[] => {
    const n = C.isRsaPss(alg) ? 'rsa-pss' : 'rsa-pkcs1v15';
    return [
      check({
        id: `psa-crypto.sign.${n}-sign-message`,
        title: `psa_sign_message(${algName(alg)}) verifies under node:crypto`,
        spec: SPEC,
        clause: '10.7.2 psa_sign_message',
        level: 'MUST',
        requirement: 'psa_sign_message hashes the message with the algorithm\'s hash and signs: the result verifies for the message under an independent verifier.',
        services: ['crypto'],
        capabilities: [algCap(alg), RSA_CAP],
        run: async (t) => {
          const key = await rsaKey(t, alg);
          const msg = pattern(500, 118);
          const r = await client(t).signMessage(key, alg, msg);
          supported(t, r.status, algCap(alg), 'psa_sign_message');
          expectPsa(t, r.status, PSA.SUCCESS, `psa_sign_message(${algName(alg)})`);
          t.assert(O.rsaVerify(O.rsaTestKey().pub, alg, msg, r.value!), 'node:crypto rejects the signature', { expected: 'valid', actual: hex(r.value!, 16) });
        },
      }),
      check({
        id: `psa-crypto.sign.${n}-verify-foreign`,
        title: `psa_verify_hash and psa_verify_message accept an OpenSSL ${algName(alg)} signature`,
        spec: SPEC,
        clause: '10.7.2 psa_verify_hash',
        level: 'MUST',
        requirement: 'A valid signature made by another implementation verifies: psa_verify_hash (over the digest) and psa_verify_message (over the message) return PSA_SUCCESS, also with only the RSA public key imported.',
        services: ['crypto'],
        capabilities: [algCap(alg), RSA_CAP],
        run: async (t) => {
          const pub = await rsaKey(t, alg, SIGN_ALL, true);
          const msg = pattern(70, 119);
          const sig = O.rsaSign(O.rsaTestKey().priv, alg, msg);
          const s = await client(t).verifyHash(pub, alg, O.hash(Alg.SHA_256, msg), sig);
          supported(t, s, algCap(alg), 'psa_verify_hash');
          expectPsa(t, s, PSA.SUCCESS, 'psa_verify_hash with the public key');
          expectPsa(t, await client(t).verifyMessage(pub, alg, msg, sig), PSA.SUCCESS, 'psa_verify_message with the public key');
        },
      }),
      checkProp({
        id: `psa-crypto.sign.${n}-altered`,
        title: `no single-bit change of a valid ${algName(alg)} signature verifies`,
        spec: SPEC,
        clause: '10.7.2 psa_verify_hash',
        level: 'MUST',
        requirement: 'psa_verify_hash returns PSA_ERROR_INVALID_SIGNATURE for every one-bit change of a valid RSA signature (the classic PKCS #1 v1.5 verification bugs accept garbage in the padding or after the DigestInfo).',
        services: ['crypto'],
        capabilities: [algCap(alg), RSA_CAP],
        numRuns: 15,
        arbitrary: () => fc.nat({ max: 2047 }),
        predicate: async (t, bit) => {
          const key = await rsaKey(t, alg, SIGN_ALL, true);
          const msg = pattern(30, 120);
          const sig = O.rsaSign(O.rsaTestKey().priv, alg, msg);
          expectPsa(t, await client(t).verifyHash(key, alg, O.hash(Alg.SHA_256, msg), flipBit(sig, bit)), PSA.ERROR_INVALID_SIGNATURE, `psa_verify_hash with bit ${bit} flipped`);
        },
      }),
    ];
  }),
  check({
    id: 'psa-crypto.sign.rsa-pkcs1v15-deterministic',
    title: 'RSA PKCS #1 v1.5 signatures are the unique RFC 8017 encoding',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_RSA_PKCS1V15_SIGN',
    level: 'MUST',
    requirement: 'RSASSA-PKCS1-v1_5 is deterministic: psa_sign_hash(PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256)) returns exactly the bytes OpenSSL produces with the same key and message.',
    services: ['crypto'],
    capabilities: [algCap(C.rsaPkcs1v15Sign(Alg.SHA_256)), RSA_CAP],
    run: async (t) => {
      const alg = C.rsaPkcs1v15Sign(Alg.SHA_256);
      const key = await rsaKey(t, alg);
      const msg = pattern(64, 121);
      const sig = await signHashOk(t, key, alg, O.hash(Alg.SHA_256, msg));
      t.expectBytes(sig, O.rsaSign(O.rsaTestKey().priv, alg, msg), 'PKCS #1 v1.5 signature vs OpenSSL');
    },
  }),
  check({
    id: 'psa-crypto.sign.rsa-pkcs1v15-raw',
    title: 'PSA_ALG_RSA_PKCS1V15_SIGN_RAW signs the given DigestInfo',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_RSA_PKCS1V15_SIGN_RAW',
    level: 'MUST',
    requirement: 'With PSA_ALG_RSA_PKCS1V15_SIGN_RAW the hash parameter is used as T in EMSA-PKCS1-V1_5-ENCODE: signing the DER DigestInfo of a SHA-256 digest gives the PKCS #1 v1.5 SHA-256 signature.',
    services: ['crypto'],
    capabilities: [algCap(Alg.RSA_PKCS1V15_SIGN_RAW), RSA_CAP],
    run: async (t) => {
      const key = await rsaKey(t, Alg.RSA_PKCS1V15_SIGN_RAW);
      const msg = pattern(64, 122);
      const t256 = concat(fromHex('3031300d060960864801650304020105000420'), O.hash(Alg.SHA_256, msg));
      const sig = await signHashOk(t, key, Alg.RSA_PKCS1V15_SIGN_RAW, t256);
      t.expectBytes(sig, O.rsaSign(O.rsaTestKey().priv, C.rsaPkcs1v15Sign(Alg.SHA_256), msg), 'raw signature vs PKCS #1 v1.5 SHA-256 signature');
    },
  }),
  check({
    id: 'psa-crypto.sign.rsa-pss-salt-length',
    title: 'PSA_ALG_RSA_PSS rejects a salt length other than the hash length',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_RSA_PSS',
    level: 'MUST',
    requirement: 'When verifying with PSA_ALG_RSA_PSS the salt length must be equal to the length of the hash: a valid PSS signature with a 0-byte salt returns PSA_ERROR_INVALID_SIGNATURE.',
    services: ['crypto'],
    capabilities: [algCap(C.rsaPss(Alg.SHA_256)), RSA_CAP],
    run: async (t) => {
      const alg = C.rsaPss(Alg.SHA_256);
      const key = await rsaKey(t, alg, SIGN_ALL, true);
      const msg = pattern(40, 123);
      const sig = O.rsaSign(O.rsaTestKey().priv, alg, msg, 0);
      expectPsa(t, await client(t).verifyHash(key, alg, O.hash(Alg.SHA_256, msg), sig), PSA.ERROR_INVALID_SIGNATURE, 'psa_verify_hash(PSS) of a signature with a 0-byte salt');
    },
  }),
  check({
    id: 'psa-crypto.sign.rsa-pss-any-salt',
    title: 'PSA_ALG_RSA_PSS_ANY_SALT accepts any salt length',
    spec: SPEC,
    clause: '10.7.1 PSA_ALG_RSA_PSS_ANY_SALT',
    level: 'MUST',
    requirement: 'When verifying with PSA_ALG_RSA_PSS_ANY_SALT, any salt length permitted by RSASSA-PSS is accepted: signatures with 0, 20 and 32-byte salts verify.',
    services: ['crypto'],
    capabilities: [algCap(C.rsaPssAnySalt(Alg.SHA_256)), RSA_CAP],
    run: async (t) => {
      const alg = C.rsaPssAnySalt(Alg.SHA_256);
      const key = await rsaKey(t, alg, SIGN_ALL, true);
      const msg = pattern(40, 124);
      for (const salt of [0, 20, 32]) {
        const sig = O.rsaSign(O.rsaTestKey().priv, C.rsaPss(Alg.SHA_256), msg, salt);
        const s = await client(t).verifyHash(key, alg, O.hash(Alg.SHA_256, msg), sig);
        supported(t, s, algCap(alg), 'psa_verify_hash(PSS_ANY_SALT)');
        expectPsa(t, s, PSA.SUCCESS, `psa_verify_hash(${algName(alg)}) with a ${salt}-byte salt`);
      }
    },
  }),
  check({
    id: 'psa-crypto.sign.rsa-signature-range',
    title: 'RSA signatures of the wrong length or not below the modulus are rejected',
    spec: SPEC,
    clause: '10.7.2 psa_verify_hash',
    level: 'MUST',
    requirement: 'An RSA signature is an integer below the modulus, k bytes long (RFC 8017 §8.2.2 step 1 and RSAVP1): 255 or 257 bytes, all 0xff (>= n), the modulus itself, and zero never verify (INVALID_SIGNATURE; INVALID_ARGUMENT accepted for a wrong length).',
    services: ['crypto'],
    capabilities: [algCap(C.rsaPkcs1v15Sign(Alg.SHA_256)), RSA_CAP],
    run: async (t) => {
      const alg = C.rsaPkcs1v15Sign(Alg.SHA_256);
      const key = await rsaKey(t, alg, SIGN_ALL, true);
      const msg = pattern(40, 125);
      const sig = O.rsaSign(O.rsaTestKey().priv, alg, msg);
      const jwk = O.rsaTestKey().pub.export({ format: 'jwk' }) as { n: string };
      const modulus = new Uint8Array(Buffer.from(jwk.n, 'base64url'));
      const cases: [string, Uint8Array][] = [
        ['255 bytes', sig.subarray(1)],
        ['257 bytes', concat(new Uint8Array(1), sig)],
        ['all 0xff', new Uint8Array(256).fill(0xff)],
        ['the modulus', modulus],
        ['zero', new Uint8Array(256)],
      ];
      for (const [what, bad] of cases) {
        expectPsa(t, await client(t).verifyHash(key, alg, O.hash(Alg.SHA_256, msg), bad), [PSA.ERROR_INVALID_SIGNATURE, PSA.ERROR_INVALID_ARGUMENT], `psa_verify_hash with a signature of ${what}`);
      }
    },
  }),
];
