// Part 3, 20 Signing and Signature Verification: TPM2_Sign (ECDSA,
// RSASSA, RSAPSS) with signatures verified by node:crypto, scheme
// selection, hashcheck tickets for restricted keys, and
// TPM2_VerifySignature with its verified ticket.
import { createPublicKey, verify, constants as C, type KeyObject } from 'node:crypto';
import { ALG, RH, ST, TPM_GENERATED_VALUE, TPMA_OBJECT } from '../../protocol/tpm2/constants.js';
import { RC, rcH, rcP } from '../../protocol/tpm2/rc.js';
import type { Scheme, Signature, TpmtPublic } from '../../protocol/tpm2/structures.js';
import { SIGNING_ATTRIBUTES, eccSigning, rsaSigning } from '../../protocol/tpm2/templates.js';
import { P3, concat, tpmCheck, u32, utf8, type Tx } from './common.js';
import { oracle } from './hash.js';

const SIGN = '20.2 TPM2_Sign';
const VERIFY = '20.1 TPM2_VerifySignature';
const A = TPMA_OBJECT;
const MSG = utf8('message signed by the TPM under test');
const NODE_HASH: Record<number, string> = { [ALG.SHA1]: 'sha1', [ALG.SHA256]: 'sha256', [ALG.SHA384]: 'sha384', [ALG.SHA512]: 'sha512' };

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** The public key of a TPM public area as a node:crypto key (the independent verifier). */
function nodeKey(p: TpmtPublic): KeyObject {
  if (p.type === ALG.RSA) {
    const e = p.exponent || 65537;
    return createPublicKey({ key: { kty: 'RSA', n: b64u(p.unique), e: b64u(Uint8Array.from([(e >> 16) & 0xff, (e >> 8) & 0xff, e & 0xff])) }, format: 'jwk' });
  }
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(p.point!.x), y: b64u(p.point!.y) }, format: 'jwk' });
}

function pad(b: Uint8Array, n: number): Uint8Array {
  return b.length >= n ? b : concat(new Uint8Array(n - b.length), b);
}

/** Verifies a TPM signature over MSG with node:crypto. */
function nodeVerifies(p: TpmtPublic, sig: Signature): boolean {
  const key = nodeKey(p);
  const h = NODE_HASH[sig.hashAlg]!;
  if (sig.sigAlg === ALG.ECDSA) return verify(h, MSG, { key, dsaEncoding: 'ieee-p1363' }, concat(pad(sig.r!, 32), pad(sig.s!, 32)));
  if (sig.sigAlg === ALG.RSASSA) return verify(h, MSG, { key, padding: C.RSA_PKCS1_PADDING }, sig.sig!);
  return verify(h, MSG, { key, padding: C.RSA_PKCS1_PSS_PADDING, saltLength: C.RSA_PSS_SALTLEN_AUTO }, sig.sig!);
}

async function signer(x: Tx, tpl: TpmtPublic) {
  await x.needAlg(tpl.type, tpl.type === ALG.RSA ? 'TPM_ALG_RSA' : 'TPM_ALG_ECC');
  const p = await x.primary('ecc');
  return x.child(p.handle, tpl);
}

const SCHEMES: [string, () => TpmtPublic, Scheme][] = [
  ['ecdsa', () => eccSigning(), { scheme: ALG.ECDSA, hashAlg: ALG.SHA256 }],
  ['rsassa', () => rsaSigning(ALG.NULL), { scheme: ALG.RSASSA, hashAlg: ALG.SHA256 }],
  ['rsapss', () => rsaSigning(ALG.NULL), { scheme: ALG.RSAPSS, hashAlg: ALG.SHA256 }],
];

