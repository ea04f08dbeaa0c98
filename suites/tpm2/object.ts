// Part 3, 24.1 TPM2_CreatePrimary and 12 Object Commands (Create, Load,
// ReadPublic, Unseal, ObjectChangeAuth): key generation, names (checked
// against an independent hash), creation data, determinism of primaries,
// and the template validation codes. Field case: ESAPI verifies that the
// name a TPM returns matches the public area (tpm2-tools createprimary).
import { createHash } from 'node:crypto';
import { ALG, ECC_CURVE, RH, SE, TPMA_OBJECT } from '../../protocol/tpm2/constants.js';
import { TpmWriter } from '../../protocol/tpm2/marshal.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { marshalPublic, writeCreationData, type TpmtPublic } from '../../protocol/tpm2/structures.js';
import { eccSigning, eccStorage, rsaStorage, sealed, STORAGE_ATTRIBUTES } from '../../protocol/tpm2/templates.js';
import { pw, withSession } from '../../clients/tpm2.js';
import { P3, bytesEqual, concat, hex, sel, tpmCheck, u16, u32, utf8, type Tx } from './common.js';

const CP = '24.1 TPM2_CreatePrimary';
const CREATE = '12.1 TPM2_Create';
const LOAD = '12.2 TPM2_Load';
const READPUB = '12.4 TPM2_ReadPublic';
const UNSEAL = '12.7 TPM2_Unseal';
const CHANGEAUTH = '12.8 TPM2_ObjectChangeAuth';
const A = TPMA_OBJECT;

const sha256 = (...p: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const x of p) h.update(x);
  return new Uint8Array(h.digest());
};
/** Name = nameAlg || H(TPMT_PUBLIC), computed here with node:crypto (SHA-256 names). */
const nameOf = (pubBytes: Uint8Array) => concat(u16(ALG.SHA256), sha256(pubBytes));

async function createPrimaryRc(x: Tx, tpl: TpmtPublic, o: { userAuth?: Uint8Array; rawPublic?: Uint8Array; data?: Uint8Array } = {}): Promise<number> {
  const r = await x.c.createPrimary(RH.OWNER, tpl, { auth: x.ownerAuth(), ...o });
  if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.handle!));
  return r.rc;
}

/** Templates the TPM must refuse, with the base code (parameter 2 = inPublic). */
function badTemplates(): [string, TpmtPublic, number, string][] {
  const t = (f: (p: TpmtPublic) => void, base = eccStorage) => {
    const p = base();
    f(p);
    return p;
  };
  return [
    ['restricted key with both sign and decrypt', t((p) => (p.objectAttributes |= A.sign)), RC.ATTRIBUTES, 'ATTRIBUTES'],
    ['fixedTPM without fixedParent', t((p) => (p.objectAttributes &= ~A.fixedParent)), RC.ATTRIBUTES, 'ATTRIBUTES'],
    ['asymmetric key without sensitiveDataOrigin', t((p) => (p.objectAttributes &= ~A.sensitiveDataOrigin)), RC.ATTRIBUTES, 'ATTRIBUTES'],
    ['authPolicy of 20 bytes with a SHA-256 nameAlg', t((p) => (p.authPolicy = new Uint8Array(20))), RC.SIZE, 'SIZE'],
    ['nameAlg TPM_ALG_NULL', t((p) => (p.nameAlg = ALG.NULL)), RC.HASH, 'HASH'],
    ['storage key with symmetric TPM_ALG_NULL', t((p) => (p.symmetric = { algorithm: ALG.NULL })), RC.SYMMETRIC, 'SYMMETRIC'],
    ['signing key with a symmetric algorithm', t((p) => (p.symmetric = { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB }), () => eccSigning()), RC.SYMMETRIC, 'SYMMETRIC'],
    ['restricted decrypt key with a scheme', t((p) => (p.scheme = { scheme: ALG.ECDH, hashAlg: ALG.SHA256 })), RC.SCHEME, 'SCHEME'],
  ];
}

