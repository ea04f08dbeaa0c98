// 10.9 Key agreement: psa_raw_key_agreement (ECDH on Weierstrass curves and
// X25519) and psa_key_derivation_key_agreement; invalid and off-curve peer
// points (the invalid-curve attack class).
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat, hex } from '../../protocol/bytes.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, algCaps, keyCap } from './caps.js';
import { Alg, INVALID_OR_UNSUPPORTED, KdfStep, SPEC, Usage, client, expectPsa, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';
import { EC_SCALARS, eccCap, eccKey } from './sign.js';
import { X25519_RFC7748 } from './vectors.js';

const ECDH = Alg.ECDH;
const X25519_TYPE = C.eccKeyPair(C.EccFamily.MONTGOMERY);
const X_CAPS = [algCap(ECDH), keyCap(X25519_TYPE, 255)];
const P256 = O.CURVES.p256;
const P256_CAPS = [algCap(ECDH), eccCap(P256)];

const clamp = (k: Uint8Array) => {
  const c = k.slice();
  c[0]! &= 248;
  c[31]! &= 127;
  c[31]! |= 64;
  return c;
};

async function x25519Key(t: CheckContext, d: Uint8Array, alg: number = ECDH): Promise<number> {
  return importKey(t, { type: X25519_TYPE, bits: 255, usage: Usage.DERIVE, alg }, clamp(d), X_CAPS[1]!);
}

async function agree(t: CheckContext, key: number, peer: Uint8Array, alg: number = ECDH) {
  const r = await client(t).rawKeyAgreement(alg, key, peer);
  return r;
}

/** A point with valid coordinates (< p) that is not on the curve: y + 1. */
function offCurve(c: O.Curve, d: Uint8Array, delta: bigint): Uint8Array {
  const pub = O.ecPublicOf(c, d);
  const y = O.bytesToBig(pub.subarray(1 + c.bytes));
  return concat(pub.subarray(0, 1 + c.bytes), O.bigToBytes((y + delta) % c.p, c.bytes));
}

/** A key derivation operation for a combined KEY_AGREEMENT(ka, kdf) algorithm, aborted after the check. */
async function agreementOp(t: CheckContext, alg: number): Promise<number> {
  const c = client(t);
  const s = await c.kdfSetup(alg);
  supported(t, s.status, algCaps(alg), `psa_key_derivation_setup(${algName(alg)})`);
  expectPsa(t, s.status, PSA.SUCCESS, `psa_key_derivation_setup(${algName(alg)})`);
  t.defer(() => c.kdfAbort(s.value!));
  return s.value!;
}

export default [
  ...(['p256', 'p384', 'p521', 'k256'] as const).map((name) => {
    const c = O.CURVES[name];
    return check({
      id: `psa-crypto.ka.ecdh-${name}-differential`,
      title: `psa_raw_key_agreement(PSA_ALG_ECDH) on ${c.name} matches node:crypto`,
      spec: SPEC,
      clause: '10.9.1 PSA_ALG_ECDH',
      level: 'MUST',
      requirement: `For Weierstrass curves the shared secret is the x-coordinate of d_A·Q_B, big-endian, ceil(m/8) = ${c.bytes} bytes: it equals what an independent implementation computes for the same keys.`,
      services: ['crypto'],
      capabilities: [algCap(ECDH), eccCap(c)],
      run: async (t) => {
        const key = await eccKey(t, c, EC_SCALARS[name], ECDH, Usage.DERIVE);
        const peerD = pattern(c.bytes, 140);
        peerD[0] = name === 'p521' ? 0x01 : 0x3f;
        const peer = O.ecPublicOf(c, peerD);
        const r = await agree(t, key, peer);
        supported(t, r.status, algCap(ECDH), 'psa_raw_key_agreement');
        expectPsa(t, r.status, PSA.SUCCESS, 'psa_raw_key_agreement(PSA_ALG_ECDH)');
        t.expectBytes(r.value!, O.ecdh(c, EC_SCALARS[name], peer), 'shared secret (node:crypto)');
      },
    });
  }),
  check({
    id: 'psa-crypto.ka.x25519-kat',
    title: 'X25519 matches RFC 7748 §6.1',
    spec: SPEC,
    clause: '10.9.1 PSA_ALG_ECDH',
    level: 'MUST',
    requirement: 'For Curve25519 the shared secret is X25519 (little-endian u-coordinate): Alice\'s key with Bob\'s public key gives the RFC 7748 §6.1 shared secret, and psa_export_public_key of Alice\'s key gives her RFC public key.',
    services: ['crypto'],
    capabilities: X_CAPS,
    run: async (t) => {
      const X = X25519_RFC7748;
      const key = await x25519Key(t, X.alicePrivate);
      const pub = await client(t).exportPublicKey(key);
      expectPsa(t, pub.status, PSA.SUCCESS, 'psa_export_public_key');
      t.expectBytes(pub.value!, X.alicePublic, "Alice's public key");
      const r = await agree(t, key, X.bobPublic);
      supported(t, r.status, algCap(ECDH), 'psa_raw_key_agreement');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_raw_key_agreement (X25519)');
      t.expectBytes(r.value!, X.shared, 'shared secret');
    },
  }),
  checkProp({
    id: 'psa-crypto.ka.x25519-differential',
    title: 'X25519 with generated peers matches node:crypto',
    spec: SPEC,
    clause: '10.9.1 PSA_ALG_ECDH',
    level: 'MUST',
    requirement: 'For any X25519 peer key pair, psa_raw_key_agreement returns the X25519 function of RFC 7748, as an independent implementation computes it.',
    services: ['crypto'],
    capabilities: X_CAPS,
    numRuns: 10,
    arbitrary: () => fc.uint8Array({ minLength: 32, maxLength: 32 }),
    predicate: async (t, peerD) => {
      const d = clamp(pattern(32, 141));
      const key = await x25519Key(t, d);
      const peer = O.x25519PublicOf(clamp(peerD));
      const r = await agree(t, key, peer);
      supported(t, r.status, algCap(ECDH), 'psa_raw_key_agreement');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_raw_key_agreement (X25519)');
      t.expectBytes(r.value!, O.x25519(d, peer), `X25519 with peer ${hex(peer)}`);
    },
  }),
  ...(['p256', 'p384'] as const).map((name): CheckDef => {
    const c = O.CURVES[name];
    return checkProp({
      id: `psa-crypto.ka.ecdh-${name}-off-curve`,
      title: `ECDH on ${c.name} rejects peer points that are not on the curve`,
      spec: SPEC,
      clause: '10.9.2 psa_raw_key_agreement',
      level: 'MUST',
      requirement: 'psa_raw_key_agreement returns PSA_ERROR_INVALID_ARGUMENT when peer_key is not a valid public key: a point with valid coordinates that does not satisfy the curve equation (the invalid-curve attack recovers the private key from such answers).',
      services: ['crypto'],
      capabilities: [algCap(ECDH), eccCap(c)],
      numRuns: 10,
      arbitrary: () => fc.bigInt({ min: 1n, max: 1n << 64n }),
      predicate: async (t, delta) => {
        const key = await eccKey(t, c, EC_SCALARS[name], ECDH, Usage.DERIVE);
        const bad = offCurve(c, pattern(c.bytes, 142), delta);
        const r = await agree(t, key, bad);
        expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, `psa_raw_key_agreement with an off-curve point (y + ${delta})`);
      },
    });
  }),
  check({
    id: 'psa-crypto.ka.ecdh-invalid-encodings',
    title: 'ECDH rejects malformed peer keys',
    spec: SPEC,
    clause: '10.9.2 psa_raw_key_agreement',
    level: 'MUST',
    requirement: 'The peer key must be in the format psa_import_key accepts for the public key type (0x04 || x || y): the point at infinity (a single 0x00), an empty key, a truncated point, a coordinate equal to the field prime, and a point of another curve return PSA_ERROR_INVALID_ARGUMENT (PSA_ERROR_NOT_SUPPORTED accepted for other encodings).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDH, Usage.DERIVE);
      const good = O.ecPublicOf(P256, pattern(32, 143));
      const cases: [string, Uint8Array][] = [
        ['the point at infinity', Uint8Array.of(0)],
        ['an empty key', new Uint8Array(0)],
        ['64 bytes (truncated)', good.subarray(0, 64)],
        ['x = p', concat(Uint8Array.of(4), O.bigToBytes(P256.p, 32), good.subarray(33))],
        ['a P-384 point', O.ecPublicOf(O.CURVES.p384, pattern(48, 144))],
        ['0x05 prefix', concat(Uint8Array.of(5), good.subarray(1))],
      ];
      for (const [what, bad] of cases) {
        const r = await agree(t, key, bad);
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_raw_key_agreement with ${what}`);
      }
    },
  }),
  check({
    id: 'psa-crypto.ka.ecdh-compressed-point',
    title: 'a compressed peer point is rejected or gives the right secret',
    spec: SPEC,
    clause: '10.9.2 psa_raw_key_agreement',
    level: 'MUST',
    requirement: 'The standard peer key format is the uncompressed point; implementations may accept other formats but must then interpret them correctly: a compressed point (0x02/0x03 || x) is refused (INVALID_ARGUMENT/NOT_SUPPORTED) or gives the same shared secret as the uncompressed point.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDH, Usage.DERIVE);
      const peer = O.ecPublicOf(P256, pattern(32, 145));
      const compressed = concat(Uint8Array.of(2 + (peer[64]! & 1)), peer.subarray(1, 33));
      const r = await agree(t, key, compressed);
      if (r.status === PSA.SUCCESS) t.expectBytes(r.value!, O.ecdh(P256, EC_SCALARS.p256, peer), 'shared secret from the compressed point');
      else expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, 'psa_raw_key_agreement with a compressed point');
    },
  }),
  check({
    id: 'psa-crypto.ka.x25519-bad-peer-length',
    title: 'X25519 rejects peer keys that are not 32 bytes',
    spec: SPEC,
    clause: '10.9.2 psa_raw_key_agreement',
    level: 'MUST',
    requirement: 'A Curve25519 public key is 32 bytes: psa_raw_key_agreement with 31, 33 or 0 bytes returns PSA_ERROR_INVALID_ARGUMENT.',
    services: ['crypto'],
    capabilities: X_CAPS,
    run: async (t) => {
      const key = await x25519Key(t, X25519_RFC7748.alicePrivate);
      for (const n of [31, 33, 0]) {
        const r = await agree(t, key, pattern(n, 146));
        expectPsa(t, r.status, INVALID_OR_UNSUPPORTED, `psa_raw_key_agreement with a ${n}-byte peer key`);
      }
    },
  }),
  check({
    id: 'psa-crypto.ka.x25519-low-order-peer',
    title: 'X25519 with a low-order peer point is refused',
    spec: SPEC,
    clause: '10.9.1 PSA_ALG_ECDH',
    level: 'SHOULD',
    requirement: 'A low-order peer point (u = 0 or u = 1) makes the X25519 output all zero; RFC 7748 §6.1 lets implementations check for it, and a key agreement whose secret is all zero should fail (INVALID_ARGUMENT) rather than hand out a known secret.',
    services: ['crypto'],
    capabilities: X_CAPS,
    run: async (t) => {
      const key = await x25519Key(t, X25519_RFC7748.alicePrivate);
      for (const u of [0n, 1n]) {
        const peer = new Uint8Array(32);
        peer[0] = Number(u);
        const r = await agree(t, key, peer);
        if (r.status === PSA.SUCCESS) {
          t.fail(`psa_raw_key_agreement with the low-order point u = ${u} succeeded with secret ${hex(r.value!)}`, { expected: 'PSA_ERROR_INVALID_ARGUMENT', actual: 'PSA_SUCCESS' });
        }
      }
    },
  }),
  check({
    id: 'psa-crypto.ka.raw-combined-algorithm-refused',
    title: 'psa_raw_key_agreement refuses a combined key agreement algorithm',
    spec: SPEC,
    clause: '10.9.2 psa_raw_key_agreement',
    level: 'MUST',
    requirement: 'The alg of psa_raw_key_agreement must be a standalone key agreement: PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH, PSA_ALG_HKDF(PSA_ALG_SHA_256)) returns PSA_ERROR_INVALID_ARGUMENT or PSA_ERROR_NOT_SUPPORTED.',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const alg = C.keyAgreement(ECDH, C.hkdf(Alg.SHA_256));
      const key = await eccKey(t, P256, EC_SCALARS.p256, ECDH, Usage.DERIVE);
      const r = await agree(t, key, O.ecPublicOf(P256, pattern(32, 147)), alg);
      expectPsa(t, r.status, [...INVALID_OR_UNSUPPORTED, PSA.ERROR_NOT_PERMITTED], `psa_raw_key_agreement(${algName(alg)})`);
    },
  }),
  check({
    id: 'psa-crypto.ka.public-key-refused',
    title: 'key agreement with a public key is refused',
    spec: SPEC,
    clause: '10.9.2 psa_raw_key_agreement',
    level: 'MUST',
    requirement: 'PSA_ALG_ECDH is compatible with key pairs only: psa_raw_key_agreement with an imported P-256 public key returns PSA_ERROR_INVALID_ARGUMENT (or NOT_SUPPORTED / NOT_PERMITTED).',
    services: ['crypto'],
    capabilities: P256_CAPS,
    run: async (t) => {
      const pub = await importKey(t, { type: C.eccPublicKey(C.EccFamily.SECP_R1), bits: 256, usage: Usage.DERIVE, alg: ECDH }, O.ecPublicOf(P256, EC_SCALARS.p256), eccCap(P256));
      const r = await agree(t, pub, O.ecPublicOf(P256, pattern(32, 148)));
      expectPsa(t, r.status, [...INVALID_OR_UNSUPPORTED, PSA.ERROR_NOT_PERMITTED], 'psa_raw_key_agreement with a public key');
    },
  }),
  check({
    id: 'psa-crypto.ka.kdf-agreement-hkdf',
    title: 'ECDH combined with HKDF derives HKDF of the shared secret',
    spec: SPEC,
    clause: '10.9.3 psa_key_derivation_key_agreement',
    level: 'MUST',
    requirement: 'psa_key_derivation_key_agreement performs the key agreement and uses the shared secret as the PSA_KEY_DERIVATION_INPUT_SECRET input: with PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH, PSA_ALG_HKDF(PSA_ALG_SHA_256)) the output is HKDF-SHA-256 of the ECDH secret.',
    services: ['crypto'],
    capabilities: [...P256_CAPS, algCap(C.hkdf(Alg.SHA_256))],
    run: async (t) => {
      const alg = C.keyAgreement(ECDH, C.hkdf(Alg.SHA_256));
      const key = await eccKey(t, P256, EC_SCALARS.p256, alg, Usage.DERIVE);
      const c = client(t);
      const op = await agreementOp(t, alg);
      const salt = pattern(16, 149);
      const info = pattern(10, 150);
      const peer = O.ecPublicOf(P256, pattern(32, 151));
      expectPsa(t, await c.kdfInputBytes(op, KdfStep.SALT, salt), PSA.SUCCESS, 'input_bytes(SALT)');
      expectPsa(t, await c.kdfKeyAgreement(op, KdfStep.SECRET, key, peer), PSA.SUCCESS, 'psa_key_derivation_key_agreement(SECRET)');
      expectPsa(t, await c.kdfInputBytes(op, KdfStep.INFO, info), PSA.SUCCESS, 'input_bytes(INFO)');
      const out = await c.kdfOutputBytes(op, 42);
      expectPsa(t, out.status, PSA.SUCCESS, 'psa_key_derivation_output_bytes(42)');
      t.expectBytes(out.value!, O.hkdf(Alg.SHA_256, O.ecdh(P256, EC_SCALARS.p256, peer), salt, info, 42), 'HKDF-SHA-256 of the ECDH secret (node:crypto)');
    },
  }),
  check({
    id: 'psa-crypto.ka.kdf-agreement-wrong-step',
    title: 'a key agreement result cannot be the INFO input',
    spec: SPEC,
    clause: '10.9.3 psa_key_derivation_key_agreement',
    level: 'MUST',
    requirement: 'psa_key_derivation_key_agreement returns PSA_ERROR_INVALID_ARGUMENT when step does not permit an input resulting from a key agreement (PSA_KEY_DERIVATION_INPUT_INFO with HKDF); PSA_ERROR_BAD_STATE is accepted where the step is also out of order.',
    services: ['crypto'],
    capabilities: [...P256_CAPS, algCap(C.hkdf(Alg.SHA_256))],
    run: async (t) => {
      const alg = C.keyAgreement(ECDH, C.hkdf(Alg.SHA_256));
      const key = await eccKey(t, P256, EC_SCALARS.p256, alg, Usage.DERIVE);
      const c = client(t);
      const op = await agreementOp(t, alg);
      expectPsa(t, await c.kdfKeyAgreement(op, KdfStep.INFO, key, O.ecPublicOf(P256, pattern(32, 152))), [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_BAD_STATE], 'key agreement into INFO');
    },
  }),
  check({
    id: 'psa-crypto.ka.kdf-agreement-on-plain-kdf',
    title: 'psa_key_derivation_key_agreement on a plain HKDF operation is refused',
    spec: SPEC,
    clause: '10.9.3 psa_key_derivation_key_agreement',
    level: 'MUST',
    requirement: 'psa_key_derivation_key_agreement returns PSA_ERROR_INVALID_ARGUMENT when the operation\'s algorithm is not a key agreement algorithm (an operation set up with PSA_ALG_HKDF alone); NOT_PERMITTED is accepted where the key policy check comes first.',
    services: ['crypto'],
    capabilities: [...P256_CAPS, algCap(C.hkdf(Alg.SHA_256))],
    run: async (t) => {
      const hk = C.hkdf(Alg.SHA_256);
      const key = await eccKey(t, P256, EC_SCALARS.p256, C.keyAgreement(ECDH, hk), Usage.DERIVE);
      const c = client(t);
      const s = await c.kdfSetup(hk);
      supported(t, s.status, algCap(hk), 'psa_key_derivation_setup(HKDF)');
      expectPsa(t, s.status, PSA.SUCCESS, 'psa_key_derivation_setup(HKDF)');
      t.defer(() => c.kdfAbort(s.value!));
      expectPsa(t, await c.kdfKeyAgreement(s.value!, KdfStep.SECRET, key, O.ecPublicOf(P256, pattern(32, 153))), [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_PERMITTED], 'key agreement into a plain HKDF operation');
    },
  }),
];