export default [
  ...SCHEMES.map(([name, tpl, scheme]) =>
    tpmCheck({
      id: `tpm2.signing.${name}`,
      title: `TPM2_Sign produces a valid ${name.toUpperCase()} signature`,
      spec: P3,
      clause: SIGN,
      level: 'MUST',
      requirement: `TPM2_Sign with scheme ${name.toUpperCase()}-SHA256 over SHA-256(message) returns a signature of that scheme and hash that an independent verifier (node:crypto) accepts for the key's public area.`,
      timeoutMs: 180_000,
      run: async (x) => {
        if (name !== 'ecdsa') await x.needAlg(scheme.scheme, `TPM_ALG_${name.toUpperCase()}`);
        const k = await signer(x, tpl());
        const r = await x.c.sign(k.handle, oracle(ALG.SHA256, MSG), scheme, undefined);
        x.rc(r.rc, RC.SUCCESS, `TPM2_Sign(${name.toUpperCase()}-SHA256)`);
        x.t.expectEqual(r.signature!.sigAlg, scheme.scheme, 'sigAlg');
        x.t.expectEqual(r.signature!.hashAlg, ALG.SHA256, 'hash of the signature');
        x.t.assert(nodeVerifies(k.public, r.signature!), `node:crypto rejects the ${name.toUpperCase()} signature`, { expected: 'a valid signature', actual: 'verification failed' });
      },
    }),
  ),
  tpmCheck({
    id: 'tpm2.signing.key-scheme',
    title: 'with inScheme TPM_ALG_NULL the key\'s own scheme is used',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'If the key has a scheme (ECDSA-SHA256) and inScheme is TPM_ALG_NULL, the TPM signs with the key\'s scheme.',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      const r = await x.c.sign(k.handle, oracle(ALG.SHA256, MSG), { scheme: ALG.NULL }, undefined);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_Sign(inScheme NULL)');
      x.t.expectEqual(r.signature!.sigAlg, ALG.ECDSA, 'sigAlg');
      x.t.assert(nodeVerifies(k.public, r.signature!), 'node:crypto rejects the signature');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.scheme-mismatch',
    title: 'an inScheme that differs from the key scheme answers TPM_RC_SCHEME for parameter 2',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'If the key has a scheme and inScheme is not TPM_ALG_NULL, they must be the same: ECDSA-SHA384 for an ECDSA-SHA256 key fails with TPM_RC_SCHEME + TPM_RC_P + TPM_RC_2 (0x2D2).',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      x.rc((await x.c.sign(k.handle, new Uint8Array(48), { scheme: ALG.ECDSA, hashAlg: ALG.SHA384 }, undefined)).rc, rcP(RC.SCHEME, 2), 'TPM2_Sign(ECDSA-SHA384) with an ECDSA-SHA256 key');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.no-scheme',
    title: 'no scheme in the key or the command answers TPM_RC_SCHEME for parameter 2',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'If the key scheme is TPM_ALG_NULL, inScheme must name one: TPM_ALG_NULL too fails with TPM_RC_SCHEME + TPM_RC_P + TPM_RC_2 (0x2D2).',
    run: async (x) => {
      const k = await signer(x, eccSigning(ALG.SHA256, SIGNING_ATTRIBUTES, ALG.NULL));
      x.rc((await x.c.sign(k.handle, new Uint8Array(32), { scheme: ALG.NULL }, undefined)).rc, rcP(RC.SCHEME, 2), 'TPM2_Sign(NULL) with a key without scheme');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.digest-size',
    title: 'a digest of the wrong size for the scheme hash answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'For an unrestricted key with a NULL ticket, digest must be the size of the scheme hash: 20 bytes for SHA-256 fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      x.rc((await x.c.sign(k.handle, new Uint8Array(20), { scheme: ALG.NULL }, undefined)).rc, rcP(RC.SIZE, 1), 'TPM2_Sign with a 20-byte digest');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.not-a-signing-key',
    title: 'TPM2_Sign with a storage key answers TPM_RC_KEY for handle 1',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'keyHandle must reference a signing key: with a storage (restricted decryption) key TPM2_Sign fails with TPM_RC_KEY + TPM_RC_H + TPM_RC_1 (0x19C).',
    run: async (x) => {
      const p = await x.primary('ecc');
      x.rc((await x.c.sign(p.handle, new Uint8Array(32), { scheme: ALG.ECDSA, hashAlg: ALG.SHA256 }, undefined)).rc, rcH(RC.KEY, 1), 'TPM2_Sign with a storage key');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.restricted-needs-ticket',
    title: 'a restricted signing key refuses a digest without a valid ticket',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'A restricted signing key signs only digests the TPM computed itself: with a NULL validation ticket TPM2_Sign fails with TPM_RC_TICKET + TPM_RC_P + TPM_RC_3 (0x3E0); with the ticket TPM2_Hash(TPM_RH_OWNER) returned it succeeds.',
    run: async (x) => {
      const k = await signer(x, eccSigning(ALG.SHA256, SIGNING_ATTRIBUTES | A.restricted));
      const h = await x.c.hash(MSG, ALG.SHA256, RH.OWNER);
      x.ok(h, 'TPM2_Hash(TPM_RH_OWNER)');
      x.rc((await x.c.sign(k.handle, h.digest!, { scheme: ALG.NULL }, undefined)).rc, rcP(RC.TICKET, 3), 'TPM2_Sign with a restricted key and a NULL ticket');
      const ok = await x.c.sign(k.handle, h.digest!, { scheme: ALG.NULL }, h.ticket);
      x.rc(ok.rc, RC.SUCCESS, 'TPM2_Sign with the hashcheck ticket');
      x.t.assert(nodeVerifies(k.public, ok.signature!), 'node:crypto rejects the signature');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.restricted-refuses-generated',
    title: 'a restricted key cannot sign data that starts with TPM_GENERATED_VALUE',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'TPM2_Hash gives no ticket for data beginning with TPM_GENERATED_VALUE, so a restricted key cannot be made to sign a forged attestation: TPM2_Sign with the ticket it returned fails with TPM_RC_TICKET + TPM_RC_P + TPM_RC_3 (0x3E0).',
    run: async (x) => {
      const k = await signer(x, eccSigning(ALG.SHA256, SIGNING_ATTRIBUTES | A.restricted));
      const h = await x.c.hash(concat(u32(TPM_GENERATED_VALUE), utf8('forged quote')), ALG.SHA256, RH.OWNER);
      x.ok(h, 'TPM2_Hash(TPM_GENERATED_VALUE || ...)');
      x.rc((await x.c.sign(k.handle, h.digest!, { scheme: ALG.NULL }, h.ticket)).rc, rcP(RC.TICKET, 3), 'TPM2_Sign with that ticket');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.forged-ticket',
    title: 'a ticket whose digest was altered answers TPM_RC_TICKET for parameter 3',
    spec: P3,
    clause: SIGN,
    level: 'MUST',
    requirement: 'The hashcheck ticket is an HMAC with the hierarchy proof: a ticket with one byte changed fails with TPM_RC_TICKET + TPM_RC_P + TPM_RC_3 (0x3E0).',
    run: async (x) => {
      const k = await signer(x, eccSigning(ALG.SHA256, SIGNING_ATTRIBUTES | A.restricted));
      const h = await x.c.hash(MSG, ALG.SHA256, RH.OWNER);
      x.ok(h, 'TPM2_Hash');
      const t = { ...h.ticket!, digest: h.ticket!.digest.slice() };
      t.digest[0]! ^= 1;
      x.rc((await x.c.sign(k.handle, h.digest!, { scheme: ALG.NULL }, t)).rc, rcP(RC.TICKET, 3), 'TPM2_Sign with an altered ticket');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify',
    title: 'TPM2_VerifySignature accepts the TPM\'s signature and returns a verified ticket',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'VerifySignature of a valid signature succeeds with a TPMT_TK_VERIFIED ticket (tag TPM_ST_VERIFIED) for the key\'s hierarchy (TPM_RH_OWNER, non-empty digest).',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      const d = oracle(ALG.SHA256, MSG);
      const s = await x.c.sign(k.handle, d, { scheme: ALG.NULL }, undefined);
      x.ok(s, 'TPM2_Sign');
      const v = await x.c.verifySignature(k.handle, d, s.signature!);
      x.rc(v.rc, RC.SUCCESS, 'TPM2_VerifySignature');
      x.t.expectEqual(v.ticket!.tag, ST.VERIFIED, 'ticket tag', (t) => `0x${t.toString(16)}`);
      x.t.expectEqual(v.ticket!.hierarchy, RH.OWNER, 'ticket hierarchy', (t) => `0x${t.toString(16)}`);
      x.t.assert(v.ticket!.digest.length > 0, 'the verified ticket has an empty digest');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify-null-hierarchy',
    title: 'TPM2_VerifySignature with a null-hierarchy key returns a NULL ticket',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'For a key in the null hierarchy the validation ticket is a NULL ticket: tag TPM_ST_VERIFIED, hierarchy TPM_RH_NULL, empty digest.',
    run: async (x) => {
      const p = await x.primary('ecc', RH.NULL);
      const k = await x.child(p.handle, eccSigning());
      const d = oracle(ALG.SHA256, MSG);
      const s = await x.c.sign(k.handle, d, { scheme: ALG.NULL }, undefined);
      x.ok(s, 'TPM2_Sign');
      const v = await x.c.verifySignature(k.handle, d, s.signature!);
      x.rc(v.rc, RC.SUCCESS, 'TPM2_VerifySignature');
      x.t.expectEqual(v.ticket!.hierarchy, RH.NULL, 'ticket hierarchy', (t) => `0x${t.toString(16)}`);
      x.t.expectEqual(v.ticket!.digest.length, 0, 'ticket digest size');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify-bad-signature',
    title: 'TPM2_VerifySignature of an altered signature answers TPM_RC_SIGNATURE for parameter 2',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'A signature that does not verify (ECDSA s changed in one bit, RSA signature for another digest) fails with TPM_RC_SIGNATURE + TPM_RC_P + TPM_RC_2 (0x2DB).',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      const d = oracle(ALG.SHA256, MSG);
      const s = await x.c.sign(k.handle, d, { scheme: ALG.NULL }, undefined);
      x.ok(s, 'TPM2_Sign');
      const bad = { ...s.signature!, s: s.signature!.s!.slice() };
      bad.s[bad.s.length - 1]! ^= 1;
      x.rc((await x.c.verifySignature(k.handle, d, bad)).rc, rcP(RC.SIGNATURE, 2), 'TPM2_VerifySignature of an altered ECDSA signature');
      x.rc((await x.c.verifySignature(k.handle, oracle(ALG.SHA256, utf8('other')), s.signature!)).rc, rcP(RC.SIGNATURE, 2), 'TPM2_VerifySignature for another digest');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify-wrong-scheme',
    title: 'a signature of another algorithm than the key answers TPM_RC_SCHEME for parameter 2',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'An RSASSA signature presented for an ECC key fails with TPM_RC_SCHEME + TPM_RC_P + TPM_RC_2 (0x2D2).',
    run: async (x) => {
      const k = await signer(x, eccSigning());
      x.rc((await x.c.verifySignature(k.handle, new Uint8Array(32), { sigAlg: ALG.RSASSA, hashAlg: ALG.SHA256, sig: new Uint8Array(256) })).rc, rcP(RC.SCHEME, 2), 'TPM2_VerifySignature(RSASSA) with an ECC key');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify-not-signing-key',
    title: 'TPM2_VerifySignature with a non-signing key answers TPM_RC_ATTRIBUTES for handle 1',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'keyHandle must have the sign attribute: with a storage key TPM2_VerifySignature fails with TPM_RC_ATTRIBUTES + TPM_RC_H + TPM_RC_1 (0x182).',
    run: async (x) => {
      const p = await x.primary('ecc');
      x.rc((await x.c.verifySignature(p.handle, new Uint8Array(32), { sigAlg: ALG.ECDSA, hashAlg: ALG.SHA256, r: new Uint8Array(32).fill(1), s: new Uint8Array(32).fill(1) })).rc, rcH(RC.ATTRIBUTES, 1), 'TPM2_VerifySignature with a storage key');
    },
  }),
  tpmCheck({
    id: 'tpm2.signing.verify-rsa',
    title: 'TPM2_VerifySignature accepts RSASSA and RSAPSS signatures of an RSA key',
    spec: P3,
    clause: VERIFY,
    level: 'MUST',
    requirement: 'For an RSA signing key without a fixed scheme, signatures made with RSASSA-SHA256 and RSAPSS-SHA256 by TPM2_Sign both verify with TPM2_VerifySignature.',
    timeoutMs: 180_000,
    run: async (x) => {
      const k = await signer(x, rsaSigning(ALG.NULL));
      const d = oracle(ALG.SHA256, MSG);
      for (const scheme of [ALG.RSASSA, ALG.RSAPSS]) {
        const s = await x.c.sign(k.handle, d, { scheme, hashAlg: ALG.SHA256 }, undefined);
        x.ok(s, `TPM2_Sign(${scheme === ALG.RSASSA ? 'RSASSA' : 'RSAPSS'})`);
        x.rc((await x.c.verifySignature(k.handle, d, s.signature!)).rc, RC.SUCCESS, `TPM2_VerifySignature(${scheme === ALG.RSASSA ? 'RSASSA' : 'RSAPSS'})`);
      }
    },
  }),
];
