// Time-based authenticated variables (UEFI 2.10 8.2 SetVariable, "Using the
// EFI_VARIABLE_AUTHENTICATION_2 descriptor"): keys and signed payloads are
// made at check time, efitools-signed payloads are checked too.
import { concat } from '../../protocol/bytes.js';
import {
  ATTR,
  EFI,
  GUIDS,
  NV_BS_RT,
  NV_BS_RT_AT,
  attrName,
  encodeAuthentication2,
  type EfiTime,
} from '../../protocol/smm-variable/index.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, CLAUSE, UEFI, client, expectAbsent, expectEfi, expectValue, newGuid, newName, pattern, services } from './common.js';
import { efitoolsMissing, signEfiSigList } from './efitools.js';
import { authData, nextTime, signingKey, type AuthWrite, type SigningKey } from './signing.js';

const APPEND = ATTR.APPEND_WRITE;
const base = { spec: UEFI, clause: CLAUSE.auth2, level: 'MUST' as const, services: services(), capabilities: [CAP.auth] };

interface AuthVar {
  name: string;
  guid: string;
  key: SigningKey;
  data: Uint8Array;
  time: EfiTime;
}

/** Signed write of `w`; the raw answer. */
async function write(t: CheckContext, w: AuthWrite, note?: string) {
  const { data, time } = await authData(w);
  const r = await client(t).setVariable(w.name, w.guid, w.attributes, data, { note: note ?? `(signed by ${w.key.cn})` });
  return { r, time };
}

/**
 * Creates a private time-based authenticated variable signed by `key`, and
 * registers its signed deletion. The optional capability is judged here.
 */
async function create(t: CheckContext, keyLabel = 'private-a', payload = pattern(24, 1)): Promise<AuthVar> {
  const key = await signingKey(keyLabel);
  const guid = newGuid(t);
  const name = newName(t, guid, 'Auth', false);
  const { r, time } = await write(t, { key, name, guid, attributes: NV_BS_RT_AT, payload });
  t.optional(CAP.auth, r.spm === 0 && (r.status === EFI.INVALID_PARAMETER || r.status === EFI.UNSUPPORTED), 'time-based authenticated variables are not supported');
  expectEfi(t, r, EFI.SUCCESS, `create ${name} with NV|BS|RT|AT, signed`);
  t.defer(async () => {
    const d = await authData({ key, name, guid, attributes: NV_BS_RT_AT, payload: new Uint8Array(0) });
    await client(t).setVariable(name, guid, NV_BS_RT_AT, d.data, { note: '(signed delete, cleanup)' });
  });
  return { name, guid, key, data: payload, time };
}

/** An efitools-signed private variable: key, GUID, name; UNSUPPORTED without efitools. */
async function efitoolsVariable(t: CheckContext, cleanup: boolean): Promise<{ key: SigningKey; guid: string; name: string }> {
  const missing = efitoolsMissing();
  if (missing) t.unsupported(missing);
  const key = await signingKey('efitools');
  const guid = newGuid(t);
  const name = newName(t, guid, 'Efit', !cleanup);
  if (cleanup) {
    t.defer(async () => {
      const del = await signEfiSigList({ key, name, guid, payload: new Uint8Array(0), time: nextTime() });
      await client(t).setVariable(name, guid, NV_BS_RT_AT, del, { note: '(sign-efi-sig-list delete, cleanup)' });
    });
  }
  return { key, guid, name };
}

const older = (t: EfiTime): EfiTime => ({ ...t, year: t.year - 1 });

