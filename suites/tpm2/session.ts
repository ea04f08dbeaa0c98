// Part 3, 11.1 TPM2_StartAuthSession and the session-based authorizations
// of Part 1, 19 (HMAC sessions: cpHash, command and response HMACs, nonce
// rolling, bound and salted sessions) and 21 (session-based parameter
// encryption). tpm2-tools turns every password into an HMAC session and
// ESAPI verifies every response HMAC, so these are what a TPM serving the
// tools must get right.
import { ALG, RH, SE, TPMA_SESSION } from '../../protocol/tpm2/constants.js';
import { hashSize } from '../../protocol/tpm2/crypto.js';
import { RC, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { eccStorage, rsaStorage } from '../../protocol/tpm2/templates.js';
import { pw, withSession, type ClientSession } from '../../clients/tpm2.js';
import { NV_RW, P1, P3, tpmCheck, utf8, type Tx } from './common.js';

const START = '11.1 TPM2_StartAuthSession';
const AUTH = '19 Authorizations and Acknowledgments';
const ENC = '21 Session-based encryption';
const C = TPMA_SESSION.continueSession;

/** An NV index with authValue `auth`, used as an entity sessions authorize. */
async function authIndex(x: Tx, auth: string, size = 32) {
  return x.nv(NV_RW, size, { authValue: utf8(auth) });
}

function ent(ix: { nvIndex: number }) {
  return ix.nvIndex;
}

export default [
  tpmCheck({
    id: 'tpm2.session.start-hmac',
    title: 'TPM2_StartAuthSession(HMAC) returns an HMAC session handle and a nonceTPM as long as nonceCaller',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'An HMAC session gets a handle in the HMAC session range (0x02xxxxxx) and nonceTPM has the size of nonceCaller (checked with 16- and 32-byte nonceCaller, SHA-256).',
    run: async (x) => {
      for (const n of [16, 32]) {
        const r = await x.c.startAuthSession({ type: SE.HMAC, nonceCaller: new Uint8Array(n).fill(9) });
        x.rc(r.rc, RC.SUCCESS, `TPM2_StartAuthSession(HMAC, ${n}-byte nonceCaller)`);
        x.defer(() => x.c.flushContext(r.session!.handle));
        x.t.expectEqual(r.session!.handle >>> 24, 0x02, 'handle type', (v) => `0x${v.toString(16)}`);
        x.t.expectEqual(r.session!.nonceTPM.length, n, 'nonceTPM size');
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.session.start-policy',
    title: 'a new policy session has a policy handle and an all-zero policyDigest',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'A policy session gets a handle in the policy session range (0x03xxxxxx) and its policyDigest starts as zeros the size of authHash (TPM2_PolicyGetDigest, SHA-256 and SHA-1).',
    run: async (x) => {
      for (const alg of [ALG.SHA256, ALG.SHA1]) {
        const s = await x.session(SE.POLICY, { authHash: alg, nonceCaller: new Uint8Array(hashSize(alg)).fill(1) });
        x.t.expectEqual(s.handle >>> 24, 0x03, 'handle type', (v) => `0x${v.toString(16)}`);
        const d = await x.c.policyGetDigest(s);
        x.rc(d.rc, RC.SUCCESS, 'TPM2_PolicyGetDigest');
        x.bytes(d.digest, new Uint8Array(hashSize(alg)), `initial policyDigest (${alg === ALG.SHA1 ? 'SHA-1' : 'SHA-256'})`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.session.nonce-too-short',
    title: 'a nonceCaller shorter than 16 bytes answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'nonceCaller must be at least 16 octets: 15 bytes fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ nonceCaller: new Uint8Array(15) });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.SIZE, 1), 'TPM2_StartAuthSession with a 15-byte nonceCaller');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.nonce-too-long',
    title: 'a nonceCaller longer than the authHash digest answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'nonceCaller must be no larger than the digest of authHash: 33 bytes with SHA-256 fail with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ nonceCaller: new Uint8Array(33), authHash: ALG.SHA256 });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.SIZE, 1), 'TPM2_StartAuthSession(SHA-256) with a 33-byte nonceCaller');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.bad-type',
    title: 'an undefined sessionType answers TPM_RC_VALUE for parameter 3',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'sessionType is a TPM_SE (HMAC 0, POLICY 1, TRIAL 3); 2 fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_3 (0x3C4).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ type: 2 });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.VALUE, 3), 'TPM2_StartAuthSession(sessionType 2)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.null-hash',
    title: 'authHash TPM_ALG_NULL answers TPM_RC_HASH for parameter 5',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'authHash is a TPMI_ALG_HASH without TPM_ALG_NULL: TPM_ALG_NULL fails with TPM_RC_HASH + TPM_RC_P + TPM_RC_5 (0x5C3).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ authHash: ALG.NULL, nonceCaller: new Uint8Array(16) });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.HASH, 5), 'TPM2_StartAuthSession(authHash TPM_ALG_NULL)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.salt-without-key',
    title: 'an encryptedSalt with tpmKey TPM_RH_NULL answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'If tpmKey is TPM_RH_NULL, encryptedSalt shall be the Empty Buffer; otherwise TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ encryptedSalt: new Uint8Array(32).fill(3) });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.VALUE, 2), 'TPM2_StartAuthSession(tpmKey NULL, 32-byte encryptedSalt)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.key-without-salt',
    title: 'a tpmKey with an empty encryptedSalt answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'If tpmKey is an object, encryptedSalt shall not be the Empty Buffer: TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const p = await x.primary('ecc');
      const r = await x.c.startAuthSession({ salt: { handle: p.handle, public: p.public }, encryptedSalt: new Uint8Array(0) });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.VALUE, 2), 'TPM2_StartAuthSession(tpmKey = primary, empty encryptedSalt)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.symmetric-mode',
    title: 'a session symmetric algorithm in a mode other than CFB answers TPM_RC_MODE for parameter 4',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'Session parameter encryption uses CFB: a symmetric definition AES-128-CBC fails with TPM_RC_MODE + TPM_RC_P + TPM_RC_4 (0x4C9).',
    run: async (x) => {
      const r = await x.c.startAuthSession({ symmetric: { algorithm: ALG.AES, keyBits: 128, mode: ALG.CBC } });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.MODE, 4), 'TPM2_StartAuthSession(AES-128-CBC)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.hmac-authorizes',
    title: 'an HMAC session with the right authValue authorizes and the response HMAC verifies',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'The command HMAC is HMAC_authHash(sessionKey || authValue, cpHash || nonceCaller || nonceTPM || sessionAttributes) with cpHash over the command code, the entity names and the parameters; the TPM accepts it and its response HMAC over rpHash, the new nonceTPM, nonceCaller and the attributes verifies (ESAPI rejects the response otherwise).',
    run: async (x) => {
      const ix = await authIndex(x, 'nv-secret');
      const s = await x.session();
      const w = await x.c.nvWrite(ent(ix), ent(ix), utf8('hello'), 0, withSession(s, utf8('nv-secret')));
      x.rc(w.rc, RC.SUCCESS, 'TPM2_NV_Write with an HMAC session');
      x.t.expectEqual(w.responseAuthOk[0], true, 'response HMAC of TPM2_NV_Write verifies');
      const rd = await x.c.nvRead(ent(ix), ent(ix), 5, 0, withSession(s, utf8('nv-secret')));
      x.rc(rd.rc, RC.SUCCESS, 'TPM2_NV_Read with the same session');
      x.t.expectEqual(rd.resp.responseAuthOk[0], true, 'response HMAC of TPM2_NV_Read verifies');
      x.bytes(rd.data, utf8('hello'), 'data read back');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.hmac-wrong-auth',
    title: 'an HMAC computed with a wrong authValue answers TPM_RC_BAD_AUTH for the session',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'If the command HMAC does not verify, the authorization fails: TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) for an entity exempt from DA (an NV index with TPMA_NV_NO_DA), and nothing is written.',
    run: async (x) => {
      const ix = await authIndex(x, 'right');
      const s = await x.session();
      x.rc((await x.c.nvWrite(ent(ix), ent(ix), utf8('x'), 0, withSession(s, utf8('wrong')))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_NV_Write with an HMAC keyed by a wrong authValue');
      x.rc((await x.c.nvRead(ent(ix), ent(ix), 1, 0, withSession(s, utf8('right')))).rc, RC.NV_UNINITIALIZED, 'TPM2_NV_Read afterwards (nothing was written)');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.hmac-tampered-parameter',
    title: 'an HMAC over other parameters than those sent answers TPM_RC_BAD_AUTH',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'cpHash covers the parameters: a command whose HMAC was computed over different parameters (another NV offset) fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session();
      // compute the HMAC for offset 0, then send offset 1 with that HMAC
      const honest = await x.c.nvWrite(ent(ix), ent(ix), utf8('ab'), 0, withSession(s, utf8('pw')));
      x.ok(honest, 'TPM2_NV_Write at offset 0');
      const tampered = honest.sent.slice();
      tampered[tampered.length - 1] = 1;
      const r = await x.c.rawRc(tampered, 'the previous TPM2_NV_Write with its offset changed to 1');
      x.rc(r.rc, rcS(RC.BAD_AUTH, 1), 'TPM2_NV_Write whose parameters were changed after the HMAC');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.replay-refused',
    title: 'a replayed HMAC-authorized command answers TPM_RC_BAD_AUTH',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'nonceTPM changes after every use of a session, so the same command bytes sent a second time carry a stale nonce and fail with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session();
      const first = await x.c.nvWrite(ent(ix), ent(ix), utf8('once'), 0, withSession(s, utf8('pw')));
      x.ok(first, 'TPM2_NV_Write');
      const r = await x.c.rawRc(first.sent, 'the same TPM2_NV_Write bytes again');
      x.rc(r.rc, rcS(RC.BAD_AUTH, 1), 'replayed TPM2_NV_Write');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.nonce-rolls',
    title: 'every use of a session returns a new nonceTPM',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'The TPM generates a new nonceTPM for each command that uses the session; three uses give three nonces, all different from the one StartAuthSession returned.',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session();
      const seen = new Set([Buffer.from(s.nonceTPM).toString('hex')]);
      for (let i = 0; i < 3; i++) {
        x.ok(await x.c.nvWrite(ent(ix), ent(ix), utf8(`n${i}`), 0, withSession(s, utf8('pw'))), `TPM2_NV_Write #${i + 1}`);
        const k = Buffer.from(s.nonceTPM).toString('hex');
        x.t.assert(!seen.has(k), `nonceTPM repeated after use ${i + 1}`, { expected: 'a fresh nonceTPM', actual: k });
        seen.add(k);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.session.continue-clear-flushes',
    title: 'a session used without continueSession is flushed',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'If continueSession is CLEAR in the command, the session ends after the command: its handle is no longer listed in TPM_CAP_HANDLES and using it again fails with TPM_RC_REFERENCE_S0 (0x918).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session();
      x.ok(await x.c.nvWrite(ent(ix), ent(ix), utf8('z'), 0, withSession(s, utf8('pw'), 0)), 'TPM2_NV_Write with continueSession CLEAR');
      x.t.assert(!(await x.c.handles(0x02)).includes(s.handle), `session 0x${s.handle.toString(16)} is still loaded`);
      s.open = true;
      x.rc((await x.c.nvWrite(ent(ix), ent(ix), utf8('z'), 0, withSession(s, utf8('pw')))).rc, RC.REFERENCE_S0, 'using the ended session');
      s.open = false;
    },
  }),
  tpmCheck({
    id: 'tpm2.session.bound-to-entity',
    title: 'a session bound to an entity authorizes it without its authValue in the HMAC key',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'For an HMAC session bound to an entity (bind = that NV index), the sessionKey derives from the entity authValue and, when the session authorizes that same entity, the HMAC key is sessionKey alone.',
    run: async (x) => {
      const ix = await authIndex(x, 'bound-pw');
      const s = await x.session(SE.HMAC, { bind: { handle: ix.nvIndex, auth: utf8('bound-pw') } });
      const w = await x.c.nvWrite(ent(ix), ent(ix), utf8('via bound'), 0, withSession(s, utf8('bound-pw')));
      x.rc(w.rc, RC.SUCCESS, 'TPM2_NV_Write authorized by a session bound to the index');
      x.t.expectEqual(w.responseAuthOk[0], true, 'response HMAC verifies');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.bound-other-entity',
    title: 'a bound session authorizing another entity needs that entity’s authValue',
    spec: P1,
    clause: AUTH,
    level: 'MUST',
    requirement: 'When a bound session authorizes an entity other than its bind entity, the HMAC key is sessionKey || authValue of that entity: with the right authValue the command succeeds; keyed with the sessionKey alone it fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2).',
    run: async (x) => {
      const a = await authIndex(x, 'index-a');
      const b = await authIndex(x, 'index-b');
      const s = await x.session(SE.HMAC, { bind: { handle: a.nvIndex, auth: utf8('index-a') } });
      x.rc((await x.c.nvWrite(ent(b), ent(b), utf8('b'), 0, withSession(s, utf8('index-b')))).rc, RC.SUCCESS, 'TPM2_NV_Write on index B with B’s authValue');
      const bad = await x.c.nvWrite(ent(b), ent(b), utf8('b'), 0, withSession(s, new Uint8Array(0), C, { noAuth: false }));
      x.rc(bad.rc, rcS(RC.BAD_AUTH, 1), 'TPM2_NV_Write on index B keyed without B’s authValue');
    },
  }),
  ...(['rsa', 'ecc'] as const).map((kind) =>
    tpmCheck({
      id: `tpm2.session.salted-${kind}`,
      title: `a session salted with an ${kind.toUpperCase()} key works`,
      spec: P3,
      clause: START,
      level: 'MUST',
      requirement: `With tpmKey an ${kind === 'rsa' ? 'RSA decrypt key (salt encrypted with RSA-OAEP, label "SECRET")' : 'ECC decrypt key (salt from ECDH and KDFe, label "SECRET")'}, the sessionKey is KDFa(authHash, salt, "ATH", nonceTPM, nonceCaller): commands authorized with it succeed and their response HMACs verify.`,
      run: async (x) => {
        if (kind === 'rsa') await x.needAlg(ALG.RSA, 'TPM_ALG_RSA');
        else await x.needAlg(ALG.ECC, 'TPM_ALG_ECC');
        const key = await x.primary(kind);
        const ix = await authIndex(x, 'salted');
        const s = await x.session(SE.HMAC, { salt: { handle: key.handle, public: key.public } });
        const w = await x.c.nvWrite(ent(ix), ent(ix), utf8('salt'), 0, withSession(s, utf8('salted')));
        x.rc(w.rc, RC.SUCCESS, 'TPM2_NV_Write with the salted session');
        x.t.expectEqual(w.responseAuthOk[0], true, 'response HMAC verifies');
      },
    }),
  ),
  tpmCheck({
    id: 'tpm2.session.salt-garbage',
    title: 'an encryptedSalt that does not decrypt answers TPM_RC_VALUE for parameter 2',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'If encryptedSalt cannot be decrypted with tpmKey (256 bytes that are not an RSA-OAEP ciphertext, or not an ECC point), TPM2_StartAuthSession fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_2 (0x2C4).',
    run: async (x) => {
      const key = await x.primary('ecc');
      const r = await x.c.startAuthSession({ salt: { handle: key.handle, public: key.public }, encryptedSalt: new Uint8Array(68).fill(0x5a) });
      if (r.rc === RC.SUCCESS) x.defer(() => x.c.flushContext(r.session!.handle));
      x.rc(r.rc, rcP(RC.VALUE, 2), 'TPM2_StartAuthSession with a 68-byte encryptedSalt that is not a point');
    },
  }),
  ...(
    [
      ['cfb', { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB }, 'AES-128 in CFB mode with key and IV from KDFa(authHash, sessionKey || authValue, "CFB", nonceNewer, nonceOlder)'],
      ['xor', { algorithm: ALG.XOR, keyBits: ALG.SHA256 }, 'XOR with the mask KDFa(hashAlg, sessionKey || authValue, "XOR", nonceNewer, nonceOlder)'],
    ] as const
  ).map(([name, sym, how]) =>
    tpmCheck({
      id: `tpm2.session.encrypt-${name}`,
      title: `parameter encryption with ${name.toUpperCase()} round-trips NV data`,
      spec: P1,
      clause: ENC,
      level: 'MUST',
      requirement: `With a session whose symmetric is ${name.toUpperCase()}, the first command parameter is decrypted by the TPM (decrypt attribute) and the first response parameter encrypted (encrypt attribute), ${how}: data written encrypted reads back equal to the plaintext.`,
      run: async (x) => {
        const ix = await authIndex(x, 'enc-pw');
        const s = await x.session(SE.HMAC, { symmetric: sym, bind: { handle: ix.nvIndex, auth: utf8('enc-pw') } });
        const data = utf8('parameter encryption test data!');
        x.rc((await x.c.nvWrite(ent(ix), ent(ix), data, 0, withSession(s, utf8('enc-pw'), C | TPMA_SESSION.decrypt))).rc, RC.SUCCESS, 'TPM2_NV_Write with a decrypt session');
        const plain = await x.c.nvRead(ent(ix), ent(ix), data.length, 0, pw('enc-pw'));
        x.ok(plain, 'TPM2_NV_Read (password)');
        x.bytes(plain.data, data, 'data the TPM stored');
        const enc = await x.c.nvRead(ent(ix), ent(ix), data.length, 0, withSession(s, utf8('enc-pw'), C | TPMA_SESSION.encrypt));
        x.rc(enc.rc, RC.SUCCESS, 'TPM2_NV_Read with an encrypt session');
        x.bytes(enc.data, data, 'data decrypted from the encrypted response');
      },
    }),
  ),
  tpmCheck({
    id: 'tpm2.session.decrypt-without-symmetric',
    title: 'decrypt on a session without a symmetric algorithm answers TPM_RC_SYMMETRIC',
    spec: P3,
    clause: '5.5 Session Area Validation',
    level: 'MUST',
    requirement: 'A session with symmetric TPM_ALG_NULL cannot encrypt parameters: decrypt set fails with TPM_RC_SYMMETRIC + TPM_RC_S + TPM_RC_1 (0x996).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session();
      x.rc((await x.c.nvWrite(ent(ix), ent(ix), utf8('x'), 0, withSession(s, utf8('pw'), C | TPMA_SESSION.decrypt))).rc, rcS(RC.SYMMETRIC, 1), 'TPM2_NV_Write with decrypt on a session without symmetric');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.decrypt-not-allowed',
    title: 'decrypt for a command whose first parameter is not a TPM2B answers TPM_RC_ATTRIBUTES',
    spec: P3,
    clause: '5.5 Session Area Validation',
    level: 'MUST',
    requirement: 'TPM2_NV_Read has no TPM2B first parameter, so decrypt cannot apply: TPM_RC_ATTRIBUTES + TPM_RC_S + TPM_RC_1 (0x982).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      x.ok(await x.c.nvWrite(ent(ix), ent(ix), utf8('x'), 0, pw('pw')), 'TPM2_NV_Write');
      const s = await x.session(SE.HMAC, { symmetric: { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB } });
      x.rc((await x.c.nvRead(ent(ix), ent(ix), 1, 0, withSession(s, utf8('pw'), C | TPMA_SESSION.decrypt))).rc, rcS(RC.ATTRIBUTES, 1), 'TPM2_NV_Read with decrypt set');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.trial-cannot-authorize',
    title: 'a trial policy session in the authorization area answers TPM_RC_ATTRIBUTES',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'A trial session only computes a policy digest; used to authorize a command it fails with TPM_RC_ATTRIBUTES + TPM_RC_S + TPM_RC_1 (0x982).',
    run: async (x) => {
      const ix = await authIndex(x, 'pw');
      const s = await x.session(SE.TRIAL);
      x.rc((await x.c.nvWrite(ent(ix), ent(ix), utf8('x'), 0, withSession(s))).rc, rcS(RC.ATTRIBUTES, 1), 'TPM2_NV_Write authorized by a trial session');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.same-session-twice',
    title: 'the same session twice in one command answers TPM_RC_HANDLE for the second',
    spec: P3,
    clause: '5.5 Session Area Validation',
    level: 'MUST',
    requirement: 'A session handle may appear once in an authorization area; the second occurrence fails with TPM_RC_HANDLE + TPM_RC_S + TPM_RC_2 (0xA8B).',
    run: async (x) => {
      const seq = await x.c.hashSequenceStart(new Uint8Array(0), ALG.NULL);
      x.ok(seq, 'TPM2_HashSequenceStart(event)');
      x.defer(async () => {
        if ((await x.c.handles(0x80)).includes(seq.handle!)) await x.c.flushContext(seq.handle!);
      });
      const s = await x.session();
      const r = await x.c.eventSequenceComplete(RH.NULL, seq.handle!, new Uint8Array(0), [withSession(s), withSession(s)]);
      x.rc(r.rc, rcS(RC.HANDLE, 2), 'TPM2_EventSequenceComplete with one session used for both handles');
    },
  }),
  tpmCheck({
    id: 'tpm2.session.flush',
    title: 'TPM2_FlushContext ends a session',
    spec: P3,
    clause: '28.4 TPM2_FlushContext',
    level: 'MUST',
    requirement: 'After TPM2_FlushContext of a loaded session, TPM_CAP_HANDLES no longer lists it and a second TPM2_FlushContext of that handle fails with TPM_RC_HANDLE + TPM_RC_P + TPM_RC_1 (0x1CB).',
    run: async (x) => {
      const r = await x.c.startAuthSession({});
      x.ok(r, 'TPM2_StartAuthSession');
      x.rc((await x.c.flushContext(r.session!.handle)).rc, RC.SUCCESS, 'TPM2_FlushContext of the session');
      x.t.assert(!(await x.c.handles(0x02)).includes(r.session!.handle), 'the flushed session is still listed');
      x.rc((await x.c.flushContext(r.session!.handle)).rc, rcP(RC.HANDLE, 1), 'second TPM2_FlushContext of the same handle');
    },
  }),
];

export type { ClientSession };
export { eccStorage, rsaStorage };
