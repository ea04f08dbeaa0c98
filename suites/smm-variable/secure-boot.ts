// Secure Boot keys (UEFI 2.10 32.3 Firmware/OS Key Exchange, 32.4.1
// Signature Database, 3.3 Globally Defined Variables): PK, KEK, db in Setup
// and User Mode. Enrolling keys changes what a real board boots: every check
// that writes a key is destructive, and each returns the target to Setup Mode
// by deleting what it enrolled (db, KEK, then PK, each properly signed).
import {
  ATTR,
  BS_RT,
  EFI,
  GUIDS,
  NV_BS_RT,
  NV_BS_RT_AT,
  attrName,
  decodeSignatureLists,
  encodeSignatureList,
} from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, CLAUSE, UEFI, client, expectEfi, expectValue, pattern, services } from './common.js';
import { efitoolsMissing, signEfiSigList } from './efitools.js';
import { authData, certList, nextTime, signingKey, type SigningKey } from './signing.js';

const GLOBAL = GUIDS.GLOBAL_VARIABLE;
const DB = GUIDS.IMAGE_SECURITY_DATABASE;
const base = { spec: UEFI, clause: CLAUSE.keyExchange, level: 'MUST' as const, services: services(), capabilities: [CAP.auth, CAP.secureBoot], destructive: true };

async function readByte(t: CheckContext, name: string): Promise<{ value?: number; attributes?: number }> {
  const r = await client(t).getVariable(name, GLOBAL, 8);
  if (r.spm === 0 && r.status === EFI.NOT_FOUND) return {};
  expectEfi(t, r, EFI.SUCCESS, `GetVariable(${name})`);
  return { value: r.data[0], attributes: r.attributes };
}

/** Signed write of a key variable; the answer. */
async function keyWrite(t: CheckContext, signer: SigningKey, name: string, guid: string, payload: Uint8Array, append = false) {
  const attributes = NV_BS_RT_AT | (append ? ATTR.APPEND_WRITE : 0);
  const { data } = await authData({ key: signer, name, guid, attributes, payload });
  return client(t).setVariable(name, guid, attributes, data, { note: `(signed by ${signer.cn})` });
}

/** The check needs Setup Mode (no PK); UNSUPPORTED on a board in User Mode. */
async function requireSetupMode(t: CheckContext): Promise<void> {
  const pk = await client(t).getVariable('PK', GLOBAL, 0);
  if (pk.spm === 0 && pk.status === EFI.BUFFER_TOO_SMALL) t.unsupported('the target is in User Mode (PK is enrolled); key enrolment checks need Setup Mode');
  const sm = await readByte(t, 'SetupMode');
  if (sm.value === undefined) t.unsupported('the target has no SetupMode variable: Secure Boot is not implemented');
}

/** Enrols PK (self-signed); registers the signed PK delete that returns to Setup Mode. */
async function enrolPk(t: CheckContext, pk: SigningKey): Promise<void> {
  await requireSetupMode(t);
  const r = await keyWrite(t, pk, 'PK', GLOBAL, certList(pk));
  t.optional(CAP.secureBoot, r.spm === 0 && r.status === EFI.UNSUPPORTED, 'PK enrolment answered EFI_UNSUPPORTED');
  expectEfi(t, r, EFI.SUCCESS, 'enrol PK in Setup Mode');
  t.defer(() => keyWrite(t, pk, 'PK', GLOBAL, new Uint8Array(0)));
}

async function enrolKek(t: CheckContext, pk: SigningKey, kek: SigningKey): Promise<void> {
  expectEfi(t, await keyWrite(t, pk, 'KEK', GLOBAL, certList(kek)), EFI.SUCCESS, 'enrol KEK signed by PK');
  t.defer(() => keyWrite(t, pk, 'KEK', GLOBAL, new Uint8Array(0)));
}

async function dbEntries(t: CheckContext): Promise<number> {
  const r = await client(t).getVariable('db', DB, 4096);
  expectEfi(t, r, EFI.SUCCESS, 'GetVariable(db)');
  return decodeSignatureLists(r.data).reduce((n, l) => n + l.signatures.length, 0);
}

