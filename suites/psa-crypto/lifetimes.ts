// 9.3 Key lifetimes and 9.4 Key identifiers: volatile keys get identifiers
// from the vendor range and vanish at reset; persistent keys keep the
// application's identifier from the user range and survive a reset of the
// target; every function given an invalid identifier answers
// PSA_ERROR_INVALID_HANDLE.
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { keyIdName, lifetimeName, usageName, algName } from '../../protocol/psa/crypto/names.js';
import { check } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { PERSISTENT_CAP, algCap, keyCap } from './caps.js';
import { Alg, KdfStep, KeyType, SPEC, Usage, cleanupIfCreated, client, destroyedKeyId, expectPsa, importKey, pattern, persistentId, supported } from './common.js';
import * as O from './oracle.js';
import { EC_SCALARS } from './sign.js';

const AES = keyCap(KeyType.AES);
const P256_PAIR = C.eccKeyPair(C.EccFamily.SECP_R1);
const P256_CAP = keyCap(P256_PAIR, 256);
const ECDSA256 = C.ecdsa(Alg.SHA_256);

/** Imports a persistent key; its removal is registered (and survives a failing check). */
async function persistentKey(t: CheckContext, a: { type: number; usage: number; alg: number }, data: Uint8Array, cap: string, id = persistentId(t)): Promise<number> {
  const r = await client(t).importKey({ ...a, lifetime: C.Lifetime.PERSISTENT, id }, data);
  supported(t, r.status, [PERSISTENT_CAP, cap], `psa_import_key(PERSISTENT, id=${keyIdName(id)})`);
  expectPsa(t, r.status, PSA.SUCCESS, `psa_import_key(lifetime=PSA_KEY_LIFETIME_PERSISTENT, id=${keyIdName(id)})`);
  t.defer(() => client(t).destroyKey(id));
  return r.value!;
}

type InvalidCase = [fn: string, call: (t: CheckContext, id: number) => Promise<number>];

const INVALID_CASES: InvalidCase[] = [
  ['psa_get_key_attributes', async (t, id) => (await client(t).getAttributes(id)).status],
  ['psa_export_key', async (t, id) => (await client(t).exportKey(id)).status],
  ['psa_export_public_key', async (t, id) => (await client(t).exportPublicKey(id)).status],
  ['psa_sign_hash', async (t, id) => (await client(t).signHash(id, ECDSA256, new Uint8Array(32))).status],
  ['psa_verify_hash', async (t, id) => client(t).verifyHash(id, ECDSA256, new Uint8Array(32), new Uint8Array(64))],
  ['psa_sign_message', async (t, id) => (await client(t).signMessage(id, ECDSA256, pattern(8))).status],
  ['psa_asymmetric_encrypt', async (t, id) => (await client(t).asymmetricEncrypt(id, C.rsaOaep(Alg.SHA_256), pattern(8))).status],
  ['psa_copy_key', async (t, id) => {
    const r = await client(t).copyKey(id, { type: 0, usage: 0, alg: 0 });
    cleanupIfCreated(t, r.status, r.value);
    return r.status;
  }],
  ['psa_purge_key', async (t, id) => client(t).purgeKey(id)],
  ['psa_mac_sign_setup', async (t, id) => {
    const r = await client(t).macSetup(id, C.hmac(Alg.SHA_256), true);
    if (r.status === PSA.SUCCESS) t.defer(() => client(t).macAbort(r.value!));
    return r.status;
  }],
  ['psa_cipher_encrypt_setup', async (t, id) => {
    const r = await client(t).cipherSetup(id, Alg.CTR, true);
    if (r.status === PSA.SUCCESS) t.defer(() => client(t).cipherAbort(r.value!));
    return r.status;
  }],
  ['psa_aead_decrypt_setup', async (t, id) => {
    const r = await client(t).aeadSetup(id, Alg.GCM, false);
    if (r.status === PSA.SUCCESS) t.defer(() => client(t).aeadAbort(r.value!));
    return r.status;
  }],
  ['psa_raw_key_agreement', async (t, id) => (await client(t).rawKeyAgreement(Alg.ECDH, id, O.ecPublicOf(O.CURVES.p256, pattern(32, 240)))).status],
  ['psa_key_derivation_input_key', async (t, id) => {
    const s = await client(t).kdfSetup(C.hkdf(Alg.SHA_256));
    expectPsa(t, s.status, PSA.SUCCESS, 'precondition psa_key_derivation_setup(HKDF-SHA-256)');
    t.defer(() => client(t).kdfAbort(s.value!));
    return client(t).kdfInputKey(s.value!, KdfStep.SECRET, id);
  }],
];

