// Fault-injected PSA Crypto targets, each modelled on a real bug, and the
// check ids that must catch it. Every fault breaks the reference at its byte
// interface (the packed-c bodies of the crypto service); the suite runs
// against it exactly as against a board.
import * as C from '../../protocol/psa/crypto/constants.js';
import { CryptoOpcode as Op, Usage } from '../../protocol/psa/crypto/constants.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type KeyAttributes } from '../../protocol/psa/crypto/codec.js';
import { p256 } from '@noble/curves/nist.js';
import { PSA } from '../../protocol/psa/status.js';
import { concat } from '../../protocol/bytes.js';
import { bigToBytes, bytesToBig } from '../../protocol/psa/crypto/integers.js';
import { SERVICES, type ServiceResponse } from '../../protocol/services.js';
import type { ReferenceStack } from '../../reference/stack.js';
import type { Fault, Next } from './faults.js';

const EMPTY = new Uint8Array(0);
const crypto = SERVICES.crypto;
const ok = (body: Uint8Array = EMPTY): ServiceResponse => ({ status: PSA.SUCCESS, body });

export interface CryptoFaultCase {
  name: string;
  /** The real bug this models, with where it was reported. */
  models: string;
  fault: Fault;
  /** Check ids that must FAIL against this target. */
  mustFail: string[];
}

/** Per-stack state of a stateful fault (a fault object is shared by every run of its target). */
function perStack<T>(make: () => T): (stack: ReferenceStack) => T {
  const m = new WeakMap<ReferenceStack, T>();
  return (s) => {
    let v = m.get(s);
    if (v === undefined) m.set(s, (v = make()));
    return v;
  };
}

/** Opcodes whose request starts with (or holds) key attributes, and where. */
const CREATES = [Op.IMPORT_KEY, Op.GENERATE_KEY, Op.COPY_KEY, Op.KEY_DERIVATION_OUTPUT_KEY] as const;
type CreateOp = (typeof CREATES)[number];
const isCreate = (op: number): op is CreateOp => (CREATES as readonly number[]).includes(op);

/** Rewrites the attributes of a key-creating request. */
function withAttributes(op: CreateOp, body: Uint8Array, f: (a: KeyAttributes) => KeyAttributes): Uint8Array {
  const r = decodeRequest(op, body) as { attributes: KeyAttributes };
  return encodeRequest(op, { ...r, attributes: f(r.attributes) } as never);
}

async function keyAttributes(next: Next, id: number): Promise<KeyAttributes | undefined> {
  const r = await next(Op.GET_KEY_ATTRIBUTES, encodeRequest(Op.GET_KEY_ATTRIBUTES, { id }));
  return r?.status === PSA.SUCCESS ? decodeResponse(Op.GET_KEY_ATTRIBUTES, r.body).attributes : undefined;
}

