// 9.1 Key attributes, 9.2 Key types and 9.6 Key management functions:
// psa_import_key (the standard formats of 9.6.4), psa_generate_key,
// psa_export_key / psa_export_public_key, psa_copy_key, psa_destroy_key,
// psa_purge_key, psa_get_key_attributes.
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName, keyTypeName, usageName } from '../../protocol/psa/crypto/names.js';
import { concat, hex } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { GENERATE_RSA_CAP, algCap, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KeyType, SPEC, Usage, cleanupIfCreated, client, expectPsa, generateKey, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { EC_SCALARS } from './sign.js';
import { RSA_2048_PRIVATE, RSA_2048_PUBLIC } from './testkeys.js';
import { ED25519_RFC8032, X25519_RFC7748 } from './vectors.js';

const EXPORTABLE = Usage.EXPORT;
const CURVE_KEYS = ['p256', 'p384', 'p521', 'k256'] as const;
const eccPair = (c: O.Curve) => C.eccKeyPair(c.family);
const eccPub = (c: O.Curve) => C.eccPublicKey(c.family);

async function exportOk(t: CheckContext, id: number, pub = false): Promise<Uint8Array> {
  const r = pub ? await client(t).exportPublicKey(id) : await client(t).exportKey(id);
  expectPsa(t, r.status, PSA.SUCCESS, pub ? 'psa_export_public_key' : 'psa_export_key');
  return r.value!;
}

async function attrsOf(t: CheckContext, id: number) {
  const r = await client(t).getAttributes(id);
  expectPsa(t, r.status, PSA.SUCCESS, 'psa_get_key_attributes');
  return r.value!;
}

/** Imports a key that must be refused; destroys it if it was not. */
async function expectImportRefused(t: CheckContext, type: number, bits: number, data: Uint8Array, allowed: readonly number[], what: string): Promise<void> {
  const r = await client(t).importKey({ type, bits, usage: EXPORTABLE, alg: 0 }, data);
  cleanupIfCreated(t, r.status, r.value);
  expectPsa(t, r.status, allowed, `psa_import_key(${keyTypeName(type)}, ${what})`);
}

const SYMMETRIC: [string, number, number, string][] = [
  ['aes-128', KeyType.AES, 16, keyCap(KeyType.AES)],
  ['aes-192', KeyType.AES, 24, keyCap(KeyType.AES)],
  ['aes-256', KeyType.AES, 32, keyCap(KeyType.AES)],
  ['hmac', KeyType.HMAC, 20, keyCap(KeyType.HMAC)],
  ['derive', KeyType.DERIVE, 48, keyCap(KeyType.DERIVE)],
  ['raw-data', KeyType.RAW_DATA, 7, keyCap(KeyType.RAW_DATA)],
  ['chacha20', KeyType.CHACHA20, 32, keyCap(KeyType.CHACHA20)],
];

export default [
  // ------------------------------------------------------------ 9.6.1 psa_import_key / 9.6.3 export
  ...SYMMETRIC.map(([name, type, len, cap]) =>
    check({
      id: `psa-crypto.import.${name}-round-trip`,
      title: `an imported ${keyTypeName(type)} key of ${len * 8} bits exports unchanged`,
      spec: SPEC,
      clause: '9.6.4 Key formats',
      level: 'MUST',
      requirement: `The key data of ${keyTypeName(type)} is the raw bytes of the key; the key size is determined from the data (${len * 8} bits), psa_get_key_attributes reports it, and psa_export_key returns the imported bytes.`,
      services: ['crypto'],
      capabilities: [cap],
      run: async (t) => {
        const data = pattern(len, 200);
        const id = await importKey(t, { type, usage: EXPORTABLE, alg: 0 }, data, cap);
        const a = await attrsOf(t, id);
        t.expectEqual(a.type, type, 'type', keyTypeName);
        t.expectEqual(a.bits, len * 8, 'key bits');
        t.expectBytes(await exportOk(t, id), data, 'exported key');
      },
    }),
  ),
  check({
    id: 'psa-crypto.import.rsa-key-pair-round-trip',
    title: 'an RSA key pair imported as RSAPrivateKey DER exports the same DER',
    spec: SPEC,
    clause: '9.6.4 Key formats',
    level: 'MUST',
    requirement: 'The RSA key pair format is the DER encoding of RSAPrivateKey (RFC 8017), version 0, with all nine elements; the key size is the modulus size (2048) and psa_export_key returns the same encoding.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.RSA_KEY_PAIR)],
    run: async (t) => {
      const id = await importKey(t, { type: KeyType.RSA_KEY_PAIR, usage: EXPORTABLE, alg: 0 }, RSA_2048_PRIVATE, keyCap(KeyType.RSA_KEY_PAIR));
      t.expectEqual((await attrsOf(t, id)).bits, 2048, 'key bits');
      t.expectBytes(await exportOk(t, id), RSA_2048_PRIVATE, 'exported RSAPrivateKey');
      t.expectBytes(await exportOk(t, id, true), RSA_2048_PUBLIC, 'psa_export_public_key (RSAPublicKey)');
    },
  }),
  check({
    id: 'psa-crypto.import.rsa-public-key-round-trip',
    title: 'an RSA public key imported as RSAPublicKey DER exports the same DER',
    spec: SPEC,
    clause: '9.6.4 Key formats',
    level: 'MUST',
    requirement: 'The RSA public key format is the DER encoding of RSAPublicKey (RFC 3279 §2.3.1); a public key is exported whatever its usage flags, in the same encoding.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.RSA_KEY_PAIR)],
    run: async (t) => {
      const id = await importKey(t, { type: KeyType.RSA_PUBLIC_KEY, usage: 0, alg: 0 }, RSA_2048_PUBLIC, keyCap(KeyType.RSA_KEY_PAIR));
      t.expectEqual((await attrsOf(t, id)).bits, 2048, 'key bits');
      t.expectBytes(await exportOk(t, id), RSA_2048_PUBLIC, 'psa_export_key of a public key without EXPORT usage');
    },
  }),
  check({
    id: 'psa-crypto.import.rsa-malformed',
    title: 'malformed RSA key data is refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'psa_import_key returns PSA_ERROR_INVALID_ARGUMENT when the key data is not correctly formatted for the key type: a truncated RSAPrivateKey, random bytes, and an RSAPublicKey given as a key pair (PSA_ERROR_NOT_SUPPORTED accepted).',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.RSA_KEY_PAIR)],
    run: async (t) => {
      await expectImportRefused(t, KeyType.RSA_KEY_PAIR, 0, RSA_2048_PRIVATE.subarray(0, 600), INVALID_OR_UNSUPPORTED, 'truncated DER');
      await expectImportRefused(t, KeyType.RSA_KEY_PAIR, 0, pattern(300, 201), INVALID_OR_UNSUPPORTED, 'random bytes');
      await expectImportRefused(t, KeyType.RSA_KEY_PAIR, 0, RSA_2048_PUBLIC, INVALID_OR_UNSUPPORTED, 'an RSAPublicKey');
    },
  }),
  ...CURVE_KEYS.map((name) => {
    const c = O.CURVES[name];
    return check({
      id: `psa-crypto.import.ecc-${name}-key-pair`,
      title: `a ${c.name} private key imports, exports, and yields its public point`,
      spec: SPEC,
      clause: '9.6.4 Key formats',
      level: 'MUST',
      requirement: `A Weierstrass key pair is the ${c.bytes}-byte big-endian private scalar; psa_export_key returns it, psa_export_public_key returns the uncompressed point 0x04 || x || y of d·G, and the key size is ${c.bits}.`,
      services: ['crypto'],
      capabilities: [keyCap(eccPair(c), c.bits)],
      run: async (t) => {
        const id = await importKey(t, { type: eccPair(c), usage: EXPORTABLE, alg: 0 }, EC_SCALARS[name], keyCap(eccPair(c), c.bits));
        t.expectEqual((await attrsOf(t, id)).bits, c.bits, 'key bits');
        t.expectBytes(await exportOk(t, id), EC_SCALARS[name], 'exported private key');
        t.expectBytes(await exportOk(t, id, true), O.ecPublicOf(c, EC_SCALARS[name]), 'public point (node:crypto)');
      },
    });
  }),
  ...(['p256', 'p384'] as const).map((name) => {
    const c = O.CURVES[name];
    return check({
      id: `psa-crypto.import.ecc-${name}-public-key`,
      title: `a ${c.name} public key imports and exports unchanged`,
      spec: SPEC,
      clause: '9.6.4 Key formats',
      level: 'MUST',
      requirement: 'A Weierstrass public key is the uncompressed point of SEC 1 §2.3.3 (0x04, x, y): it imports, psa_export_key returns it without EXPORT usage, and the key size is that of the curve.',
      services: ['crypto'],
      capabilities: [keyCap(eccPair(c), c.bits)],
      run: async (t) => {
        const point = O.ecPublicOf(c, pattern(c.bytes, 202));
        const id = await importKey(t, { type: eccPub(c), usage: 0, alg: 0 }, point, keyCap(eccPair(c), c.bits));
        t.expectEqual((await attrsOf(t, id)).bits, c.bits, 'key bits');
        t.expectBytes(await exportOk(t, id), point, 'exported public key');
      },
    });
  }),
  ...(['p256', 'p384'] as const).map((name) => {
    const c = O.CURVES[name];
    return check({
      id: `psa-crypto.import.ecc-${name}-scalar-range`,
      title: `${c.name} private scalars outside [1, n-1] are refused`,
      spec: SPEC,
      clause: '9.6.1 psa_import_key',
      level: 'MUST',
      requirement: 'The key data must be correctly formatted for the key type (a private key is d in [1, n-1]): importing 0, n, n + 1 and all-ones as a private scalar returns PSA_ERROR_INVALID_ARGUMENT (PSA_ERROR_NOT_SUPPORTED accepted); a scalar that is not below n would make signatures reveal the key or fail.',
      services: ['crypto'],
      capabilities: [keyCap(eccPair(c), c.bits)],
      run: async (t) => {
        const cases: [string, Uint8Array][] = [
          ['0', new Uint8Array(c.bytes)],
          ['n', O.bigToBytes(c.n, c.bytes)],
          ['n + 1', O.bigToBytes(c.n + 1n, c.bytes)],
          ['all ones', new Uint8Array(c.bytes).fill(0xff)],
        ];
        for (const [what, d] of cases) await expectImportRefused(t, eccPair(c), c.bits, d, INVALID_OR_UNSUPPORTED, `d = ${what}`);
      },
    });
  }),
  check({
    id: 'psa-crypto.import.ecc-wrong-length',
    title: 'ECC data of the wrong length is refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'A P-256 private key is exactly 32 bytes and a P-256 public key 65: 31 and 33-byte private keys, and 64/66-byte public keys, return PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    run: async (t) => {
      const c = O.CURVES.p256;
      await expectImportRefused(t, eccPair(c), 256, EC_SCALARS.p256.subarray(1), INVALID_OR_UNSUPPORTED, '31-byte private key');
      await expectImportRefused(t, eccPair(c), 256, concat(Uint8Array.of(0), EC_SCALARS.p256), INVALID_OR_UNSUPPORTED, '33-byte private key');
      const point = O.ecPublicOf(c, EC_SCALARS.p256);
      await expectImportRefused(t, eccPub(c), 256, point.subarray(0, 64), INVALID_OR_UNSUPPORTED, '64-byte public key');
      await expectImportRefused(t, eccPub(c), 256, concat(point, Uint8Array.of(0)), INVALID_OR_UNSUPPORTED, '66-byte public key');
    },
  }),
  checkProp({
    id: 'psa-crypto.import.ecc-public-off-curve',
    title: 'P-256 public keys that are not on the curve are refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'psa_import_key returns PSA_ERROR_INVALID_ARGUMENT when the key data is not correctly formatted: an uncompressed point whose coordinates do not satisfy the curve equation (or with a coordinate >= p) is not a P-256 public key.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    numRuns: 12,
    arbitrary: () => fc.oneof(fc.record({ kind: fc.constant('y+delta' as const), delta: fc.bigInt({ min: 1n, max: 1n << 40n }) }), fc.record({ kind: fc.constant('x=p' as const), delta: fc.constant(0n) })),
    predicate: async (t, { kind, delta }) => {
      const c = O.CURVES.p256;
      const good = O.ecPublicOf(c, pattern(32, 203));
      const bad =
        kind === 'x=p'
          ? concat(Uint8Array.of(4), O.bigToBytes(c.p, 32), good.subarray(33))
          : concat(good.subarray(0, 33), O.bigToBytes((O.bytesToBig(good.subarray(33)) + delta) % c.p, 32));
      await expectImportRefused(t, eccPub(c), 256, bad, INVALID_OR_UNSUPPORTED, `point ${kind === 'x=p' ? 'with x = p' : `with y + ${delta}`}`);
    },
  }),
  check({
    id: 'psa-crypto.import.ecc-public-infinity',
    title: 'the point at infinity is not a public key',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'The public key format is the uncompressed point 0x04 || x || y: the SEC 1 encoding of the point at infinity (a single 0x00 byte) and 0x04 followed by zeros are refused with PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    run: async (t) => {
      const c = O.CURVES.p256;
      await expectImportRefused(t, eccPub(c), 256, Uint8Array.of(0), INVALID_OR_UNSUPPORTED, '0x00');
      await expectImportRefused(t, eccPub(c), 256, concat(Uint8Array.of(4), new Uint8Array(64)), INVALID_OR_UNSUPPORTED, '0x04 || 0 || 0');
    },
  }),
  check({
    id: 'psa-crypto.import.x25519-key-pair',
    title: 'an X25519 key pair imports and yields its RFC 7748 public key',
    spec: SPEC,
    clause: '9.6.4 Key formats',
    level: 'MUST',
    requirement: 'A Montgomery key pair is the 32-byte little-endian scalar with the decodeScalar25519 bits set; the public key is X25519(private_key, 9): RFC 7748 §6.1 Bob\'s key gives his public key, and the key size is 255.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.MONTGOMERY), 255)],
    run: async (t) => {
      const d = X25519_RFC7748.bobPrivate.slice();
      d[0]! &= 248;
      d[31]! &= 127;
      d[31]! |= 64;
      const id = await importKey(t, { type: C.eccKeyPair(C.EccFamily.MONTGOMERY), usage: EXPORTABLE, alg: Alg.ECDH }, d, keyCap(C.eccKeyPair(C.EccFamily.MONTGOMERY), 255));
      t.expectEqual((await attrsOf(t, id)).bits, 255, 'key bits');
      t.expectBytes(await exportOk(t, id, true), X25519_RFC7748.bobPublic, 'public key');
      t.expectBytes(await exportOk(t, id), d, 'exported private key');
    },
  }),
  check({
    id: 'psa-crypto.import.ed25519-key-pair',
    title: 'an Ed25519 key pair imports and yields its RFC 8032 public key',
    spec: SPEC,
    clause: '9.6.4 Key formats',
    level: 'MUST',
    requirement: 'A Twisted Edwards key pair is the 32-byte private key of RFC 8032; psa_export_public_key returns the 32-byte public key (RFC 8032 §7.1 TEST 1) and the key size is 255.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255)],
    run: async (t) => {
      const v = ED25519_RFC8032[0]!;
      const id = await importKey(t, { type: C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), usage: EXPORTABLE, alg: Alg.PURE_EDDSA }, v.secret, keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255));
      t.expectEqual((await attrsOf(t, id)).bits, 255, 'key bits');
      t.expectBytes(await exportOk(t, id, true), v.public, 'public key');
      t.expectBytes(await exportOk(t, id), v.secret, 'exported private key');
    },
  }),
  check({
    id: 'psa-crypto.import.ed25519-public-invalid',
    title: 'an Ed25519 public key that is not a point encoding is refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'The Twisted Edwards public key is a 32-byte point encoding (RFC 8032 §5.1.3): a y-coordinate >= p (0xff..ff7f) and 31 bytes are refused with PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255)],
    run: async (t) => {
      const type = C.eccPublicKey(C.EccFamily.TWISTED_EDWARDS);
      const big = new Uint8Array(32).fill(0xff);
      big[31] = 0x7f;
      await expectImportRefused(t, type, 255, big, INVALID_OR_UNSUPPORTED, 'y >= p');
      await expectImportRefused(t, type, 255, ED25519_RFC8032[0]!.public.subarray(1), INVALID_OR_UNSUPPORTED, '31 bytes');
    },
  }),
  check({
    id: 'psa-crypto.import.aes-invalid-size',
    title: 'AES keys of a size AES does not have are refused',
    spec: SPEC,
    clause: '9.2.3 PSA_KEY_TYPE_AES',
    level: 'MUST',
    requirement: 'AES keys are 16, 24 or 32 bytes (32/48/64 only for XTS): importing 15, 17 or 31 bytes returns PSA_ERROR_INVALID_ARGUMENT (the key data is not correctly formatted) or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      for (const n of [15, 17, 31]) await expectImportRefused(t, KeyType.AES, 0, pattern(n, 204), INVALID_OR_UNSUPPORTED, `${n} bytes`);
    },
  }),
  check({
    id: 'psa-crypto.import.zero-size',
    title: 'importing an empty key is refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'Implementations must reject an attempt to import a key of size 0: empty data for AES, HMAC, DERIVE and RAW_DATA returns PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    run: async (t) => {
      for (const type of [KeyType.AES, KeyType.HMAC, KeyType.DERIVE, KeyType.RAW_DATA]) {
        await expectImportRefused(t, type, 0, new Uint8Array(0), INVALID_OR_UNSUPPORTED, '0 bytes');
      }
    },
  }),
  check({
    id: 'psa-crypto.import.bits-mismatch',
    title: 'a declared key size that differs from the data is refused',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'If the key size in attributes is nonzero, it must be equal to the size determined from data: 16 bytes of AES with key_bits 256, and 20 bytes of HMAC with key_bits 128, return PSA_ERROR_INVALID_ARGUMENT.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES), keyCap(KeyType.HMAC)],
    run: async (t) => {
      await expectImportRefused(t, KeyType.AES, 256, pattern(16, 205), [PSA.ERROR_INVALID_ARGUMENT], '16 bytes declared as 256 bits');
      await expectImportRefused(t, KeyType.HMAC, 128, pattern(20, 206), [PSA.ERROR_INVALID_ARGUMENT], '20 bytes declared as 128 bits');
    },
  }),
  check({
    id: 'psa-crypto.import.type-none',
    title: 'PSA_KEY_TYPE_NONE and unallocated key types cannot be imported',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'psa_import_key returns PSA_ERROR_INVALID_ARGUMENT (the key type is invalid) or PSA_ERROR_NOT_SUPPORTED for PSA_KEY_TYPE_NONE, for 0x1000 and for the vendor-flagged type 0xf000.',
    services: ['crypto'],
    run: async (t) => {
      for (const type of [KeyType.NONE, 0x1000, 0xf000]) await expectImportRefused(t, type, 0, pattern(16, 207), INVALID_OR_UNSUPPORTED, '16 bytes');
    },
  }),
  // ------------------------------------------------------------ 9.6.1 psa_generate_key
  ...(
    [
      ['aes-128', KeyType.AES, 128],
      ['aes-256', KeyType.AES, 256],
      ['hmac-256', KeyType.HMAC, 256],
      ['derive-384', KeyType.DERIVE, 384],
    ] as const
  ).map(([name, type, bits]) =>
    check({
      id: `psa-crypto.generate.${name}`,
      title: `psa_generate_key creates a ${bits}-bit ${keyTypeName(type)} key`,
      spec: SPEC,
      clause: '9.6.1 psa_generate_key',
      level: 'MUST',
      requirement: `psa_generate_key creates a key of the requested type and size: psa_get_key_attributes reports ${keyTypeName(type)} with ${bits} bits and psa_export_key returns ${bits / 8} bytes; a second generation gives another key.`,
      services: ['crypto'],
      capabilities: [keyCap(type)],
      run: async (t) => {
        const a = await generateKey(t, { type, bits, usage: EXPORTABLE, alg: 0 }, keyCap(type));
        const b = await generateKey(t, { type, bits, usage: EXPORTABLE, alg: 0 }, keyCap(type));
        const at = await attrsOf(t, a);
        t.expectEqual(at.type, type, 'type', keyTypeName);
        t.expectEqual(at.bits, bits, 'key bits');
        const ka = await exportOk(t, a);
        t.expectEqual(ka.length, bits / 8, 'exported key length');
        t.assert(hex(ka) !== hex(await exportOk(t, b)), 'two generated keys are identical', { expected: 'independent random keys', actual: hex(ka) });
      },
    }),
  ),
  ...CURVE_KEYS.map((name) => {
    const c = O.CURVES[name];
    const alg = C.ecdsa(c.hash);
    return check({
      id: `psa-crypto.generate.ecc-${name}`,
      title: `psa_generate_key creates a working ${c.name} key pair`,
      spec: SPEC,
      clause: '9.6.1 psa_generate_key',
      level: 'MUST',
      requirement: `psa_generate_key for PSA_KEY_TYPE_ECC_KEY_PAIR(${c.name}) creates a key pair of ${c.bits} bits whose public key (psa_export_public_key) is a point on the curve and verifies the signatures the private key makes.`,
      services: ['crypto'],
      capabilities: [keyCap(eccPair(c), c.bits), algCap(alg)],
      run: async (t) => {
        const id = await generateKey(t, { type: eccPair(c), bits: c.bits, usage: Usage.SIGN_HASH, alg }, keyCap(eccPair(c), c.bits));
        t.expectEqual((await attrsOf(t, id)).bits, c.bits, 'key bits');
        const pub = await exportOk(t, id, true);
        const msg = pattern(30, 208);
        const s = await client(t).signHash(id, alg, O.hash(c.hash, msg));
        supported(t, s.status, algCap(alg), 'psa_sign_hash');
        expectPsa(t, s.status, PSA.SUCCESS, 'psa_sign_hash with the generated key');
        t.assert(O.ecdsaVerify(c, pub, c.hash, msg, s.value!), `node:crypto rejects the generated ${c.name} key's signature (public key ${hex(pub, 16)})`, { expected: 'valid', actual: 'invalid' });
      },
    });
  }),
  check({
    id: 'psa-crypto.generate.x25519',
    title: 'psa_generate_key creates a working X25519 key pair',
    spec: SPEC,
    clause: '9.6.1 psa_generate_key',
    level: 'MUST',
    requirement: 'A generated Curve25519 key pair agrees with a peer as X25519 does: the shared secret from psa_raw_key_agreement equals X25519(peer_private, public key of the generated key).',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.MONTGOMERY), 255), algCap(Alg.ECDH)],
    run: async (t) => {
      const id = await generateKey(t, { type: C.eccKeyPair(C.EccFamily.MONTGOMERY), bits: 255, usage: Usage.DERIVE, alg: Alg.ECDH }, keyCap(C.eccKeyPair(C.EccFamily.MONTGOMERY), 255));
      const pub = await exportOk(t, id, true);
      const peerD = pattern(32, 209);
      peerD[0]! &= 248;
      peerD[31]! &= 127;
      peerD[31]! |= 64;
      const r = await client(t).rawKeyAgreement(Alg.ECDH, id, O.x25519PublicOf(peerD));
      supported(t, r.status, algCap(Alg.ECDH), 'psa_raw_key_agreement');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_raw_key_agreement');
      t.expectBytes(r.value!, O.x25519(peerD, pub), 'shared secret');
    },
  }),
  check({
    id: 'psa-crypto.generate.ed25519',
    title: 'psa_generate_key creates a working Ed25519 key pair',
    spec: SPEC,
    clause: '9.6.1 psa_generate_key',
    level: 'MUST',
    requirement: 'A generated Edwards25519 key pair signs (PureEdDSA) what an independent verifier accepts under psa_export_public_key.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255), algCap(Alg.PURE_EDDSA)],
    run: async (t) => {
      const id = await generateKey(t, { type: C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), bits: 255, usage: Usage.SIGN_MESSAGE, alg: Alg.PURE_EDDSA }, keyCap(C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 255));
      const pub = await exportOk(t, id, true);
      const msg = pattern(50, 210);
      const s = await client(t).signMessage(id, Alg.PURE_EDDSA, msg);
      supported(t, s.status, algCap(Alg.PURE_EDDSA), 'psa_sign_message');
      expectPsa(t, s.status, PSA.SUCCESS, 'psa_sign_message with the generated key');
      t.assert(O.ed25519Verify(pub, msg, s.value!), 'node:crypto rejects the signature', { expected: 'valid', actual: 'invalid' });
    },
  }),
  check({
    id: 'psa-crypto.generate.rsa-2048',
    title: 'psa_generate_key creates a 2048-bit RSA key pair with e = 65537',
    spec: SPEC,
    clause: '9.6.1 psa_generate_key',
    level: 'MUST',
    requirement: 'For RSA keys the public exponent is 65537 and the modulus has the requested bit size: the generated key reports 2048 bits, its RSAPublicKey has e = 65537, and its PKCS #1 v1.5 signatures verify under OpenSSL.',
    services: ['crypto'],
    capabilities: [GENERATE_RSA_CAP, keyCap(KeyType.RSA_KEY_PAIR)],
    timeoutMs: 120_000,
    run: async (t) => {
      const alg = C.rsaPkcs1v15Sign(Alg.SHA_256);
      const id = await generateKey(t, { type: KeyType.RSA_KEY_PAIR, bits: 2048, usage: Usage.SIGN_HASH, alg }, GENERATE_RSA_CAP);
      t.expectEqual((await attrsOf(t, id)).bits, 2048, 'key bits');
      const pubDer = await exportOk(t, id, true);
      const pub = O.rsaPublicKey(pubDer);
      const e = (pub.export({ format: 'jwk' }) as { e: string }).e;
      t.expectEqual(e, 'AQAB', 'public exponent (base64url; AQAB = 65537)');
      const msg = pattern(20, 211);
      const s = await client(t).signHash(id, alg, O.hash(Alg.SHA_256, msg));
      expectPsa(t, s.status, PSA.SUCCESS, 'psa_sign_hash with the generated RSA key');
      t.assert(O.rsaVerify(pub, alg, msg, s.value!), 'OpenSSL rejects the generated key\'s signature', { expected: 'valid', actual: 'invalid' });
    },
  }),
  check({
    id: 'psa-crypto.generate.public-key-type',
    title: 'a public key cannot be generated',
    spec: SPEC,
    clause: '9.6.1 psa_generate_key',
    level: 'MUST',
    requirement: 'The key type of psa_generate_key cannot be an asymmetric public key: PSA_KEY_TYPE_ECC_PUBLIC_KEY(SECP_R1) and PSA_KEY_TYPE_RSA_PUBLIC_KEY return PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    run: async (t) => {
      for (const [type, bits] of [
        [C.eccPublicKey(C.EccFamily.SECP_R1), 256],
        [KeyType.RSA_PUBLIC_KEY, 2048],
      ] as const) {
        const r = await client(t).generateKey({ type, bits, usage: 0, alg: 0 });
        cleanupIfCreated(t, r.status, r.value);
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_generate_key(${keyTypeName(type)})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.generate.invalid-size',
    title: 'psa_generate_key refuses size 0 and sizes the type does not have',
    spec: SPEC,
    clause: '9.6.1 psa_generate_key',
    level: 'MUST',
    requirement: 'Implementations must reject an attempt to generate a key of size 0, and the key size must be valid for the type: AES of 0 and 100 bits, HMAC of 0 bits and P-256 declared as 255 bits return PSA_ERROR_INVALID_ARGUMENT (or PSA_ERROR_NOT_SUPPORTED).',
    services: ['crypto'],
    run: async (t) => {
      for (const [type, bits] of [
        [KeyType.AES, 0],
        [KeyType.AES, 100],
        [KeyType.HMAC, 0],
        [C.eccKeyPair(C.EccFamily.SECP_R1), 255],
      ] as const) {
        const r = await client(t).generateKey({ type, bits, usage: 0, alg: 0 });
        cleanupIfCreated(t, r.status, r.value);
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_generate_key(${keyTypeName(type)}, ${bits} bits)`);
      }
    },
  }),
  // ------------------------------------------------------------ 9.6.3 export
  check({
    id: 'psa-crypto.export.public-of-symmetric',
    title: 'psa_export_public_key of a symmetric key is refused',
    spec: SPEC,
    clause: '9.6.3 psa_export_public_key',
    level: 'MUST',
    requirement: 'psa_export_public_key returns PSA_ERROR_INVALID_ARGUMENT when the key is neither a public key nor a key pair (an exportable AES key, an HMAC key).',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const aes = await importKey(t, { type: KeyType.AES, usage: EXPORTABLE, alg: 0 }, pattern(16, 212), keyCap(KeyType.AES));
      expectPsa(t, (await client(t).exportPublicKey(aes)).status, PSA.ERROR_INVALID_ARGUMENT, 'psa_export_public_key(AES)');
      const hm = await importKey(t, { type: KeyType.HMAC, usage: EXPORTABLE, alg: 0 }, pattern(16, 213), keyCap(KeyType.HMAC));
      expectPsa(t, (await client(t).exportPublicKey(hm)).status, PSA.ERROR_INVALID_ARGUMENT, 'psa_export_public_key(HMAC)');
    },
  }),
  check({
    id: 'psa-crypto.export.public-part-always-permitted',
    title: 'the public part of a non-exportable key pair can be exported',
    spec: SPEC,
    clause: '9.6.3 psa_export_public_key',
    level: 'MUST',
    requirement: 'Exporting a public key object or the public part of a key pair is always permitted, regardless of the key\'s usage flags: psa_export_public_key of a P-256 key pair with no usage flags succeeds.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
    run: async (t) => {
      const c = O.CURVES.p256;
      const id = await importKey(t, { type: eccPair(c), usage: 0, alg: 0 }, EC_SCALARS.p256, keyCap(eccPair(c), 256));
      t.expectBytes(await exportOk(t, id, true), O.ecPublicOf(c, EC_SCALARS.p256), 'public key of a key pair without usage flags');
    },
  }),
  // ------------------------------------------------------------ 9.6.1 psa_copy_key
  check({
    id: 'psa-crypto.copy.round-trip',
    title: 'psa_copy_key copies the key material',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'psa_copy_key makes a copy of a key with PSA_KEY_USAGE_COPY: the copy has the same type and size (attributes type and bits 0 take the source\'s) and exports the same material.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const data = pattern(32, 214);
      const src = await importKey(t, { type: KeyType.AES, usage: Usage.COPY | EXPORTABLE | Usage.ENCRYPT, alg: Alg.CTR }, data, keyCap(KeyType.AES));
      const r = await client(t).copyKey(src, { type: 0, bits: 0, usage: EXPORTABLE | Usage.ENCRYPT, alg: Alg.CTR });
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_copy_key');
      const a = await attrsOf(t, r.value!);
      t.expectEqual(a.type, KeyType.AES, 'type of the copy', keyTypeName);
      t.expectEqual(a.bits, 256, 'bits of the copy');
      t.expectBytes(await exportOk(t, r.value!), data, 'material of the copy');
    },
  }),
  check({
    id: 'psa-crypto.copy.usage-intersection',
    title: 'a copy has the intersection of the usage flags',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'The usage flags of the copy are the bitwise-and of the usage flags of the source and of the attributes: a copy may restrict the policy, never widen it (source COPY|ENCRYPT, requested EXPORT|ENCRYPT|DECRYPT: the copy has ENCRYPT only and cannot export or decrypt).',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES), algCap(Alg.CTR)],
    run: async (t) => {
      const src = await importKey(t, { type: KeyType.AES, usage: Usage.COPY | Usage.ENCRYPT, alg: Alg.CTR }, pattern(16, 215), keyCap(KeyType.AES));
      const r = await client(t).copyKey(src, { type: 0, usage: EXPORTABLE | Usage.ENCRYPT | Usage.DECRYPT, alg: Alg.CTR });
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_copy_key');
      const a = await attrsOf(t, r.value!);
      t.expectEqual(a.usage & (EXPORTABLE | Usage.DECRYPT | Usage.COPY), 0, `usage of the copy (${usageName(a.usage)}) beyond the source's`, usageName);
      expectPsa(t, (await client(t).exportKey(r.value!)).status, PSA.ERROR_NOT_PERMITTED, 'psa_export_key of the copy');
      const d = await client(t).cipherSetup(r.value!, Alg.CTR, false);
      if (d.status === PSA.SUCCESS) await client(t).cipherAbort(d.value!);
      expectPsa(t, d.status, PSA.ERROR_NOT_PERMITTED, 'psa_cipher_decrypt_setup with the copy');
    },
  }),
  check({
    id: 'psa-crypto.copy.algorithm-intersection',
    title: 'a copy of a wildcard policy key with a specific algorithm gets that algorithm',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'If one policy permits a wildcard (PSA_ALG_ECDSA(PSA_ALG_ANY_HASH)) and the other an algorithm it includes (PSA_ALG_ECDSA(PSA_ALG_SHA_256)), the copy permits that algorithm, and not the others of the wildcard.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256), algCap(C.ecdsa(Alg.SHA_256))],
    run: async (t) => {
      const c = O.CURVES.p256;
      const src = await importKey(t, { type: eccPair(c), usage: Usage.COPY | Usage.SIGN_HASH, alg: C.ecdsa(Alg.ANY_HASH) }, EC_SCALARS.p256, keyCap(eccPair(c), 256));
      const r = await client(t).copyKey(src, { type: 0, usage: Usage.SIGN_HASH, alg: C.ecdsa(Alg.SHA_256) });
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_copy_key');
      t.expectEqual((await attrsOf(t, r.value!)).alg, C.ecdsa(Alg.SHA_256), 'permitted algorithm of the copy', algName);
      expectPsa(t, (await client(t).signHash(r.value!, C.ecdsa(Alg.SHA_384), pattern(48))).status, PSA.ERROR_NOT_PERMITTED, 'psa_sign_hash(ECDSA-SHA-384) with the copy');
    },
  }),
  check({
    id: 'psa-crypto.copy.incompatible-policies',
    title: 'copying with a policy that shares no algorithm is refused',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'If the policies do not permit any algorithm in common, psa_copy_key fails with PSA_ERROR_INVALID_ARGUMENT (source permits PSA_ALG_CTR, attributes ask for PSA_ALG_CBC_NO_PADDING).',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const src = await importKey(t, { type: KeyType.AES, usage: Usage.COPY | Usage.ENCRYPT, alg: Alg.CTR }, pattern(16, 216), keyCap(KeyType.AES));
      const r = await client(t).copyKey(src, { type: 0, usage: Usage.ENCRYPT, alg: Alg.CBC_NO_PADDING });
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, 'psa_copy_key with an incompatible algorithm');
    },
  }),
  check({
    id: 'psa-crypto.copy.type-or-size-mismatch',
    title: 'copying with another type or size is refused',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'The key type and size in the attributes can be 0; if either is nonzero, it must match the source key, else PSA_ERROR_INVALID_ARGUMENT (an AES-128 source copied as HMAC, and as AES-256).',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const src = await importKey(t, { type: KeyType.AES, usage: Usage.COPY | EXPORTABLE, alg: 0 }, pattern(16, 217), keyCap(KeyType.AES));
      for (const [what, a] of [
        ['type HMAC', { type: KeyType.HMAC, bits: 0 }],
        ['256 bits', { type: KeyType.AES, bits: 256 }],
      ] as const) {
        const r = await client(t).copyKey(src, { ...a, usage: EXPORTABLE, alg: 0 });
        cleanupIfCreated(t, r.status, r.value);
        expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, `psa_copy_key as ${what}`);
      }
    },
  }),
  // ------------------------------------------------------------ 9.6.2 destroy / purge
  check({
    id: 'psa-crypto.destroy.then-unusable',
    title: 'a destroyed key is gone for every function',
    spec: SPEC,
    clause: '9.6.2 psa_destroy_key',
    level: 'MUST',
    requirement: 'Destroying the key makes the key identifier invalid: afterwards psa_get_key_attributes, psa_export_key and psa_destroy_key return PSA_ERROR_INVALID_HANDLE.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const c = client(t);
      const r = await c.importKey({ type: KeyType.AES, usage: EXPORTABLE, alg: 0 }, pattern(16, 218));
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_import_key');
      expectPsa(t, await c.destroyKey(r.value!), PSA.SUCCESS, 'psa_destroy_key');
      expectPsa(t, (await c.getAttributes(r.value!)).status, PSA.ERROR_INVALID_HANDLE, 'psa_get_key_attributes after destroy');
      expectPsa(t, (await c.exportKey(r.value!)).status, PSA.ERROR_INVALID_HANDLE, 'psa_export_key after destroy');
      expectPsa(t, await c.destroyKey(r.value!), PSA.ERROR_INVALID_HANDLE, 'psa_destroy_key again');
    },
  }),
  check({
    id: 'psa-crypto.destroy.null-key',
    title: 'psa_destroy_key(PSA_KEY_ID_NULL) does nothing and succeeds',
    spec: SPEC,
    clause: '9.6.2 psa_destroy_key',
    level: 'MUST',
    requirement: 'If key is PSA_KEY_ID_NULL, psa_destroy_key does nothing and returns PSA_SUCCESS.',
    services: ['crypto'],
    run: async (t) => {
      expectPsa(t, await client(t).destroyKey(0), PSA.SUCCESS, 'psa_destroy_key(PSA_KEY_ID_NULL)');
    },
  }),
  check({
    id: 'psa-crypto.destroy.in-use-by-another-key-id',
    title: 'destroying a copy leaves the source key intact',
    spec: SPEC,
    clause: '9.6.2 psa_destroy_key',
    level: 'MUST',
    requirement: 'psa_destroy_key erases the key the identifier refers to, not keys that share its material: after destroying a copy, the source key still exports its material.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.HMAC)],
    run: async (t) => {
      const data = pattern(24, 219);
      const src = await importKey(t, { type: KeyType.HMAC, usage: Usage.COPY | EXPORTABLE, alg: 0 }, data, keyCap(KeyType.HMAC));
      const cp = await client(t).copyKey(src, { type: 0, usage: EXPORTABLE, alg: 0 });
      expectPsa(t, cp.status, PSA.SUCCESS, 'psa_copy_key');
      expectPsa(t, await client(t).destroyKey(cp.value!), PSA.SUCCESS, 'psa_destroy_key(copy)');
      t.expectBytes(await exportOk(t, src), data, 'source key after the copy was destroyed');
    },
  }),
  check({
    id: 'psa-crypto.purge.volatile',
    title: 'psa_purge_key of a volatile key succeeds and keeps the key usable',
    spec: SPEC,
    clause: '9.6.2 psa_purge_key',
    level: 'MUST',
    requirement: 'psa_purge_key removes non-essential copies of key material from memory; it is not required to remove volatile keys, and the key stays valid: PSA_SUCCESS, then the key still exports.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const data = pattern(16, 220);
      const id = await importKey(t, { type: KeyType.AES, usage: EXPORTABLE | Usage.CACHE, alg: 0 }, data, keyCap(KeyType.AES));
      expectPsa(t, await client(t).purgeKey(id), PSA.SUCCESS, 'psa_purge_key');
      t.expectBytes(await exportOk(t, id), data, 'key after purge');
    },
  }),
  // ------------------------------------------------------------ 9.1 / 9.5.2 attributes
  check({
    id: 'psa-crypto.attributes.reported',
    title: 'psa_get_key_attributes reports what the key was created with',
    spec: SPEC,
    clause: '9.1.1 psa_get_key_attributes',
    level: 'MUST',
    requirement: 'psa_get_key_attributes copies the attributes of the key: type, size, lifetime (volatile), usage flags and permitted algorithm as given to psa_import_key.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const usage = Usage.ENCRYPT | Usage.DECRYPT | Usage.EXPORT;
      const id = await importKey(t, { type: KeyType.AES, bits: 192, usage, alg: Alg.CBC_PKCS7 }, pattern(24, 221), keyCap(KeyType.AES));
      const a = await attrsOf(t, id);
      t.expectEqual(a.type, KeyType.AES, 'type', keyTypeName);
      t.expectEqual(a.bits, 192, 'bits');
      t.expectEqual(a.lifetime, C.Lifetime.VOLATILE, 'lifetime');
      t.expectEqual(a.usage, usage, 'usage flags', usageName);
      t.expectEqual(a.alg, Alg.CBC_PKCS7, 'permitted algorithm', algName);
    },
  }),
  ...(
    [
      ['sign-hash-implies-sign-message', Usage.SIGN_HASH, Usage.SIGN_MESSAGE, 'PSA_KEY_USAGE_SIGN_HASH', 'PSA_KEY_USAGE_SIGN_MESSAGE'],
      ['verify-hash-implies-verify-message', Usage.VERIFY_HASH, Usage.VERIFY_MESSAGE, 'PSA_KEY_USAGE_VERIFY_HASH', 'PSA_KEY_USAGE_VERIFY_MESSAGE'],
    ] as const
  ).map(([name, given, implied, gName, iName]) =>
    check({
      id: `psa-crypto.attributes.${name}`,
      title: `${gName} is reported with ${iName}`,
      spec: SPEC,
      clause: `9.5.2 ${gName}`,
      level: 'MUST',
      requirement: `${gName} automatically sets ${iName}: the key always has the permissions of ${iName}, and the flag is present when the application queries the usage flags of the key.`,
      services: ['crypto'],
      capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256)],
      run: async (t) => {
        const c = O.CURVES.p256;
        const alg = C.ecdsa(Alg.SHA_256);
        const id = await importKey(t, { type: eccPair(c), usage: given, alg }, EC_SCALARS.p256, keyCap(eccPair(c), 256));
        const a = await attrsOf(t, id);
        t.assert(a.usage & implied, `usage flags ${usageName(a.usage)} lack ${iName}`, { expected: `${usageName(given | implied)}`, actual: usageName(a.usage) });
        const msg = pattern(20, 222);
        if (given === Usage.SIGN_HASH) {
          const s = await client(t).signMessage(id, alg, msg);
          supported(t, s.status, algCap(alg), 'psa_sign_message');
          expectPsa(t, s.status, PSA.SUCCESS, 'psa_sign_message with a SIGN_HASH key');
        } else {
          const s = await client(t).verifyMessage(id, alg, msg, O.ecdsaSign(c, EC_SCALARS.p256, Alg.SHA_256, msg));
          supported(t, s, algCap(alg), 'psa_verify_message');
          expectPsa(t, s, PSA.SUCCESS, 'psa_verify_message with a VERIFY_HASH key');
        }
      },
    }),
  ),
  check({
    id: 'psa-crypto.attributes.cache-flag-preserved',
    title: 'PSA_KEY_USAGE_CACHE is reported back',
    spec: SPEC,
    clause: '9.5.2 PSA_KEY_USAGE_CACHE',
    level: 'MUST',
    requirement: 'The CACHE flag must be preserved when reading back the attributes for all keys, regardless of key type or implementation behaviour.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.RAW_DATA)],
    run: async (t) => {
      const id = await importKey(t, { type: KeyType.RAW_DATA, usage: Usage.CACHE, alg: 0 }, pattern(8, 223), keyCap(KeyType.RAW_DATA));
      const a = await attrsOf(t, id);
      t.assert(a.usage & Usage.CACHE, `usage ${usageName(a.usage)} lacks CACHE`, { expected: 'CACHE', actual: usageName(a.usage) });
    },
  }),
] satisfies CheckDef[];