export default [
  check({
    ...base,
    id: 'smm-variable.secure-boot.mode-variables',
    clause: CLAUSE.globals,
    destructive: false,
    title: 'SetupMode and SecureBoot are BS|RT variables consistent with PK',
    requirement:
      'SetupMode (BS, RT; 1 = Setup Mode, 0 = User Mode) and SecureBoot (BS, RT) are globally defined volatile variables: SetupMode is 1 exactly when no PK is enrolled, and SecureBoot is 0 in Setup Mode (CHIPSEC access_uefispec compares their attributes).',
    run: async (t) => {
      const sm = await readByte(t, 'SetupMode');
      if (sm.value === undefined) t.unsupported('the target has no SetupMode variable: Secure Boot is not implemented');
      t.expectEqual(sm.attributes ?? 0, BS_RT, 'SetupMode attributes', attrName);
      const sb = await readByte(t, 'SecureBoot');
      t.assert(sb.value !== undefined, 'SecureBoot is missing while SetupMode exists');
      t.expectEqual(sb.attributes ?? 0, BS_RT, 'SecureBoot attributes', attrName);
      const pk = await client(t).getVariable('PK', GLOBAL, 0);
      const enrolled = pk.spm === 0 && pk.status === EFI.BUFFER_TOO_SMALL;
      t.expectEqual(sm.value, enrolled ? 0 : 1, `SetupMode with PK ${enrolled ? 'enrolled' : 'absent'}`);
      if (!enrolled) t.expectEqual(sb.value, 0, 'SecureBoot in Setup Mode');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.mode-variables-read-only',
    clause: CLAUSE.globals,
    title: 'SetupMode and SecureBoot cannot be written',
    requirement:
      'SetupMode and SecureBoot are read-only to callers (CHIPSEC access_uefispec -a modify: a successful write is FAILED): SetVariable of them is refused (EFI_WRITE_PROTECTED, EFI_INVALID_PARAMETER, EFI_SECURITY_VIOLATION or EFI_ACCESS_DENIED) and their values are unchanged.',
    run: async (t) => {
      for (const name of ['SetupMode', 'SecureBoot']) {
        const before = await readByte(t, name);
        if (before.value === undefined) t.unsupported(`the target has no ${name} variable`);
        const flipped = new Uint8Array([before.value! ^ 1]);
        for (const attrs of [BS_RT, NV_BS_RT]) {
          const r = await client(t).setVariable(name, GLOBAL, attrs, flipped);
          expectEfi(t, r, [EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.SECURITY_VIOLATION, EFI.ACCESS_DENIED], `SetVariable(${name}, ${attrName(attrs)})`);
        }
        const del = await client(t).deleteVariable(name, GLOBAL);
        expectEfi(t, del, [EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.SECURITY_VIOLATION, EFI.ACCESS_DENIED], `delete ${name}`);
        t.expectEqual((await readByte(t, name)).value, before.value, `${name} after the refused writes`);
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.pk-attributes',
    title: 'PK without NON_VOLATILE or without TIME_BASED_AUTHENTICATED_WRITE_ACCESS is refused',
    requirement: 'PK, KEK, db and dbx must be non-volatile time-based authenticated variables: PK with BS|RT|AT (no NV) is refused (edk2 ProcessVarWithPk: EFI_INVALID_PARAMETER; EFI_SECURITY_VIOLATION and EFI_WRITE_PROTECTED accepted), PK with NV|BS|RT (no AT) is refused, and Setup Mode is kept.',
    run: async (t) => {
      await requireSetupMode(t);
      const pk = await signingKey('pk');
      const attributes = BS_RT | ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
      const { data } = await authData({ key: pk, name: 'PK', guid: GLOBAL, attributes, payload: certList(pk) });
      expectEfi(t, await client(t).setVariable('PK', GLOBAL, attributes, data), [EFI.INVALID_PARAMETER, EFI.SECURITY_VIOLATION, EFI.WRITE_PROTECTED], 'PK with BS|RT|AT');
      const plain = await client(t).setVariable('PK', GLOBAL, NV_BS_RT, certList(pk));
      expectEfi(t, plain, [EFI.INVALID_PARAMETER, EFI.SECURITY_VIOLATION, EFI.WRITE_PROTECTED], 'PK with NV|BS|RT, unsigned');
      t.expectEqual((await readByte(t, 'SetupMode')).value, 1, 'SetupMode after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.pk-enrol',
    title: 'enrolling PK leaves Setup Mode; deleting it with a PK signature returns to it',
    requirement:
      'In Setup Mode a signed PK holding one X.509 EFI_SIGNATURE_LIST is accepted and the platform enters User Mode (SetupMode = 0); PK reads back as NV|BS|RT|AT; deleting PK with a PK-signed empty payload returns to Setup Mode (SetupMode = 1).',
    run: async (t) => {
      const pk = await signingKey('pk');
      await requireSetupMode(t);
      expectEfi(t, await keyWrite(t, pk, 'PK', GLOBAL, certList(pk)), EFI.SUCCESS, 'enrol PK');
      t.defer(() => keyWrite(t, pk, 'PK', GLOBAL, new Uint8Array(0)));
      t.expectEqual((await readByte(t, 'SetupMode')).value, 0, 'SetupMode after enrolling PK');
      await expectValue(t, 'PK', GLOBAL, certList(pk), 'PK', NV_BS_RT_AT);
      expectEfi(t, await keyWrite(t, pk, 'PK', GLOBAL, new Uint8Array(0)), EFI.SUCCESS, 'delete PK signed by PK');
      t.expectEqual((await readByte(t, 'SetupMode')).value, 1, 'SetupMode after deleting PK');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.pk-malformed',
    clause: CLAUSE.sigDb,
    title: 'a PK that is not one X.509 signature list is refused',
    requirement: 'PK holds exactly one EFI_SIGNATURE_LIST with one X.509 certificate: a signed PK whose payload is not a valid signature list (bad SignatureListSize, or a SHA-256 list) is refused (edk2 CheckSignatureListFormat: EFI_INVALID_PARAMETER; EFI_SECURITY_VIOLATION accepted) and Setup Mode is kept.',
    run: async (t) => {
      await requireSetupMode(t);
      const pk = await signingKey('pk');
      const broken = certList(pk);
      new DataView(broken.buffer).setUint32(16, broken.length + 100, true);
      const sha = encodeSignatureList({ type: GUIDS.CERT_SHA256, signatures: [{ owner: GLOBAL, data: pattern(32) }] });
      for (const [what, payload] of [['SignatureListSize past the data', broken], ['a SHA-256 list', sha], ['random bytes', pattern(64)]] as const) {
        const r = await keyWrite(t, pk, 'PK', GLOBAL, payload);
        if (r.spm === 0 && r.status === EFI.SUCCESS) await keyWrite(t, pk, 'PK', GLOBAL, new Uint8Array(0));
        expectEfi(t, r, [EFI.INVALID_PARAMETER, EFI.SECURITY_VIOLATION], `PK with ${what}`);
      }
      t.expectEqual((await readByte(t, 'SetupMode')).value, 1, 'SetupMode after the refused writes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.kek-signed-by-pk',
    title: 'in User Mode KEK is accepted when signed by PK',
    requirement: 'In User Mode an update of KEK must be signed by the Platform Key: a KEK signature list signed by PK is accepted and reads back.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const kek = await signingKey('kek');
      await enrolPk(t, pk);
      await enrolKek(t, pk, kek);
      await expectValue(t, 'KEK', GLOBAL, certList(kek), 'KEK', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.kek-wrong-signer',
    title: 'in User Mode KEK signed by another key is refused',
    requirement: 'In User Mode a KEK update whose signature does not verify against PK answers EFI_SECURITY_VIOLATION and KEK is not created.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const other = await signingKey('rogue');
      await enrolPk(t, pk);
      const r = await keyWrite(t, other, 'KEK', GLOBAL, certList(other));
      if (r.spm === 0 && r.status === EFI.SUCCESS) t.defer(() => keyWrite(t, pk, 'KEK', GLOBAL, new Uint8Array(0)));
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'KEK signed by a key that is not PK');
      const g = await client(t).getVariable('KEK', GLOBAL, 0);
      expectEfi(t, g, EFI.NOT_FOUND, 'GetVariable(KEK) after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.db-signed-by-kek',
    clause: CLAUSE.sigDb,
    title: 'in User Mode db is accepted when signed by a KEK',
    requirement: 'In User Mode db updates must be signed by a key in KEK (or PK): a db signature list signed by the KEK key is accepted under EFI_IMAGE_SECURITY_DATABASE_GUID.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const kek = await signingKey('kek');
      const dbKey = await signingKey('db');
      await enrolPk(t, pk);
      await enrolKek(t, pk, kek);
      expectEfi(t, await keyWrite(t, kek, 'db', DB, certList(dbKey, DB)), EFI.SUCCESS, 'db signed by KEK');
      t.defer(() => keyWrite(t, kek, 'db', DB, new Uint8Array(0)));
      await expectValue(t, 'db', DB, certList(dbKey, DB), 'db', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.db-wrong-signer',
    clause: CLAUSE.sigDb,
    title: 'in User Mode db signed by an unknown key is refused',
    requirement: 'In User Mode a db update whose signature verifies against neither KEK nor PK answers EFI_SECURITY_VIOLATION (SCT SecureBoot VariableUpdates, U-Boot test_authvar "wrong signature") and db is unchanged.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const kek = await signingKey('kek');
      const rogue = await signingKey('rogue');
      await enrolPk(t, pk);
      await enrolKek(t, pk, kek);
      const r = await keyWrite(t, rogue, 'db', DB, certList(rogue, DB));
      if (r.spm === 0 && r.status === EFI.SUCCESS) t.defer(() => keyWrite(t, kek, 'db', DB, new Uint8Array(0)));
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'db signed by an unknown key');
      expectEfi(t, await client(t).getVariable('db', DB, 0), EFI.NOT_FOUND, 'GetVariable(db) after the refused write');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.db-append-deduplicates',
    clause: CLAUSE.sigDb,
    title: 'appending a certificate already in db does not duplicate it',
    requirement:
      'For variables with the GUID EFI_IMAGE_SECURITY_DATABASE_GUID the driver shall not perform an append of EFI_SIGNATURE_DATA values that are already part of the existing value: appending the enrolled certificate leaves one copy; appending a new one adds it.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const kek = await signingKey('kek');
      const dbKey = await signingKey('db');
      const db2 = await signingKey('db2');
      await enrolPk(t, pk);
      await enrolKek(t, pk, kek);
      expectEfi(t, await keyWrite(t, kek, 'db', DB, certList(dbKey, DB)), EFI.SUCCESS, 'enrol db');
      t.defer(() => keyWrite(t, kek, 'db', DB, new Uint8Array(0)));
      expectEfi(t, await keyWrite(t, kek, 'db', DB, certList(dbKey, DB), true), EFI.SUCCESS, 'append the same certificate');
      t.expectEqual(await dbEntries(t), 1, 'certificates in db after appending a duplicate');
      expectEfi(t, await keyWrite(t, kek, 'db', DB, certList(db2, DB), true), EFI.SUCCESS, 'append a new certificate');
      t.expectEqual(await dbEntries(t), 2, 'certificates in db after appending a new one');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.pk-update-needs-pk',
    title: 'in User Mode a new PK must be signed by the current PK',
    requirement: 'In User Mode PK can only be replaced with a payload signed by the current PK: a PK signed by the new key itself is refused (EFI_SECURITY_VIOLATION); signed by the current PK it is accepted, and afterwards the old key no longer can.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const pk2 = await signingKey('pk2');
      await enrolPk(t, pk);
      expectEfi(t, await keyWrite(t, pk2, 'PK', GLOBAL, certList(pk2)), EFI.SECURITY_VIOLATION, 'new PK signed by itself');
      expectEfi(t, await keyWrite(t, pk, 'PK', GLOBAL, certList(pk2)), EFI.SUCCESS, 'new PK signed by the current PK');
      t.defer(() => keyWrite(t, pk2, 'PK', GLOBAL, new Uint8Array(0)));
      expectEfi(t, await keyWrite(t, pk, 'PK', GLOBAL, certList(pk)), EFI.SECURITY_VIOLATION, 'the old PK after the change');
      await expectValue(t, 'PK', GLOBAL, certList(pk2), 'PK after the change');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.pk-unsigned-delete',
    title: 'in User Mode PK cannot be deleted without a PK signature',
    requirement: 'Deleting PK in User Mode needs a PK-signed empty payload: DataSize 0 or a delete signed by another key is refused (EFI_SECURITY_VIOLATION; EFI_WRITE_PROTECTED / EFI_INVALID_PARAMETER for Attributes 0) and User Mode is kept.',
    run: async (t) => {
      const pk = await signingKey('pk');
      const rogue = await signingKey('rogue');
      await enrolPk(t, pk);
      expectEfi(t, await client(t).setVariable('PK', GLOBAL, NV_BS_RT_AT, new Uint8Array(0)), EFI.SECURITY_VIOLATION, 'delete PK with DataSize 0');
      expectEfi(t, await client(t).setVariable('PK', GLOBAL, 0, new Uint8Array(0)), [EFI.SECURITY_VIOLATION, EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER], 'delete PK with Attributes 0');
      expectEfi(t, await keyWrite(t, rogue, 'PK', GLOBAL, new Uint8Array(0)), EFI.SECURITY_VIOLATION, 'delete PK signed by another key');
      t.expectEqual((await readByte(t, 'SetupMode')).value, 0, 'SetupMode after the refused deletes');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.secure-boot.efitools-enrol',
    title: 'PK, KEK and db made with efitools enrol in order',
    requirement:
      'The key hierarchy made the way firmware engineers make it (cert-to-efi-sig-list content, `sign-efi-sig-list` signatures: PK self-signed, KEK by PK, db by KEK, U-Boot test_authvar order) enrols: each write answers EFI_SUCCESS and db reads back.',
    run: async (t) => {
      const missing = efitoolsMissing();
      if (missing) t.unsupported(missing);
      const pk = await signingKey('pk');
      const kek = await signingKey('kek');
      const dbKey = await signingKey('db');
      await requireSetupMode(t);
      const c = client(t);
      const pkAuth = await signEfiSigList({ key: pk, name: 'PK', payload: certList(pk), time: nextTime() });
      expectEfi(t, await c.setVariable('PK', GLOBAL, NV_BS_RT_AT, pkAuth, { note: '(sign-efi-sig-list PK)' }), EFI.SUCCESS, 'enrol PK.auth');
      t.defer(() => keyWrite(t, pk, 'PK', GLOBAL, new Uint8Array(0)));
      const kekAuth = await signEfiSigList({ key: pk, name: 'KEK', payload: certList(kek), time: nextTime() });
      expectEfi(t, await c.setVariable('KEK', GLOBAL, NV_BS_RT_AT, kekAuth, { note: '(sign-efi-sig-list KEK)' }), EFI.SUCCESS, 'enrol KEK.auth');
      t.defer(() => keyWrite(t, pk, 'KEK', GLOBAL, new Uint8Array(0)));
      const dbAuth = await signEfiSigList({ key: kek, name: 'db', payload: certList(dbKey, DB), time: nextTime() });
      expectEfi(t, await c.setVariable('db', DB, NV_BS_RT_AT, dbAuth, { note: '(sign-efi-sig-list db)' }), EFI.SUCCESS, 'enrol db.auth');
      t.defer(() => keyWrite(t, kek, 'db', DB, new Uint8Array(0)));
      await expectValue(t, 'db', DB, certList(dbKey, DB), 'db enrolled with efitools');
    },
  }),
];