export default [
  check({
    ...base,
    id: 'smm-variable.auth.create',
    title: 'a signed time-based authenticated variable is created and reads back without its descriptor',
    requirement:
      'SetVariable with TIME_BASED_AUTHENTICATED_WRITE_ACCESS and Data = EFI_VARIABLE_AUTHENTICATION_2 (PKCS#7 SignedData over name, GUID, attributes, timestamp and new data) followed by the new data creates the variable; GetVariable returns the new data (not the descriptor) and the attributes NV|BS|RT|AT.',
    run: async (t) => {
      const v = await create(t);
      await expectValue(t, v.name, v.guid, v.data, 'after the signed create', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.update-newer',
    title: 'an update signed by the same key with a later timestamp is accepted',
    requirement: 'An update of a time-based authenticated variable with a valid signature from the same signer and a TimeStamp later than the stored one replaces the value.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(8, 2) });
      expectEfi(t, r, EFI.SUCCESS, 'signed update with a later timestamp');
      await expectValue(t, v.name, v.guid, pattern(8, 2), 'after the update');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.old-timestamp',
    title: 'an update with an older timestamp is refused with EFI_SECURITY_VIOLATION',
    requirement:
      'Unless APPEND_WRITE is set, the TimeStamp must be later than the current timestamp of the variable, else EFI_SECURITY_VIOLATION (SCT AuthVar_Func replay, FWTS uefirtauthvar, Trusted Services "old timestamp"); the value is unchanged.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(8, 3), time: older(v.time) });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'signed update with a timestamp one year older');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused update');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.same-timestamp',
    title: 'replaying the creating write (same timestamp) is refused',
    requirement: 'The TimeStamp must be strictly later: resending a correctly signed write with the stored timestamp (a replay) answers EFI_SECURITY_VIOLATION.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(8, 4), time: v.time });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'signed update with the stored timestamp');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused replay');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.other-key',
    title: 'an update signed by another key is refused',
    requirement: 'For a private authenticated variable the signer must be the one that created it: a valid signature by a different key answers EFI_SECURITY_VIOLATION (SCT AuthVar_Func "different key") and the value is unchanged.',
    run: async (t) => {
      const v = await create(t);
      const other = await signingKey('private-b');
      const { r } = await write(t, { key: other, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(8, 5) });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'update signed by another key');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused update');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.tampered-data',
    title: 'data that differs from what was signed is refused',
    requirement: 'The signature covers the new data: a descriptor signed over other data than the data sent answers EFI_SECURITY_VIOLATION (Trusted Services signature verification failure).',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(8, 6), signedPayload: pattern(8, 7) });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'update whose data differs from the signed data');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused update');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.signed-for-other-name',
    title: 'a payload signed for another variable name is refused',
    requirement: 'The signed serialization starts with VariableName (without NUL): a payload signed for another name does not create this variable (EFI_SECURITY_VIOLATION).',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      const { r } = await write(t, { key, name, guid, attributes: NV_BS_RT_AT, payload: pattern(8), signedName: `${name}X` });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'create with a signature made for another name');
      await expectAbsent(t, name, guid, 'after the refused create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.signed-for-other-attributes',
    title: 'a payload signed with other attributes is refused',
    requirement: 'The signed serialization includes the Attributes passed to SetVariable: a payload signed for NV|BS|AT but sent with NV|BS|RT|AT answers EFI_SECURITY_VIOLATION.',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      const time = nextTime();
      const { data } = await authData({ key, name, guid, attributes: ATTR.NON_VOLATILE | ATTR.BOOTSERVICE_ACCESS | ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS, payload: pattern(8), time });
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT, data), EFI.SECURITY_VIOLATION, 'create signed for other attributes');
      await expectAbsent(t, name, guid, 'after the refused create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.time-fields',
    title: 'a TimeStamp with Nanosecond, TimeZone or Daylight set is refused',
    requirement: 'In the TimeStamp of EFI_VARIABLE_AUTHENTICATION_2, Pad1, Nanosecond, TimeZone, Daylight and Pad2 shall be set to 0; otherwise the write fails with EFI_SECURITY_VIOLATION (even when correctly signed).',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      for (const extra of [{ nanosecond: 5 }, { timeZone: 60 }, { daylight: 1 }, { pad1: 1 }]) {
        const time = { ...nextTime(), ...extra };
        const { r } = await write(t, { key, name, guid, attributes: NV_BS_RT_AT, payload: pattern(4), time }, `(TimeStamp with ${JSON.stringify(extra)})`);
        expectEfi(t, r, EFI.SECURITY_VIOLATION, `create with TimeStamp ${JSON.stringify(extra)}`);
      }
      await expectAbsent(t, name, guid, 'after the refused creates');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.cert-type',
    title: 'a descriptor that is not WIN_CERT_TYPE_EFI_GUID with EFI_CERT_TYPE_PKCS7_GUID is refused',
    requirement: 'AuthInfo.Hdr.wCertificateType must be WIN_CERT_TYPE_EFI_GUID and AuthInfo.CertType EFI_CERT_TYPE_PKCS7_GUID; a correctly signed write with another CertType or certificate type answers EFI_SECURITY_VIOLATION.',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      for (const override of [{ certType: GUIDS.CERT_X509 }, { wCertificateType: 0x0002 }]) {
        const { r } = await write(t, { key, name, guid, attributes: NV_BS_RT_AT, payload: pattern(4), override }, `(${JSON.stringify(override)})`);
        expectEfi(t, r, EFI.SECURITY_VIOLATION, `create with ${JSON.stringify(override)}`);
      }
      await expectAbsent(t, name, guid, 'after the refused creates');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.dw-length',
    title: 'a descriptor whose dwLength does not fit is refused',
    requirement: 'Malformed EFI_VARIABLE_AUTHENTICATION_2: AuthInfo.Hdr.dwLength larger than the data after the TimeStamp, or smaller than the WIN_CERTIFICATE_UEFI_GUID header (24), answers EFI_SECURITY_VIOLATION and creates nothing.',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      for (const dwLength of [0x7fff_ffff, 0xffff_ffff, 23, 0]) {
        const { r } = await write(t, { key, name, guid, attributes: NV_BS_RT_AT, payload: pattern(4), override: { dwLength } }, `(dwLength ${dwLength})`);
        expectEfi(t, r, EFI.SECURITY_VIOLATION, `create with dwLength ${dwLength}`);
      }
      await expectAbsent(t, name, guid, 'after the refused creates');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.no-descriptor',
    title: 'TIME_BASED_AUTHENTICATED_WRITE_ACCESS without a descriptor is refused',
    requirement: 'A write with TIME_BASED_AUTHENTICATED_WRITE_ACCESS whose data is shorter than EFI_VARIABLE_AUTHENTICATION_2 up to CertData answers EFI_SECURITY_VIOLATION and creates nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT, pattern(8)), EFI.SECURITY_VIOLATION, 'create with 8 bytes of plain data');
      await expectAbsent(t, name, guid, 'after the refused create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.garbage-signature',
    title: 'CertData that is not a PKCS#7 SignedData is refused',
    requirement: 'AuthInfo.CertData must parse as a DER PKCS#7 SignedData whose signature verifies; random bytes (or a truncated SignedData) answer EFI_SECURITY_VIOLATION and create nothing.',
    run: async (t) => {
      const key = await signingKey('private-a');
      const guid = newGuid(t);
      const name = newName(t, guid, 'Auth');
      const good = await authData({ key, name, guid, attributes: NV_BS_RT_AT, payload: pattern(4) });
      const certLen = new DataView(good.data.buffer, good.data.byteOffset).getUint32(16, true) - 24;
      const truncated = good.data.slice(40, 40 + Math.floor(certLen / 2));
      for (const [what, certData] of [['random bytes', pattern(300, 9)], ['a truncated SignedData', truncated]] as const) {
        const data = encodeAuthentication2({ timeStamp: nextTime(), certData }, pattern(4));
        expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT, data), EFI.SECURITY_VIOLATION, `create with CertData = ${what}`);
      }
      await expectAbsent(t, name, guid, 'after the refused creates');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.append',
    title: 'a signed APPEND adds to an authenticated variable',
    requirement: 'With APPEND_WRITE (part of the signed Attributes) the new data is appended to the stored value of the authenticated variable.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT | APPEND, payload: pattern(6, 8) });
      expectEfi(t, r, EFI.SUCCESS, 'signed append');
      await expectValue(t, v.name, v.guid, concat(v.data, pattern(6, 8)), 'after the append', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.append-older-timestamp',
    title: 'a signed APPEND with an older timestamp is accepted',
    requirement: 'The later-TimeStamp rule applies unless EFI_VARIABLE_APPEND_WRITE is set: a correctly signed append with an older timestamp is accepted (Trusted Services generate_auth_headers "-t 0 -a").',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT | APPEND, payload: pattern(3, 9), time: older(v.time) });
      expectEfi(t, r, EFI.SUCCESS, 'signed append with an older timestamp');
      await expectValue(t, v.name, v.guid, concat(v.data, pattern(3, 9)), 'after the append');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.delete-signed',
    title: 'a signed write with an empty payload deletes the variable',
    requirement: 'To delete a variable created with TIME_BASED_AUTHENTICATED_WRITE_ACCESS, SetVariable is used with matching attributes and DataSize set to the size of the AuthInfo descriptor, validly signed: EFI_SUCCESS and the variable is gone.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: new Uint8Array(0) });
      expectEfi(t, r, EFI.SUCCESS, 'signed delete');
      await expectAbsent(t, v.name, v.guid, 'after the signed delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.delete-unsigned',
    title: 'deleting an authenticated variable with DataSize 0 is refused with EFI_SECURITY_VIOLATION',
    requirement: 'An attempt to delete a variable created with TIME_BASED_AUTHENTICATED_WRITE_ACCESS when called using DataSize of zero will fail with an EFI_SECURITY_VIOLATION status; the variable stays.',
    run: async (t) => {
      const v = await create(t);
      expectEfi(t, await client(t).setVariable(v.name, v.guid, NV_BS_RT_AT, new Uint8Array(0)), EFI.SECURITY_VIOLATION, 'delete with DataSize 0');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.delete-without-attributes',
    title: 'deleting an authenticated variable with Attributes 0 is refused',
    requirement: 'Authentication cannot be bypassed by clearing the attributes: SetVariable with Attributes 0 on a time-based authenticated variable is refused (edk2 EFI_WRITE_PROTECTED; EFI_SECURITY_VIOLATION and EFI_INVALID_PARAMETER accepted) and the variable stays.',
    run: async (t) => {
      const v = await create(t);
      expectEfi(t, await client(t).setVariable(v.name, v.guid, 0, new Uint8Array(0)), [EFI.WRITE_PROTECTED, EFI.SECURITY_VIOLATION, EFI.INVALID_PARAMETER], 'delete with Attributes 0');
      await expectValue(t, v.name, v.guid, v.data, 'after the refused delete');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.unauthenticated-overwrite',
    title: 'an unauthenticated write over an authenticated variable is refused',
    requirement: 'A write without TIME_BASED_AUTHENTICATED_WRITE_ACCESS to a time-based authenticated variable changes its attributes and is not authenticated: EFI_INVALID_PARAMETER (attributes differ) or EFI_WRITE_PROTECTED / EFI_SECURITY_VIOLATION; the value is unchanged.',
    run: async (t) => {
      const v = await create(t);
      expectEfi(t, await client(t).setVariable(v.name, v.guid, NV_BS_RT, pattern(8, 10)), [EFI.INVALID_PARAMETER, EFI.WRITE_PROTECTED, EFI.SECURITY_VIOLATION], `SetVariable(${attrName(NV_BS_RT)}) over NV|BS|RT|AT`);
      await expectValue(t, v.name, v.guid, v.data, 'after the refused write', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.content-info',
    title: 'a SignedData wrapped in a PKCS#7 ContentInfo is accepted',
    level: 'SHOULD',
    requirement: 'CertData is a DER PKCS#7 SignedData; implementations (edk2 Pkcs7Verify, U-Boot) also accept it wrapped in a ContentInfo, as Windows signing tools produce it.',
    run: async (t) => {
      const v = await create(t);
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(5, 11), sign: { contentInfo: true } });
      expectEfi(t, r, EFI.SUCCESS, 'update signed in a ContentInfo');
      await expectValue(t, v.name, v.guid, pattern(5, 11), 'after the update');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.timestamp-survives-reset',
    title: 'the stored timestamp still refuses old writes after a reset',
    capabilities: [CAP.auth, 'target.reset'],
    requirement: 'The timestamp of an authenticated variable is non-volatile like its data: after a reset, a signed update with an older timestamp is still refused with EFI_SECURITY_VIOLATION (a store that forgets it allows rollback).',
    run: async (t) => {
      const v = await create(t);
      const newer = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(4, 12) });
      expectEfi(t, newer.r, EFI.SUCCESS, 'signed update');
      await t.reset();
      const { r } = await write(t, { key: v.key, name: v.name, guid: v.guid, attributes: NV_BS_RT_AT, payload: pattern(4, 13), time: v.time });
      expectEfi(t, r, EFI.SECURITY_VIOLATION, 'after reset: update with the creation timestamp');
      await expectValue(t, v.name, v.guid, pattern(4, 12), 'after reset');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.efitools-create',
    title: 'a variable signed with efitools sign-efi-sig-list is accepted',
    requirement:
      'The service verifies EFI_VARIABLE_AUTHENTICATION_2 payloads made by other tools: a private variable signed with `sign-efi-sig-list -g GUID -t TIME -c CRT -k KEY` (OpenSSL PKCS#7 without ContentInfo) is created, and its data reads back.',
    run: async (t) => {
      const { key, guid, name } = await efitoolsVariable(t, true);
      const payload = pattern(32, 14);
      const auth = await signEfiSigList({ key, name, guid, payload, time: nextTime() });
      const r = await client(t).setVariable(name, guid, NV_BS_RT_AT, auth, { note: '(sign-efi-sig-list)' });
      expectEfi(t, r, EFI.SUCCESS, 'create with the efitools .auth file');
      await expectValue(t, name, guid, payload, 'after the efitools create', NV_BS_RT_AT);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.efitools-tampered',
    title: 'an efitools-signed payload with one changed byte is refused',
    requirement: 'Flipping one byte of the data of an efitools-made .auth file breaks its signature: EFI_SECURITY_VIOLATION and nothing is created.',
    run: async (t) => {
      const { key, guid, name } = await efitoolsVariable(t, false);
      const auth = await signEfiSigList({ key, name, guid, payload: pattern(32, 15), time: nextTime() });
      auth[auth.length - 1] ^= 0x01;
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT, auth, { note: '(sign-efi-sig-list, last byte flipped)' }), EFI.SECURITY_VIOLATION, 'create with the tampered .auth file');
      await expectAbsent(t, name, guid, 'after the refused create');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.auth.efitools-append',
    title: 'an efitools APPEND (-a) is accepted',
    requirement: 'An append made with `sign-efi-sig-list -a` (APPEND_WRITE in the signed attributes) to a variable created by the same key is accepted and extends the value.',
    run: async (t) => {
      const { key, guid, name } = await efitoolsVariable(t, true);
      const first = await signEfiSigList({ key, name, guid, payload: pattern(8, 16), time: nextTime() });
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT, first, { note: '(sign-efi-sig-list)' }), EFI.SUCCESS, 'create with efitools');
      const add = await signEfiSigList({ key, name, guid, payload: pattern(4, 17), time: nextTime(), append: true });
      expectEfi(t, await client(t).setVariable(name, guid, NV_BS_RT_AT | APPEND, add, { note: '(sign-efi-sig-list -a)' }), EFI.SUCCESS, 'append with efitools -a');
      await expectValue(t, name, guid, concat(pattern(8, 16), pattern(4, 17)), 'after the efitools append');
    },
  }),
];