export default [
  tpmCheck({
    id: 'tpm2.object.createprimary-ecc',
    title: 'TPM2_CreatePrimary creates an ECC P-256 storage key whose name matches its public area',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'CreatePrimary with the ECC P-256 storage template returns a transient handle, outPublic with a 32-byte x and y that form a point, and name = nameAlg || H(outPublic) (checked independently, as ESAPI does).',
    run: async (x) => {
      await x.needAlg(ALG.ECC, 'TPM_ALG_ECC');
      const r = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      x.rc(r.rc, RC.SUCCESS, 'TPM2_CreatePrimary(ECC P-256 storage)');
      x.defer(() => x.c.flushContext(r.handle!));
      x.t.expectEqual(r.handle! >>> 24, 0x80, 'handle type', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.public!.point!.x.length, 32, 'unique.ecc.x size');
      x.t.expectEqual(r.public!.point!.y.length, 32, 'unique.ecc.y size');
      x.bytes(r.name, nameOf(r.publicBytes!), 'name against nameAlg || SHA-256(outPublic)');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.createprimary-rsa',
    title: 'TPM2_CreatePrimary creates an RSA-2048 storage key with a 256-byte modulus',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'CreatePrimary with the RSA-2048 storage template (tpm2_createprimary\'s default) returns outPublic with a 256-byte modulus whose top bit is set, and name = nameAlg || H(outPublic).',
    timeoutMs: 180_000,
    run: async (x) => {
      await x.needAlg(ALG.RSA, 'TPM_ALG_RSA');
      const r = await x.c.createPrimary(RH.OWNER, rsaStorage(), { auth: x.ownerAuth() });
      x.rc(r.rc, RC.SUCCESS, 'TPM2_CreatePrimary(RSA-2048 storage)');
      x.defer(() => x.c.flushContext(r.handle!));
      x.t.expectEqual(r.public!.unique.length, 256, 'modulus size');
      x.t.assert(r.public!.unique[0]! & 0x80, 'the modulus is shorter than 2048 bits');
      x.bytes(r.name, nameOf(r.publicBytes!), 'name');
    },
  }),
  ...(['ecc', 'rsa'] as const).map((kind) =>
    tpmCheck({
      id: `tpm2.object.createprimary-deterministic-${kind}`,
      title: `the same ${kind.toUpperCase()} template under the same seed gives the same primary key`,
      spec: P3,
      clause: CP,
      level: 'MUST',
      requirement: `A primary object is derived from the hierarchy's primary seed and the template: CreatePrimary twice with the same ${kind === 'ecc' ? 'ECC P-256' : 'RSA-2048'} template in the owner hierarchy returns the same public key and name.`,
      timeoutMs: 180_000,
      run: async (x) => {
        await x.needAlg(kind === 'ecc' ? ALG.ECC : ALG.RSA, kind.toUpperCase());
        const a = await x.primary(kind);
        const b = await x.primary(kind);
        x.bytes(b.name, a.name, 'name of the second primary against the first');
      },
    }),
  ),
  tpmCheck({
    id: 'tpm2.object.createprimary-unique-matters',
    title: 'a different unique field in the template gives a different primary key',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'The unique field of the template is part of the derivation input: two templates that differ only in unique.ecc.x give different keys.',
    run: async (x) => {
      const t2 = eccStorage();
      t2.point = { x: utf8('fwsec unique'), y: new Uint8Array(0) };
      const a = await x.primary('ecc');
      const b = await x.primary('ecc', RH.OWNER, t2);
      x.t.assert(!bytesEqual(a.name, b.name), 'the same key came out of templates with different unique fields', { expected: 'different names', actual: hex(a.name) });
    },
  }),
  tpmCheck({
    id: 'tpm2.object.createprimary-hierarchies-differ',
    title: 'the same template under the owner and endorsement seeds gives different keys',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'Each hierarchy has its own primary seed: CreatePrimary with the same template under TPM_RH_OWNER and TPM_RH_ENDORSEMENT (and TPM_RH_NULL) yields three different keys.',
    run: async (x) => {
      const o = await x.primary('ecc', RH.OWNER);
      const e = await x.primary('ecc', RH.ENDORSEMENT);
      const n = await x.primary('ecc', RH.NULL);
      x.t.assert(!bytesEqual(o.name, e.name) && !bytesEqual(o.name, n.name) && !bytesEqual(e.name, n.name), 'two hierarchies produced the same key');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.null-seed-changes-on-reset',
    title: 'a null-hierarchy primary changes across TPM Reset, an owner primary does not',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'The null hierarchy seed is renewed on every TPM Reset while the storage primary seed persists: after _TPM_Init and TPM2_Startup(CLEAR) the same template gives a new TPM_RH_NULL key and the same TPM_RH_OWNER key.',
    capabilities: ['tpm2.power-cycle'],
    run: async (x) => {
      const o1 = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      const n1 = await x.c.createPrimary(RH.NULL, eccStorage());
      x.ok(o1, 'TPM2_CreatePrimary(OWNER)');
      x.ok(n1, 'TPM2_CreatePrimary(NULL)');
      x.ok(await x.c.shutdown(0), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      const o2 = await x.primary('ecc', RH.OWNER);
      const n2 = await x.primary('ecc', RH.NULL);
      x.bytes(o2.name, o1.name!, 'owner primary after TPM Reset');
      x.t.assert(!bytesEqual(n2.name, n1.name!), 'the null-hierarchy primary is the same after TPM Reset', { expected: 'a new key', actual: hex(n2.name) });
    },
  }),
  tpmCheck({
    id: 'tpm2.object.readpublic-names',
    title: 'TPM2_ReadPublic returns the public area, the name and the qualified name',
    spec: P3,
    clause: READPUB,
    level: 'MUST',
    requirement: 'ReadPublic needs no authorization and returns outPublic, name = nameAlg || H(outPublic) and, for a primary, qualifiedName = nameAlg || H(hierarchy handle || name); for a child, qualifiedName = nameAlg || H(parent qualifiedName || name).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const r = await x.c.readPublic(p.handle);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_ReadPublic(primary)');
      x.bytes(r.name, nameOf(r.publicBytes!), 'name');
      x.bytes(r.qualifiedName, concat(u16(ALG.SHA256), sha256(u32(RH.OWNER), r.name!)), 'qualifiedName of the primary');
      const k = await x.child(p.handle, eccSigning());
      const rk = await x.c.readPublic(k.handle);
      x.rc(rk.rc, RC.SUCCESS, 'TPM2_ReadPublic(child)');
      x.bytes(rk.qualifiedName, concat(u16(ALG.SHA256), sha256(r.qualifiedName!, rk.name!)), 'qualifiedName of the child');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.create-load',
    title: 'TPM2_Create then TPM2_Load gives back the created object',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'Load of the outPrivate/outPublic that Create returned succeeds under the same parent and returns name = nameAlg || H(outPublic); ReadPublic of the loaded object returns the same public area.',
    run: async (x) => {
      const p = await x.primary('ecc');
      const c = await x.c.create(p.handle, eccSigning());
      x.rc(c.rc, RC.SUCCESS, 'TPM2_Create(ECC signing key)');
      const l = await x.c.load(p.handle, c.private!, c.publicBytes!);
      x.rc(l.rc, RC.SUCCESS, 'TPM2_Load');
      x.defer(() => x.c.flushContext(l.handle!));
      x.bytes(l.name, nameOf(c.publicBytes!), 'name returned by TPM2_Load');
      const rp = await x.c.readPublic(l.handle!);
      x.bytes(rp.publicBytes, c.publicBytes!, 'public area of the loaded object');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.creation-data',
    title: 'creationData records the parent, locality, PCRs and outsideInfo, and creationHash is its digest',
    spec: P3,
    clause: CREATE,
    level: 'MUST',
    requirement: 'TPM2_Create returns creationData with parentName and parentQualifiedName of the parent, locality TPMA_LOCALITY of the command locality (0x01 at locality 0), pcrSelect as given, pcrDigest = H(selected PCR values) and outsideInfo as given; creationHash = H_nameAlg(creationData).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const pr = await x.c.readPublic(p.handle);
      const sels = [sel(ALG.SHA256, 16, 23)];
      const pcrs = [await x.pcr(ALG.SHA256, 16), await x.pcr(ALG.SHA256, 23)];
      const c = await x.c.create(p.handle, eccSigning(), { outsideInfo: utf8('outside'), creationPCR: sels });
      x.rc(c.rc, RC.SUCCESS, 'TPM2_Create');
      const cd = c.creationData!;
      x.bytes(cd.parentName, pr.name!, 'creationData.parentName');
      x.bytes(cd.parentQualifiedName, pr.qualifiedName!, 'creationData.parentQualifiedName');
      x.t.expectEqual(cd.locality, 0x01, 'creationData.locality', (v) => `0x${v.toString(16)}`);
      x.bytes(cd.outsideInfo, utf8('outside'), 'creationData.outsideInfo');
      x.bytes(cd.pcrDigest, sha256(...pcrs), 'creationData.pcrDigest');
      const w = new TpmWriter(256);
      writeCreationData(w, cd);
      x.bytes(c.creationHash, sha256(w.finish()), 'creationHash against SHA-256(creationData)');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.create-non-parent',
    title: 'TPM2_Create under a key that is not a storage parent answers TPM_RC_TYPE for handle 1',
    spec: P3,
    clause: CREATE,
    level: 'MUST',
    requirement: 'parentHandle must be a restricted decryption key (a storage parent); under a signing key Create fails with TPM_RC_TYPE + TPM_RC_H + TPM_RC_1 (0x18A).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const k = await x.child(p.handle, eccSigning());
      x.rc((await x.c.create(k.handle, eccSigning())).rc, rcH(RC.TYPE, 1), 'TPM2_Create under a signing key');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.load-wrong-parent',
    title: 'a private area loaded under another parent answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'The private area is protected with keys derived from its parent\'s seed; loading it under a different storage key fails the integrity check: TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const p1 = await x.primary('ecc');
      const alt = eccStorage();
      alt.point = { x: utf8('other parent'), y: new Uint8Array(0) };
      const p2 = await x.primary('ecc', RH.OWNER, alt);
      const c = await x.c.create(p1.handle, eccSigning());
      x.ok(c, 'TPM2_Create under parent 1');
      const l = await x.c.load(p2.handle, c.private!, c.publicBytes!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(l.rc, rcP(RC.INTEGRITY, 1), 'TPM2_Load under parent 2');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.load-tampered-private',
    title: 'a modified private area answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'Changing one byte of the encrypted sensitive part of outPrivate makes TPM2_Load fail with TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const c = await x.c.create(p.handle, eccSigning());
      x.ok(c, 'TPM2_Create');
      const priv = c.private!.slice();
      priv[priv.length - 1]! ^= 0x01;
      const l = await x.c.load(p.handle, priv, c.publicBytes!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(l.rc, rcP(RC.INTEGRITY, 1), 'TPM2_Load of a private area with its last byte flipped');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.load-swapped-public',
    title: 'a private area with another object\'s public area answers TPM_RC_INTEGRITY for parameter 1',
    spec: P3,
    clause: LOAD,
    level: 'MUST',
    requirement: 'The integrity of the private area covers the object name: loading object A\'s private with object B\'s public fails with TPM_RC_INTEGRITY + TPM_RC_P + TPM_RC_1 (0x1DF).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const a = await x.c.create(p.handle, eccSigning());
      const b = await x.c.create(p.handle, eccSigning());
      x.ok(a, 'TPM2_Create A');
      x.ok(b, 'TPM2_Create B');
      const l = await x.c.load(p.handle, a.private!, b.publicBytes!);
      if (l.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(l.handle!));
      x.rc(l.rc, rcP(RC.INTEGRITY, 1), 'TPM2_Load(private of A, public of B)');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.template-checks',
    title: 'inconsistent templates are refused with their attribute, size, hash, symmetric or scheme code for parameter 2',
    spec: P3,
    clause: CREATE,
    level: 'MUST',
    requirement: 'TPM2_CreatePrimary validates inPublic (parameter 2): restricted sign+decrypt, fixedTPM without fixedParent and an asymmetric key without sensitiveDataOrigin give TPM_RC_ATTRIBUTES (0x2C2); an authPolicy not the nameAlg digest size TPM_RC_SIZE (0x2D5); nameAlg NULL TPM_RC_HASH (0x2C3); a storage key without a symmetric algorithm and a signing key with one TPM_RC_SYMMETRIC (0x2D6); a restricted decryption key with a scheme TPM_RC_SCHEME (0x2D2).',
    run: async (x) => {
      for (const [what, tpl, base] of badTemplates()) x.rc(await createPrimaryRc(x, tpl), rcP(base, 2), `TPM2_CreatePrimary with a ${what}`);
    },
  }),
  tpmCheck({
    id: 'tpm2.object.template-unmarshal',
    title: 'templates that do not unmarshal are refused with their code for parameter 2',
    spec: P3,
    clause: CREATE,
    level: 'MUST',
    requirement: 'inPublic fails to unmarshal, for parameter 2, with: an undefined type (0x0099) TPM_RC_TYPE (0x2CA); reserved objectAttributes bits TPM_RC_RESERVED_BITS (0x2E1); ECC curve 0x0099 TPM_RC_CURVE (0x2E6); a size larger than the area TPM_RC_SIZE (0x2D5).',
    run: async (x) => {
      const base = marshalPublic(eccStorage());
      const typed = base.slice();
      typed.set(u16(0x0099), 0);
      x.rc(await createPrimaryRc(x, eccStorage(), { rawPublic: typed }), rcP(RC.TYPE, 2), 'TPM2_CreatePrimary with type 0x0099');
      const reserved = eccStorage();
      reserved.objectAttributes |= 0x1;
      x.rc(await createPrimaryRc(x, reserved), rcP(RC.RESERVED_BITS, 2), 'TPM2_CreatePrimary with objectAttributes bit 0 set');
      const curve = eccStorage();
      curve.curveId = 0x0099;
      x.rc(await createPrimaryRc(x, curve), rcP(RC.CURVE, 2), 'TPM2_CreatePrimary with curve 0x0099');
      x.rc(await createPrimaryRc(x, eccStorage(), { rawPublic: concat(base, new Uint8Array(4)) }), rcP(RC.SIZE, 2), 'TPM2_CreatePrimary with 4 bytes after the public area');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.userauth-too-long',
    title: 'a userAuth longer than the nameAlg digest answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: CREATE,
    level: 'MUST',
    requirement: 'The authValue of a new object is at most the digest size of its nameAlg (trailing zeros removed): a 33-byte userAuth for a SHA-256 object fails with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      x.rc(await createPrimaryRc(x, eccStorage(), { userAuth: new Uint8Array(33).fill(0x41) }), rcP(RC.SIZE, 1), 'TPM2_CreatePrimary with a 33-byte userAuth');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.unseal',
    title: 'a sealed data object returns its data to TPM2_Unseal with its authValue',
    spec: P3,
    clause: UNSEAL,
    level: 'MUST',
    requirement: 'A KEYEDHASH object created with data and no sign/decrypt returns that data from TPM2_Unseal authorized with its userAuth (password or HMAC session).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const o = await x.child(p.handle, sealed(), { data: utf8('the sealed bytes'), userAuth: utf8('seal-pw') });
      const u = await x.c.unseal(o.handle, pw('seal-pw'));
      x.rc(u.rc, RC.SUCCESS, 'TPM2_Unseal (password)');
      x.bytes(u.data, utf8('the sealed bytes'), 'unsealed data');
      const s = await x.session(SE.HMAC);
      const u2 = await x.c.unseal(o.handle, withSession(s, utf8('seal-pw')));
      x.rc(u2.rc, RC.SUCCESS, 'TPM2_Unseal (HMAC session)');
      x.t.expectEqual(u2.resp.responseAuthOk[0], true, 'response HMAC verifies');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.unseal-not-sealed',
    title: 'TPM2_Unseal of a key answers TPM_RC_TYPE for handle 1',
    spec: P3,
    clause: UNSEAL,
    level: 'MUST',
    requirement: 'itemHandle must be a KEYEDHASH data object: for an ECC signing key TPM2_Unseal fails with TPM_RC_TYPE + TPM_RC_H + TPM_RC_1 (0x18A).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const k = await x.child(p.handle, eccSigning());
      x.rc((await x.c.unseal(k.handle)).rc, rcH(RC.TYPE, 1), 'TPM2_Unseal of a signing key');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.unseal-wrong-password',
    title: 'TPM2_Unseal with a wrong password answers TPM_RC_BAD_AUTH for a noDA object',
    spec: P3,
    clause: UNSEAL,
    level: 'MUST',
    requirement: 'With a wrong password the authorization fails: TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) for an object with noDA, and no data is returned.',
    run: async (x) => {
      const p = await x.primary('ecc');
      const o = await x.child(p.handle, sealed(), { data: utf8('s'), userAuth: utf8('right') });
      x.rc((await x.c.unseal(o.handle, pw('wrong'))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_Unseal with a wrong password');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.user-with-auth-clear',
    title: 'an object without userWithAuth refuses password and HMAC authorization',
    spec: P3,
    clause: UNSEAL,
    level: 'MUST',
    requirement: 'If userWithAuth is CLEAR, USER role authorization must use a policy session: a password session fails with TPM_RC_AUTH_UNAVAILABLE (0x12F).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const o = await x.child(p.handle, sealed(new Uint8Array(32), A.fixedTPM | A.fixedParent | A.noDA), { data: utf8('s') });
      x.rc((await x.c.unseal(o.handle, pw())).rc, RC.AUTH_UNAVAILABLE, 'TPM2_Unseal with a password session');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.change-auth',
    title: 'TPM2_ObjectChangeAuth returns a private area with the new authValue',
    spec: P3,
    clause: CHANGEAUTH,
    level: 'MUST',
    requirement: 'ObjectChangeAuth (ADMIN role, here by authValue since adminWithPolicy is CLEAR) returns outPrivate carrying newAuth: loaded under the same parent, the new copy unseals with the new password and not with the old one.',
    run: async (x) => {
      const p = await x.primary('ecc');
      const o = await x.child(p.handle, sealed(), { data: utf8('ca'), userAuth: utf8('old-pw') });
      const r = await x.c.objectChangeAuth(o.handle, p.handle, utf8('new-pw'), pw('old-pw'));
      x.rc(r.rc, RC.SUCCESS, 'TPM2_ObjectChangeAuth');
      const pub = await x.c.readPublic(o.handle);
      const l = await x.c.load(p.handle, r.private!, pub.publicBytes!);
      x.ok(l, 'TPM2_Load of the new private area');
      x.defer(() => x.c.flushContext(l.handle!));
      x.rc((await x.c.unseal(l.handle!, pw('new-pw'))).rc, RC.SUCCESS, 'TPM2_Unseal of the new copy with the new password');
      x.rc((await x.c.unseal(l.handle!, pw('old-pw'))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_Unseal of the new copy with the old password');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.change-auth-wrong-parent',
    title: 'TPM2_ObjectChangeAuth with a handle that is not the parent answers TPM_RC_TYPE for handle 2',
    spec: P3,
    clause: CHANGEAUTH,
    level: 'MUST',
    requirement: 'parentHandle must be the parent of objectHandle (its qualified name must match); another storage key fails with TPM_RC_TYPE + TPM_RC_H + TPM_RC_2 (0x28A).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const alt = eccStorage();
      alt.point = { x: utf8('another parent'), y: new Uint8Array(0) };
      const q = await x.primary('ecc', RH.OWNER, alt);
      const o = await x.child(p.handle, sealed(), { data: utf8('ca'), userAuth: utf8('pw') });
      x.rc((await x.c.objectChangeAuth(o.handle, q.handle, utf8('x'), pw('pw'))).rc, rcH(RC.TYPE, 2), 'TPM2_ObjectChangeAuth with another storage key as parent');
    },
  }),
  tpmCheck({
    id: 'tpm2.object.storage-attributes-kept',
    title: 'the public area TPM2_CreatePrimary returns keeps the template attributes',
    spec: P3,
    clause: CP,
    level: 'MUST',
    requirement: 'outPublic carries the objectAttributes, nameAlg, symmetric definition and curve of inPublic unchanged; only unique is filled in.',
    run: async (x) => {
      const r = await x.c.createPrimary(RH.OWNER, eccStorage(), { auth: x.ownerAuth() });
      x.ok(r, 'TPM2_CreatePrimary');
      x.defer(() => x.c.flushContext(r.handle!));
      x.t.expectEqual(r.public!.objectAttributes, STORAGE_ATTRIBUTES, 'objectAttributes', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.public!.nameAlg, ALG.SHA256, 'nameAlg');
      x.t.expectEqual(r.public!.curveId, ECC_CURVE.NIST_P256, 'curveID');
      x.t.expectEqual(`${r.public!.symmetric?.algorithm}/${r.public!.symmetric?.keyBits}/${r.public!.symmetric?.mode}`, `${ALG.AES}/128/${ALG.CFB}`, 'symmetric');
    },
  }),
];