/** The key id a successful key-creating answer carries. */
function createdId(op: CreateOp, r: ServiceResponse | undefined): number | undefined {
  if (r?.status !== PSA.SUCCESS) return undefined;
  return (decodeResponse(op, r.body) as { id: number }).id;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---------------------------------------------------------------- the faults

export const CRYPTO_FAULTS: CryptoFaultCase[] = [
  {
    name: 'sign-message-grants-sign-hash',
    models:
      'a port still treating SIGN_MESSAGE and SIGN_HASH as the one PSA_KEY_USAGE_SIGN flag of the pre-1.0 API (split in PSA Crypto 1.0.0): a key allowed to sign messages also signs caller-supplied hashes',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        if (!isCreate(op)) return next(op, body);
        return next(
          op,
          withAttributes(op, body, (a) => {
            let usage = a.usage;
            if (usage & Usage.SIGN_MESSAGE) usage |= Usage.SIGN_HASH;
            if (usage & Usage.VERIFY_MESSAGE) usage |= Usage.VERIFY_HASH;
            return { ...a, usage };
          }),
        );
      },
    },
    mustFail: ['psa-crypto.policy.sign-message-does-not-grant-sign-hash', 'psa-crypto.policy.usage-sign-hash', 'psa-crypto.policy.usage-verify-hash'],
  },
  {
    name: 'export-ignores-usage',
    models:
      'psa_export_key with its usage check missing on the secure side (the policy enforced only by a normal-world library): every key is exportable, while get_key_attributes still reports the policy the caller set',
    fault: (() => {
      const inflated = perStack(() => new Set<number>());
      return {
        service: crypto,
        handle: async (op, body, next, stack) => {
          if (isCreate(op)) {
            let added = false;
            const b = withAttributes(op, body, (a) => {
              added = (a.usage & Usage.EXPORT) === 0;
              return { ...a, usage: a.usage | Usage.EXPORT };
            });
            const r = await next(op, b);
            const id = createdId(op, r);
            if (added && id !== undefined) inflated(stack).add(id);
            return r;
          }
          const r = await next(op, body);
          if (op === Op.GET_KEY_ATTRIBUTES && r?.status === PSA.SUCCESS) {
            const { id } = decodeRequest(Op.GET_KEY_ATTRIBUTES, body);
            if (inflated(stack).has(id)) {
              const { attributes } = decodeResponse(Op.GET_KEY_ATTRIBUTES, r.body);
              return ok(encodeResponse(Op.GET_KEY_ATTRIBUTES, { attributes: { ...attributes, usage: attributes.usage & ~Usage.EXPORT } }));
            }
          }
          return r;
        },
      } satisfies Fault;
    })(),
    mustFail: ['psa-crypto.policy.usage-export'],
  },
  {
    name: 'copy-keeps-source-policy',
    models:
      'psa_copy_key giving the copy the source key\'s policy instead of the intersection with the requested one (the restriction step of psa_copy_key, ARMmbed/mbed-crypto#20, left out)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        if (op !== Op.COPY_KEY) return next(op, body);
        const req = decodeRequest(Op.COPY_KEY, body);
        const src = await keyAttributes(next, req.source);
        if (!src) return next(op, body);
        return next(op, encodeRequest(Op.COPY_KEY, { ...req, attributes: { ...req.attributes, usage: src.usage, alg: src.alg } }));
      },
    },
    mustFail: ['psa-crypto.copy.usage-intersection', 'psa-crypto.copy.algorithm-intersection'],
  },
  {
    name: 'random-state-not-advanced',
    models:
      'a DRBG whose state is never advanced between requests, so every psa_generate_random of a given size returns the same bytes (the low-entropy class of CVE-2008-0166)',
    fault: (() => {
      const first = perStack(() => new Map<number, Uint8Array>());
      return {
        service: crypto,
        handle: async (op, body, next, stack) => {
          const r = await next(op, body);
          if (op !== Op.GENERATE_RANDOM || r?.status !== PSA.SUCCESS) return r;
          const seen = first(stack);
          const prev = seen.get(r.body.length);
          if (prev) return ok(prev);
          seen.set(r.body.length, r.body);
          return r;
        },
      } satisfies Fault;
    })(),
    mustFail: ['psa-crypto.random.distinct'],
  },
  {
    name: 'fixed-nonce-and-iv',
    models:
      'generate_nonce / generate_iv answering a fixed value (the AES-GCM IV reuse of Samsung\'s Keymaster TA, CVE-2021-25444)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        if (op === Op.AEAD_GENERATE_NONCE) {
          const { op: handle } = decodeRequest(Op.AEAD_GENERATE_NONCE, body);
          // every AEAD the reference offers accepts a 12-byte nonce except CCM's 13-byte default; 12 is valid for CCM too
          const nonce = new Uint8Array(12).fill(0x42);
          const r = await next(Op.AEAD_SET_NONCE, encodeRequest(Op.AEAD_SET_NONCE, { op: handle, nonce }));
          return r?.status === PSA.SUCCESS ? ok(encodeResponse(Op.AEAD_GENERATE_NONCE, { nonce })) : r;
        }
        if (op === Op.CIPHER_GENERATE_IV) {
          const { op: handle } = decodeRequest(Op.CIPHER_GENERATE_IV, body);
          for (const len of [16, 12]) {
            const iv = new Uint8Array(len).fill(0x42);
            const r = await next(Op.CIPHER_SET_IV, encodeRequest(Op.CIPHER_SET_IV, { op: handle, iv }));
            if (r?.status === PSA.SUCCESS) return ok(encodeResponse(Op.CIPHER_GENERATE_IV, { iv }));
            if (r?.status !== PSA.ERROR_INVALID_ARGUMENT) return r;
          }
        }
        return next(op, body);
      },
    },
    mustFail: ['psa-crypto.aead.generate-nonce-random', 'psa-crypto.aead.generate-nonce-length', 'psa-crypto.cipher.generate-iv-random'],
  },
  {
    name: 'ecdsa-zero-signature-accepted',
    models:
      'ECDSA verification without the 0 < r, s < n check, so (0, 0) verifies for every key and message (CVE-2022-21449 "psychic signatures"; lionello/secp256k1-js#11)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const res = await next(op, body);
        if ((op !== Op.VERIFY_HASH && op !== Op.VERIFY_MESSAGE) || res?.status !== PSA.ERROR_INVALID_SIGNATURE) return res;
        // the key and policy checks passed; the arithmetic then "verifies" (0, s) or (r, 0)
        const r = decodeRequest(op, body);
        const half = r.signature.length / 2;
        const zero = (b: Uint8Array) => b.length > 0 && b.every((x) => x === 0);
        if (C.isEcdsa(r.alg) && (zero(r.signature.subarray(0, half)) || zero(r.signature.subarray(half)))) return ok();
        return res;
      },
    },
    mustFail: ['psa-crypto.sign.ecdsa-r-zero', 'psa-crypto.sign.ecdsa-s-zero'],
  },
  {
    name: 'ecdh-no-point-validation',
    models:
      'ECDH that checks the peer key\'s format but not that the point is on the curve, the invalid-curve attack (developmentil/ecdh#3; elliptic CVE-2020-28498): a shared secret comes back for an off-curve point',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (r?.status !== PSA.ERROR_INVALID_ARGUMENT) return r;
        if (op !== Op.KEY_DERIVATION_RAW_KEY_AGREEMENT) return r;
        const req = decodeRequest(Op.KEY_DERIVATION_RAW_KEY_AGREEMENT, body);
        if (C.kaBaseOf(req.alg) !== C.Alg.ECDH || C.kdfOf(req.alg) !== 0) return r;
        const key = await keyAttributes(next, req.id);
        if (!key || !(C.isEccType(key.type) && C.isKeyPairType(key.type)) || C.eccFamilyOf(key.type) === C.EccFamily.MONTGOMERY) return r;
        if (!(key.usage & Usage.DERIVE)) return r;
        const size = C.eccBytes(key.bits);
        // an uncompressed point 0x04 || x || y of the key's curve: the format is checked, the point is not
        if (req.peer.length !== 1 + 2 * size || req.peer[0] !== 0x04) return r;
        return ok(encodeResponse(Op.KEY_DERIVATION_RAW_KEY_AGREEMENT, { output: req.peer.slice(1, 1 + size) }));
      },
    },
    mustFail: ['psa-crypto.ka.ecdh-p256-off-curve', 'psa-crypto.ka.ecdh-p384-off-curve', 'psa-crypto.ka.ecdh-invalid-encodings'],
  },
  {
    name: 'aead-tag-not-checked',
    models:
      'an AEAD decrypt that never compares the tag and returns the plaintext (DCIT/perl-CryptX#47: gcm_decrypt_verify and chacha20poly1305_decrypt_verify accepted any tag)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op === Op.AEAD_VERIFY && r?.status === PSA.ERROR_INVALID_SIGNATURE) {
          return ok(encodeResponse(Op.AEAD_VERIFY, { plaintext: EMPTY }));
        }
        return r;
      },
    },
    mustFail: [
      'psa-crypto.aead.tag-bit-flip-gcm',
      'psa-crypto.aead.ciphertext-bit-flip-gcm',
      'psa-crypto.aead.ad-altered-gcm',
      'psa-crypto.aead.tag-bit-flip-chacha20-poly1305',
      'psa-crypto.aead.tag-bit-flip-ccm',
      'psa-crypto.aead.tag-truncated-ccm',
      'psa-crypto.aead.error-state-after-verify-failure',
      'psa-crypto.multipart.aead-model',
    ],
  },
  {
    name: 'hash-verify-caller-length',
    models:
      'a verify that compares only as many bytes as the caller passed (the memcmp(mac, computed, macLen) change proposed in OP-TEE/optee_os#5063): a truncated or empty expected value verifies',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        if (op !== Op.HASH_VERIFY) return next(op, body);
        const req = decodeRequest(Op.HASH_VERIFY, body);
        const clone = await next(Op.HASH_CLONE, encodeRequest(Op.HASH_CLONE, { op: req.op }));
        if (clone?.status !== PSA.SUCCESS) return next(op, body);
        const copy = decodeResponse(Op.HASH_CLONE, clone.body).op;
        const fin = await next(Op.HASH_FINISH, encodeRequest(Op.HASH_FINISH, { op: copy }));
        if (fin?.status !== PSA.SUCCESS) return next(op, body);
        const actual = decodeResponse(Op.HASH_FINISH, fin.body).hash;
        const n = Math.min(req.hash.length, actual.length);
        if (hex(actual.subarray(0, n)) === hex(req.hash.subarray(0, n))) {
          await next(Op.HASH_ABORT, encodeRequest(Op.HASH_ABORT, { op: req.op }));
          return ok();
        }
        return next(op, body);
      },
    },
    mustFail: ['psa-crypto.hash.verify-truncated', 'psa-crypto.hash.verify-extended', 'psa-crypto.hash.verify-empty'],
  },
  {
    name: 'kdf-reads-past-capacity',
    models:
      'a key derivation that keeps producing output past its capacity (wolfSSL/wolfssl#2951: HKDF-Expand without the L <= 255 * HashLen check, its one-octet counter wrapping)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op === Op.KEY_DERIVATION_OUTPUT_BYTES && r?.status === PSA.ERROR_INSUFFICIENT_DATA) {
          const { length } = decodeRequest(Op.KEY_DERIVATION_OUTPUT_BYTES, body);
          return ok(encodeResponse(Op.KEY_DERIVATION_OUTPUT_BYTES, { data: new Uint8Array(length) }));
        }
        return r;
      },
    },
    mustFail: ['psa-crypto.kdf.insufficient-data', 'psa-crypto.kdf.hkdf-output-limit', 'psa-crypto.kdf.hkdf-extract-kat', 'psa-crypto.multipart.kdf-model'],
  },
  {
    name: 'sign-hash-length-unchecked',
    models:
      'psa_sign_hash / psa_verify_hash not checking that the hash has the length of the algorithm\'s hash (Mbed-TLS/TF-PSA-Crypto#869, a requirement since PSA Crypto 1.1): the input is padded or cut to size',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        if (op !== Op.SIGN_HASH && op !== Op.VERIFY_HASH) return next(op, body);
        const r = decodeRequest(op, body);
        const want = C.hashLength(r.alg);
        if (want === 0 || r.hash.length === want) return next(op, body);
        const hash = new Uint8Array(want);
        hash.set(r.hash.subarray(0, want));
        return next(op, encodeRequest(op, { ...r, hash }));
      },
    },
    mustFail: ['psa-crypto.sign.ecdsa-hash-length'],
  },
  {
    name: 'pkcs7-padding-unchecked',
    models:
      'a CBC-PKCS7 decrypt that notices bad padding but returns success anyway (wolfSSL/wolfcrypt-jni#217: unPadPKCS7 set valid = false and carried on)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op === Op.CIPHER_FINISH && r?.status === PSA.ERROR_INVALID_PADDING) return ok(encodeResponse(Op.CIPHER_FINISH, { data: EMPTY }));
        return r;
      },
    },
    mustFail: ['psa-crypto.cipher.pkcs7-invalid-padding', 'psa-crypto.cipher.error-state-after-padding-failure'],
  },
  {
    name: 'zero-iv-by-default',
    models:
      'a CBC/CTR operation that runs with an all-zero IV when the caller never set one (Xor-el/CryptoLib4Pascal#44: a missing IV silently became 16 zero bytes)',
    fault: (() => {
      /** operations set up and still waiting for an IV, with the IV length their key and algorithm need */
      const pending = perStack(() => new Map<number, number>());
      return {
        service: crypto,
        handle: async (op, body, next, stack) => {
          const waiting = pending(stack);
          if (op === Op.CIPHER_ENCRYPT_SETUP || op === Op.CIPHER_DECRYPT_SETUP) {
            const req = decodeRequest(op, body);
            const r = await next(op, body);
            if (r?.status !== PSA.SUCCESS) return r;
            const key = await keyAttributes(next, req.id);
            const len = key ? C.cipherIvLength(key.type, req.alg) : 0;
            if (len > 0) waiting.set(decodeResponse(op, r.body).op, len);
            return r;
          }
          if (op === Op.CIPHER_SET_IV || op === Op.CIPHER_GENERATE_IV || op === Op.CIPHER_ABORT) {
            waiting.delete(decodeRequest(op, body).op);
          } else if (op === Op.CIPHER_UPDATE || op === Op.CIPHER_FINISH) {
            const handle = decodeRequest(op, body).op;
            const len = waiting.get(handle);
            if (len !== undefined) {
              waiting.delete(handle);
              await next(Op.CIPHER_SET_IV, encodeRequest(Op.CIPHER_SET_IV, { op: handle, iv: new Uint8Array(len) }));
            }
          }
          return next(op, body);
        },
      } satisfies Fault;
    })(),
    mustFail: ['psa-crypto.cipher.update-before-iv', 'psa-crypto.cipher.finish-before-iv', 'psa-crypto.multipart.cipher-model'],
  },
  {
    name: 'ecdsa-constant-k',
    models:
      'ECDSA signing with the same per-signature number k every time: every signature verifies, and any two of them give away the private key (the PlayStation 3 signing key, fail0verflow, 27C3 2010)',
    fault: (() => {
      const scalars = perStack(() => new Map<number, bigint>());
      const P = p256.Point;
      const k = 0x5eed5eed5eed5eed5eed5eed5eed5eedn;
      const r = P.Fn.create(P.BASE.multiply(k).toAffine().x);
      return {
        service: crypto,
        handle: async (op, body, next, stack) => {
          if (op === Op.IMPORT_KEY) {
            const req = decodeRequest(Op.IMPORT_KEY, body);
            const res = await next(op, body);
            const id = createdId(op, res);
            const p256Pair = C.eccKeyPair(C.EccFamily.SECP_R1);
            if (id !== undefined && req.attributes.type === p256Pair && req.data.length === 32) scalars(stack).set(id, bytesToBig(req.data));
            return res;
          }
          if (op !== Op.SIGN_HASH) return next(op, body);
          const req = decodeRequest(Op.SIGN_HASH, body);
          const d = scalars(stack).get(req.id);
          const res = await next(op, body);
          // the real checks (policy, hash length) passed: sign with the fixed k instead
          if (res?.status !== PSA.SUCCESS || d === undefined || req.alg !== C.ecdsa(C.Alg.SHA_256)) return res;
          const e = P.Fn.create(bytesToBig(req.hash));
          const s = P.Fn.mul(P.Fn.inv(k), P.Fn.add(e, P.Fn.mul(r, d)));
          return ok(encodeResponse(Op.SIGN_HASH, { signature: concat(bigToBytes(r, 32), bigToBytes(s, 32)) }));
        },
      } satisfies Fault;
    })(),
    mustFail: ['psa-crypto.sign.ecdsa-nonce-unique'],
  },
  {
    name: 'abort-keeps-operation',
    models:
      'an abort that answers success without freeing the service-side operation context, which stays live and usable (the context leaks on the secure side fixed in ARMmbed/mbed-os#10232)',
    fault: {
      service: crypto,
      handle: async (op, body, next) => {
        const aborts: number[] = [Op.HASH_ABORT, Op.MAC_ABORT, Op.CIPHER_ABORT, Op.AEAD_ABORT, Op.KEY_DERIVATION_ABORT];
        if (!aborts.includes(op)) return next(op, body);
        return ok();
      },
    },
    mustFail: [
      'psa-crypto.hash.update-after-abort',
      'psa-crypto.mac.abort-twice',
      'psa-crypto.cipher.abort-twice',
      'psa-crypto.aead.abort-twice',
      'psa-crypto.kdf.abort',
      'psa-crypto.multipart.hash-model',
    ],
  },
];
