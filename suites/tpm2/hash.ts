// Part 3, 15.4 TPM2_Hash and 17 Hash/HMAC/Event Sequences. Digests are
// checked against node:crypto, an implementation independent of the TPM
// and of fwsec's reference.
import { createHash } from 'node:crypto';
import { ALG, CC, RH, ST, TPM_GENERATED_VALUE } from '../../protocol/tpm2/constants.js';
import { HASH_ALGS, hashSize } from '../../protocol/tpm2/crypto.js';
import { RC, rcH, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { pw } from '../../clients/tpm2.js';
import { P3, algName, concat, digestOf, rawCmd, tpmCheck, u16, u32, utf8, type Tx } from './common.js';

const HASH = '15.4 TPM2_Hash';
const START = '17.4 TPM2_HashSequenceStart';
const UPDATE = '17.5 TPM2_SequenceUpdate';
const COMPLETE = '17.6 TPM2_SequenceComplete';
const EVENT = '17.7 TPM2_EventSequenceComplete';

const NODE: Record<number, string> = { [ALG.SHA1]: 'sha1', [ALG.SHA256]: 'sha256', [ALG.SHA384]: 'sha384', [ALG.SHA512]: 'sha512' };
export function oracle(alg: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(NODE[alg]!);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

async function hashes(x: Tx): Promise<number[]> {
  const algs = await x.implementedAlgs();
  return HASH_ALGS.filter((a) => algs.has(a));
}

async function startSeq(x: Tx, alg: number, auth: Uint8Array = new Uint8Array(0)): Promise<number> {
  const r = await x.c.hashSequenceStart(auth, alg);
  x.ok(r, `TPM2_HashSequenceStart(${alg === ALG.NULL ? 'event' : algName(alg)})`);
  // flushed afterwards unless a complete command already removed it
  x.defer(async () => {
    if ((await x.c.handles(0x80)).includes(r.handle!)) await x.c.flushContext(r.handle!);
  });
  return r.handle!;
}

const GENERATED = concat(u32(TPM_GENERATED_VALUE), utf8('attest'));

export default [
  tpmCheck({
    id: 'tpm2.hash.digest',
    title: 'TPM2_Hash returns the digest of the data for every implemented hash',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'TPM2_Hash(data, hashAlg, TPM_RH_NULL) returns outHash = H_hashAlg(data), for each hash algorithm TPM_CAP_ALGS lists (checked against an independent implementation), including empty data.',
    run: async (x) => {
      for (const alg of await hashes(x)) {
        for (const data of [new Uint8Array(0), utf8('abc'), new Uint8Array(300).fill(7)]) {
          const r = await x.c.hash(data, alg, RH.NULL);
          x.rc(r.rc, RC.SUCCESS, `TPM2_Hash(${data.length} bytes, ${algName(alg)})`);
          x.bytes(r.digest, oracle(alg, data), `${algName(alg)} of ${data.length} bytes`);
        }
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.hash.ticket-hierarchy',
    title: 'TPM2_Hash with a hierarchy returns a hashcheck ticket for that hierarchy',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'With hierarchy TPM_RH_OWNER and data not starting with TPM_GENERATED_VALUE, the validation ticket has tag TPM_ST_HASHCHECK, hierarchy TPM_RH_OWNER and a non-empty digest.',
    run: async (x) => {
      const r = await x.c.hash(utf8('plain data'), ALG.SHA256, RH.OWNER);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_Hash(TPM_RH_OWNER)');
      x.t.expectEqual(r.ticket!.tag, ST.HASHCHECK, 'ticket tag', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.ticket!.hierarchy, RH.OWNER, 'ticket hierarchy', (v) => `0x${v.toString(16)}`);
      x.t.assert(r.ticket!.digest.length > 0, 'the ticket digest is empty');
    },
  }),
  tpmCheck({
    id: 'tpm2.hash.ticket-null',
    title: 'TPM2_Hash with TPM_RH_NULL returns a NULL ticket',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'With hierarchy TPM_RH_NULL the validation is a NULL ticket: tag TPM_ST_HASHCHECK, hierarchy TPM_RH_NULL, empty digest.',
    run: async (x) => {
      const r = await x.c.hash(utf8('x'), ALG.SHA256, RH.NULL);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_Hash(TPM_RH_NULL)');
      x.t.expectEqual(r.ticket!.tag, ST.HASHCHECK, 'ticket tag', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.ticket!.hierarchy, RH.NULL, 'ticket hierarchy', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.ticket!.digest.length, 0, 'ticket digest size');
    },
  }),
  tpmCheck({
    id: 'tpm2.hash.ticket-generated-value',
    title: 'TPM2_Hash of data starting with TPM_GENERATED_VALUE returns no ticket',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'If the data starts with TPM_GENERATED_VALUE (0xFF544347) the TPM must not vouch for it: the ticket is a NULL ticket (hierarchy TPM_RH_NULL, empty digest) even when a hierarchy was given, so attestation structures cannot be forged with a restricted key.',
    run: async (x) => {
      const r = await x.c.hash(GENERATED, ALG.SHA256, RH.OWNER);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_Hash(TPM_GENERATED_VALUE || ..., TPM_RH_OWNER)');
      x.t.expectEqual(r.ticket!.hierarchy, RH.NULL, 'ticket hierarchy', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r.ticket!.digest.length, 0, 'ticket digest size');
    },
  }),
  tpmCheck({
    id: 'tpm2.hash.null-algorithm',
    title: 'TPM2_Hash with TPM_ALG_NULL answers TPM_RC_HASH for parameter 2',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'hashAlg is a TPMI_ALG_HASH without TPM_ALG_NULL: TPM2_Hash(data, TPM_ALG_NULL) fails with TPM_RC_HASH + TPM_RC_P + TPM_RC_2 (0x2C3).',
    run: async (x) => {
      x.rc((await x.c.hash(utf8('x'), ALG.NULL, RH.NULL)).rc, rcP(RC.HASH, 2), 'TPM2_Hash with TPM_ALG_NULL');
    },
  }),
  tpmCheck({
    id: 'tpm2.hash.bad-hierarchy',
    title: 'TPM2_Hash with TPM_RH_LOCKOUT as hierarchy answers TPM_RC_VALUE for parameter 3',
    spec: P3,
    clause: HASH,
    level: 'MUST',
    requirement: 'hierarchy is a TPMI_RH_HIERARCHY+ (owner, endorsement, platform or null); TPM_RH_LOCKOUT fails with TPM_RC_VALUE + TPM_RC_P + TPM_RC_3 (0x3C4).',
    run: async (x) => {
      x.rc((await x.c.hash(utf8('x'), ALG.SHA256, RH.LOCKOUT)).rc, rcP(RC.VALUE, 3), 'TPM2_Hash with hierarchy TPM_RH_LOCKOUT');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.hash',
    title: 'a hash sequence digests the concatenation of its updates',
    spec: P3,
    clause: COMPLETE,
    level: 'MUST',
    requirement: 'TPM2_HashSequenceStart, TPM2_SequenceUpdate with three blocks, then TPM2_SequenceComplete with a last block returns H(block1 || block2 || block3 || last) for each implemented hash algorithm.',
    run: async (x) => {
      const blocks: Uint8Array[] = [utf8("first block "), new Uint8Array(700).fill(0x61), utf8("third")];
      const last = utf8(' and the end');
      for (const alg of await hashes(x)) {
        const h = await startSeq(x, alg);
        for (const b of blocks) x.rc((await x.c.sequenceUpdate(h, b)).rc, RC.SUCCESS, `TPM2_SequenceUpdate(${b.length} bytes)`);
        const r = await x.c.sequenceComplete(h, last, RH.NULL);
        x.rc(r.rc, RC.SUCCESS, `TPM2_SequenceComplete(${algName(alg)})`);
        x.bytes(r.digest, oracle(alg, ...blocks, last), `${algName(alg)} sequence result`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.empty',
    title: 'a sequence with no data returns the digest of the empty string',
    spec: P3,
    clause: COMPLETE,
    level: 'MUST',
    requirement: 'TPM2_HashSequenceStart(SHA-256) followed by TPM2_SequenceComplete with an empty buffer returns SHA-256("").',
    run: async (x) => {
      const h = await startSeq(x, ALG.SHA256);
      const r = await x.c.sequenceComplete(h, new Uint8Array(0), RH.NULL);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_SequenceComplete');
      x.bytes(r.digest, oracle(ALG.SHA256), 'SHA-256 of nothing');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.flushed-on-complete',
    title: 'TPM2_SequenceComplete flushes the sequence object',
    spec: P3,
    clause: COMPLETE,
    level: 'MUST',
    requirement: 'After TPM2_SequenceComplete the sequence handle no longer refers to a loaded object: a further TPM2_SequenceUpdate on it fails with TPM_RC_REFERENCE_H0 (0x910) (or TPM_RC_HANDLE + TPM_RC_H + TPM_RC_1 (0x18B)).',
    run: async (x) => {
      const h = await startSeq(x, ALG.SHA256);
      x.ok(await x.c.sequenceComplete(h, utf8('x'), RH.NULL), 'TPM2_SequenceComplete');
      x.rc((await x.c.sequenceUpdate(h, utf8('more'))).rc, [RC.REFERENCE_H0, rcH(RC.HANDLE, 1)], 'TPM2_SequenceUpdate after TPM2_SequenceComplete');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.auth',
    title: 'a sequence is authorized by the auth given at TPM2_HashSequenceStart',
    spec: P3,
    clause: UPDATE,
    level: 'MUST',
    requirement: 'The sequence object has the authValue given to TPM2_HashSequenceStart: TPM2_SequenceUpdate with it succeeds, with another password fails with TPM_RC_BAD_AUTH + TPM_RC_S + TPM_RC_1 (0x9A2) (sequence objects are not DA protected).',
    run: async (x) => {
      const h = await startSeq(x, ALG.SHA256, utf8('seq-pw'));
      x.rc((await x.c.sequenceUpdate(h, utf8('a'), pw('seq-pw'))).rc, RC.SUCCESS, 'TPM2_SequenceUpdate with the right password');
      x.rc((await x.c.sequenceUpdate(h, utf8('b'), pw('wrong'))).rc, rcS(RC.BAD_AUTH, 1), 'TPM2_SequenceUpdate with a wrong password');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.ticket',
    title: 'TPM2_SequenceComplete with a hierarchy returns a hashcheck ticket',
    spec: P3,
    clause: COMPLETE,
    level: 'MUST',
    requirement: 'A hash sequence completed with hierarchy TPM_RH_OWNER whose data did not start with TPM_GENERATED_VALUE returns a TPM_ST_HASHCHECK ticket for TPM_RH_OWNER with a digest; one whose first block starts with TPM_GENERATED_VALUE returns a NULL ticket.',
    run: async (x) => {
      const a = await startSeq(x, ALG.SHA256);
      x.ok(await x.c.sequenceUpdate(a, utf8('ordinary data')), 'TPM2_SequenceUpdate');
      const r = await x.c.sequenceComplete(a, utf8('!'), RH.OWNER);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_SequenceComplete(TPM_RH_OWNER)');
      x.t.expectEqual(r.ticket!.hierarchy, RH.OWNER, 'ticket hierarchy', (v) => `0x${v.toString(16)}`);
      x.t.assert(r.ticket!.digest.length > 0, 'the ticket digest is empty');
      const b = await startSeq(x, ALG.SHA256);
      x.ok(await x.c.sequenceUpdate(b, GENERATED), 'TPM2_SequenceUpdate(TPM_GENERATED_VALUE || ...)');
      const r2 = await x.c.sequenceComplete(b, utf8('!'), RH.OWNER);
      x.rc(r2.rc, RC.SUCCESS, 'TPM2_SequenceComplete(TPM_RH_OWNER)');
      x.t.expectEqual(r2.ticket!.hierarchy, RH.NULL, 'ticket hierarchy for data starting with TPM_GENERATED_VALUE', (v) => `0x${v.toString(16)}`);
      x.t.expectEqual(r2.ticket!.digest.length, 0, 'ticket digest size');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.event',
    title: 'an event sequence extends a PCR with the digests of its data',
    spec: P3,
    clause: EVENT,
    level: 'MUST',
    requirement: 'TPM2_HashSequenceStart(TPM_ALG_NULL) starts an event sequence; TPM2_EventSequenceComplete(PCR 16) returns one digest per implemented hash algorithm, each H(data), and extends each allocated bank of PCR 16 with its digest.',
    run: async (x) => {
      const h = await startSeq(x, ALG.NULL);
      const data: Uint8Array[] = [utf8('event part 1'), utf8(' part 2')];
      x.ok(await x.c.sequenceUpdate(h, data[0]!), 'TPM2_SequenceUpdate');
      const banks = await x.banks();
      const before = await Promise.all(banks.map((a) => x.pcr(a, 16)));
      const r = await x.c.eventSequenceComplete(16, h, data[1]!);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_EventSequenceComplete(PCR 16)');
      for (const d of r.digests!) if (HASH_ALGS.includes(d.hashAlg)) x.bytes(d.digest, oracle(d.hashAlg, ...data), `${algName(d.hashAlg)} digest returned`);
      for (const [i, a] of banks.entries()) x.bytes(await x.pcr(a, 16), oracle(a, before[i]!, oracle(a, ...data)), `${algName(a)} PCR 16`);
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.complete-wrong-kind',
    title: 'TPM2_SequenceComplete of an event sequence answers TPM_RC_MODE',
    spec: P3,
    clause: COMPLETE,
    level: 'MUST',
    requirement: 'TPM2_SequenceComplete needs a hash or HMAC sequence; for an event sequence it fails with TPM_RC_MODE + TPM_RC_H + TPM_RC_1 (0x189).',
    run: async (x) => {
      const h = await startSeq(x, ALG.NULL);
      x.rc((await x.c.sequenceComplete(h, new Uint8Array(0), RH.NULL)).rc, rcH(RC.MODE, 1), 'TPM2_SequenceComplete of an event sequence');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.readpublic',
    title: 'TPM2_ReadPublic of a sequence object answers TPM_RC_SEQUENCE',
    spec: P3,
    clause: '12.4 TPM2_ReadPublic',
    level: 'MUST',
    requirement: 'A sequence object has no public area: TPM2_ReadPublic of its handle fails with TPM_RC_SEQUENCE (0x103).',
    run: async (x) => {
      const h = await startSeq(x, ALG.SHA256);
      x.rc((await x.c.readPublic(h)).rc, RC.SEQUENCE, 'TPM2_ReadPublic of a hash sequence');
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.update-too-large',
    title: 'TPM2_SequenceUpdate above TPM_PT_INPUT_BUFFER answers TPM_RC_SIZE for parameter 1',
    spec: P3,
    clause: UPDATE,
    level: 'MUST',
    requirement: 'buffer is a TPM2B_MAX_BUFFER: TPM_PT_INPUT_BUFFER bytes are accepted, one more fails with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const n = await x.prop(0x10d);
      const max = await x.prop(0x11e);
      if (n + 1 + 31 > max) x.t.unsupported(`TPM_PT_INPUT_BUFFER ${n} leaves no room for one more byte in a ${max}-byte command`);
      const h = await startSeq(x, ALG.SHA256);
      x.rc((await x.c.sequenceUpdate(h, new Uint8Array(n))).rc, RC.SUCCESS, `TPM2_SequenceUpdate(${n} bytes)`);
      x.rc((await x.c.sequenceUpdate(h, new Uint8Array(n + 1))).rc, rcP(RC.SIZE, 1), `TPM2_SequenceUpdate(${n + 1} bytes)`);
    },
  }),
  tpmCheck({
    id: 'tpm2.sequence.start-bad-hash',
    title: 'TPM2_HashSequenceStart with an undefined hash answers TPM_RC_HASH for parameter 2',
    spec: P3,
    clause: START,
    level: 'MUST',
    requirement: 'hashAlg is a TPMI_ALG_HASH+; an undefined algorithm (0x0099) fails with TPM_RC_HASH + TPM_RC_P + TPM_RC_2 (0x2C3) and no object is created.',
    run: async (x) => {
      const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, CC.HashSequenceStart, concat(u16(0), u16(0x0099))), 'TPM2_HashSequenceStart(hashAlg 0x0099)');
      x.rc(r.rc, rcP(RC.HASH, 2), 'TPM2_HashSequenceStart with hashAlg 0x0099');
    },
  }),
];

export { digestOf, hashSize };