export default [
  ...INVALID_CASES.map(([fn, call]) =>
    check({
      id: `psa-crypto.ids.invalid-handle-${fn.replace(/^psa_/, '').replace(/_/g, '-')}`,
      title: `${fn} with an invalid key identifier returns INVALID_HANDLE`,
      spec: SPEC,
      clause: '9.4 Key identifiers',
      level: 'MUST',
      requirement: `If an invalid key identifier is provided as a parameter in any function, the function returns PSA_ERROR_INVALID_HANDLE: ${fn} with a destroyed volatile key, PSA_KEY_ID_NULL, and a user-range identifier that names no key.`,
      services: ['crypto'],
      run: async (t) => {
        const destroyed = await destroyedKeyId(t);
        for (const [what, id] of [
          ['a destroyed key', destroyed],
          ['PSA_KEY_ID_NULL', 0],
          ['an unused persistent identifier', persistentId(t)],
        ] as const) {
          expectPsa(t, await call(t, id), PSA.ERROR_INVALID_HANDLE, `${fn} with ${what} (${keyIdName(id)})`);
        }
      },
    }),
  ),
  check({
    id: 'psa-crypto.ids.volatile-vendor-range',
    title: 'volatile keys get distinct identifiers from the vendor range',
    spec: SPEC,
    clause: '9.4 Key identifiers',
    level: 'MUST',
    requirement: 'Implementations must allocate any volatile key identifiers from PSA_KEY_ID_VENDOR_MIN..PSA_KEY_ID_VENDOR_MAX, and valid key identifiers must have distinct values within the same application: three volatile keys get three distinct vendor-range identifiers, reported by psa_get_key_attributes with lifetime VOLATILE.',
    services: ['crypto'],
    capabilities: [AES],
    run: async (t) => {
      const ids = new Set<number>();
      for (let i = 0; i < 3; i++) {
        const id = await importKey(t, { type: KeyType.AES, usage: 0, alg: 0 }, pattern(16, 241 + i), AES);
        t.assert(C.isVendorKeyId(id), `volatile key identifier ${keyIdName(id)} is outside the vendor range`, { expected: '0x40000000..0x7fffffff', actual: keyIdName(id) });
        t.assert(!ids.has(id), `identifier ${keyIdName(id)} handed out twice`, { expected: 'distinct identifiers', actual: keyIdName(id) });
        ids.add(id);
        const a = await client(t).getAttributes(id);
        expectPsa(t, a.status, PSA.SUCCESS, 'psa_get_key_attributes');
        t.expectEqual(a.value!.lifetime, C.Lifetime.VOLATILE, 'lifetime', lifetimeName);
      }
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.persistent-attributes',
    title: 'a persistent key keeps the identifier the application chose',
    spec: SPEC,
    clause: '9.3.2 Persistent keys',
    level: 'MUST',
    requirement: 'For persistent keys the key identifier output by the creation function is the one specified in the attributes, and psa_get_key_attributes reports lifetime PSA_KEY_LIFETIME_PERSISTENT with that identifier.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const want = persistentId(t);
      const id = await persistentKey(t, { type: KeyType.AES, usage: Usage.EXPORT, alg: 0 }, pattern(16, 244), AES, want);
      t.expectEqual(id, want, 'identifier returned by psa_import_key', keyIdName);
      const a = await client(t).getAttributes(id);
      expectPsa(t, a.status, PSA.SUCCESS, 'psa_get_key_attributes');
      t.expectEqual(a.value!.lifetime, C.Lifetime.PERSISTENT, 'lifetime', lifetimeName);
      t.expectEqual(a.value!.id, want, 'identifier in the attributes', keyIdName);
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.persistent-survives-reset',
    title: 'a persistent key survives a reset of the target, policy included',
    spec: SPEC,
    clause: '9.3.2 Persistent keys',
    level: 'MUST',
    requirement: 'Persistent keys are preserved until the application explicitly destroys them: after a reset the key with the same identifier has the same material, type, usage flags and permitted algorithm.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES, 'target.reset'],
    run: async (t) => {
      const data = pattern(32, 245);
      const usage = Usage.EXPORT | Usage.ENCRYPT;
      const id = await persistentKey(t, { type: KeyType.AES, usage, alg: Alg.CTR }, data, AES);
      await t.reset();
      const a = await client(t).getAttributes(id);
      expectPsa(t, a.status, PSA.SUCCESS, `psa_get_key_attributes(${keyIdName(id)}) after reset`);
      t.expectEqual(a.value!.bits, 256, 'bits after reset');
      t.expectEqual(a.value!.usage, usage, 'usage after reset', usageName);
      t.expectEqual(a.value!.alg, Alg.CTR, 'algorithm after reset', algName);
      const e = await client(t).exportKey(id);
      expectPsa(t, e.status, PSA.SUCCESS, 'psa_export_key after reset');
      t.expectBytes(e.value!, data, 'key material after reset');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.persistent-key-pair-usable-after-reset',
    title: 'a persistent ECC key pair still signs after a reset',
    spec: SPEC,
    clause: '9.3.2 Persistent keys',
    level: 'MUST',
    requirement: 'To access an existing persistent key, use the key identifier: after a reset, the persistent P-256 key pair signs what node:crypto verifies under its public key.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, P256_CAP, algCap(ECDSA256), 'target.reset'],
    run: async (t) => {
      const id = await persistentKey(t, { type: P256_PAIR, usage: Usage.SIGN_HASH, alg: ECDSA256 }, EC_SCALARS.p256, P256_CAP);
      await t.reset();
      const msg = pattern(30, 246);
      const s = await client(t).signHash(id, ECDSA256, O.hash(Alg.SHA_256, msg));
      expectPsa(t, s.status, PSA.SUCCESS, 'psa_sign_hash after reset');
      t.assert(O.ecdsaVerify(O.CURVES.p256, O.ecPublicOf(O.CURVES.p256, EC_SCALARS.p256), Alg.SHA_256, msg, s.value!), 'node:crypto rejects the signature', { expected: 'valid', actual: 'invalid' });
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.volatile-lost-at-reset',
    title: 'volatile keys do not survive a reset',
    spec: SPEC,
    clause: '9.3.1 Volatile keys',
    level: 'MUST',
    requirement: 'Volatile keys are automatically destroyed on a power reset of the device; the key material is guaranteed to be erased: after a reset the identifier returns PSA_ERROR_INVALID_HANDLE.',
    services: ['crypto'],
    capabilities: [AES, 'target.reset'],
    run: async (t) => {
      const r = await client(t).importKey({ type: KeyType.AES, usage: Usage.EXPORT, alg: 0 }, pattern(16, 247));
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_import_key (volatile)');
      await t.reset();
      const e = await client(t).exportKey(r.value!);
      if (e.status === PSA.SUCCESS) await client(t).destroyKey(r.value!);
      expectPsa(t, e.status, PSA.ERROR_INVALID_HANDLE, `psa_export_key(${keyIdName(r.value!)}) after reset`);
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.destroyed-persistent-stays-destroyed',
    title: 'a destroyed persistent key stays destroyed after a reset',
    spec: SPEC,
    clause: '9.6.2 psa_destroy_key',
    level: 'MUST',
    requirement: 'psa_destroy_key destroys a key from both volatile memory and non-volatile storage: after destroying a persistent key and resetting, the identifier returns PSA_ERROR_INVALID_HANDLE.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES, 'target.reset'],
    run: async (t) => {
      const id = await persistentKey(t, { type: KeyType.AES, usage: Usage.EXPORT, alg: 0 }, pattern(16, 248), AES);
      expectPsa(t, await client(t).destroyKey(id), PSA.SUCCESS, 'psa_destroy_key');
      await t.reset();
      expectPsa(t, (await client(t).getAttributes(id)).status, PSA.ERROR_INVALID_HANDLE, 'psa_get_key_attributes after reset');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.already-exists',
    title: 'creating a persistent key with an identifier in use fails',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'psa_import_key, psa_generate_key and psa_copy_key return PSA_ERROR_ALREADY_EXISTS when there is already a persistent key with the given identifier, and the existing key is unchanged.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const data = pattern(16, 249);
      const id = await persistentKey(t, { type: KeyType.AES, usage: Usage.EXPORT | Usage.COPY, alg: 0 }, data, AES);
      const attrs = { type: KeyType.AES, usage: Usage.EXPORT, alg: 0, lifetime: C.Lifetime.PERSISTENT, id };
      const i = await client(t).importKey(attrs, pattern(16, 250));
      expectPsa(t, i.status, PSA.ERROR_ALREADY_EXISTS, 'psa_import_key with the same identifier');
      const g = await client(t).generateKey({ ...attrs, bits: 128 });
      expectPsa(t, g.status, PSA.ERROR_ALREADY_EXISTS, 'psa_generate_key with the same identifier');
      const c = await client(t).copyKey(id, { ...attrs, type: 0 });
      expectPsa(t, c.status, PSA.ERROR_ALREADY_EXISTS, 'psa_copy_key to the same identifier');
      const e = await client(t).exportKey(id);
      expectPsa(t, e.status, PSA.SUCCESS, 'psa_export_key of the existing key');
      t.expectBytes(e.value!, data, 'existing key material');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.persistent-null-id',
    title: 'a persistent key needs a non-null identifier',
    spec: SPEC,
    clause: '9.6.1 psa_import_key',
    level: 'MUST',
    requirement: 'The key lifetime and identifier are required for a persistent key: psa_import_key with lifetime PERSISTENT and identifier PSA_KEY_ID_NULL returns PSA_ERROR_INVALID_ARGUMENT (the key identifier is not valid for the key lifetime).',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const r = await client(t).importKey({ type: KeyType.AES, usage: 0, alg: 0, lifetime: C.Lifetime.PERSISTENT, id: 0 }, pattern(16, 251));
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, PSA.ERROR_INVALID_ARGUMENT, 'psa_import_key(PERSISTENT, id=PSA_KEY_ID_NULL)');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.persistent-vendor-id',
    title: 'an application cannot create a persistent key in the vendor range',
    spec: SPEC,
    clause: '9.4.2 psa_set_key_id',
    level: 'SHOULD',
    requirement: 'The application must choose a persistent identifier between PSA_KEY_ID_USER_MIN and PSA_KEY_ID_USER_MAX; the vendor range belongs to the implementation: psa_import_key with id 0x40000123 should return PSA_ERROR_INVALID_ARGUMENT (or NOT_PERMITTED) rather than create a key there.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const r = await client(t).importKey({ type: KeyType.AES, usage: 0, alg: 0, lifetime: C.Lifetime.PERSISTENT, id: 0x40000123 }, pattern(16, 252));
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_PERMITTED], 'psa_import_key(PERSISTENT, id=0x40000123)');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.unknown-location',
    title: 'a lifetime naming an unknown storage location is refused',
    spec: SPEC,
    clause: '9.3.3 Lifetime encodings',
    level: 'MUST',
    requirement: 'psa_import_key returns PSA_ERROR_INVALID_ARGUMENT (the key lifetime is invalid) or PSA_ERROR_NOT_SUPPORTED (not supported in the specified storage location) for location 0x7fffff; the key is not created elsewhere.',
    services: ['crypto'],
    capabilities: [AES],
    run: async (t) => {
      const lifetime = C.lifetimeFrom(C.Persistence.DEFAULT, 0x7fffff);
      const r = await client(t).importKey({ type: KeyType.AES, usage: 0, alg: 0, lifetime, id: persistentId(t) }, pattern(16, 253));
      cleanupIfCreated(t, r.status, r.value);
      expectPsa(t, r.status, [PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_SUPPORTED], `psa_import_key(${lifetimeName(lifetime)})`);
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.copy-to-persistent',
    title: 'psa_copy_key can make a persistent copy of a volatile key',
    spec: SPEC,
    clause: '9.6.1 psa_copy_key',
    level: 'MUST',
    requirement: 'The key location (lifetime and identifier) of the copy is used directly from the attributes: a volatile key copied with lifetime PERSISTENT and an identifier gets that identifier and exports the same material.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const data = pattern(16, 254);
      const src = await importKey(t, { type: KeyType.AES, usage: Usage.COPY | Usage.EXPORT, alg: 0 }, data, AES);
      const want = persistentId(t);
      const r = await client(t).copyKey(src, { type: 0, usage: Usage.EXPORT, alg: 0, lifetime: C.Lifetime.PERSISTENT, id: want });
      cleanupIfCreated(t, r.status, r.value);
      supported(t, r.status, PERSISTENT_CAP, 'psa_copy_key to a persistent key');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_copy_key to a persistent key');
      t.expectEqual(r.value!, want, 'identifier of the copy', keyIdName);
      const e = await client(t).exportKey(want);
      expectPsa(t, e.status, PSA.SUCCESS, 'psa_export_key of the copy');
      t.expectBytes(e.value!, data, 'copy material');
    },
  }),
  check({
    id: 'psa-crypto.lifetimes.purge-persistent',
    title: 'a purged persistent key is reloaded when used',
    spec: SPEC,
    clause: '9.6.2 psa_purge_key',
    level: 'MUST',
    requirement: 'psa_purge_key removes cached copies of key material from memory; the persistent key itself stays: after psa_purge_key the key still exports its material.',
    services: ['crypto'],
    capabilities: [PERSISTENT_CAP, AES],
    run: async (t) => {
      const data = pattern(16, 255);
      const id = await persistentKey(t, { type: KeyType.AES, usage: Usage.EXPORT | Usage.CACHE, alg: 0 }, data, AES);
      expectPsa(t, await client(t).purgeKey(id), PSA.SUCCESS, 'psa_purge_key');
      const e = await client(t).exportKey(id);
      expectPsa(t, e.status, PSA.SUCCESS, 'psa_export_key after purge');
      t.expectBytes(e.value!, data, 'material after purge');
    },
  }),
] satisfies CheckDef[];
