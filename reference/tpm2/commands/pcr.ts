// Part 3, 15.4 (Hash), 17 (Hash/HMAC/Event Sequences) and 22 (Integrity
// Collection (PCR)).
import { concat } from '../../../protocol/bytes.js';
import { ALG, CC, RH, ST } from '../../../protocol/tpm2/constants.js';
import { HASH_ALGS, hash, hashSize, hmac } from '../../../protocol/tpm2/crypto.js';
import { TpmWriter, be16, be32 } from '../../../protocol/tpm2/marshal.js';
import { RC, rcH } from '../../../protocol/tpm2/rc.js';
import { readDigestValues, readHashAlg, readPcrSelections, writeDigestValues, writePcrSelections, writeTicket, type PcrSelection } from '../../../protocol/tpm2/structures.js';
import { define, fail, type CommandDef, type SequenceObject } from '../defs.js';
import { PCR_ATTRIBUTES, PCR_COUNT, PCR_SELECT_MIN, Tpm } from '../tpm.js';

const EMPTY = new Uint8Array(0);

function readHierarchyPlus(r: import('../../../protocol/tpm2/marshal.js').TpmReader, field: string): number {
  const h = r.u32(field);
  if (h !== RH.OWNER && h !== RH.ENDORSEMENT && h !== RH.PLATFORM && h !== RH.NULL) r.fail(RC.VALUE, `${field} 0x${h.toString(16)} is not a hierarchy`);
  return h;
}

/** TPMT_TK_HASHCHECK: HMAC(proof, TPM_ST_HASHCHECK || hashAlg || digest) (Part 2, 10.7.4). */
export function hashcheckTicket(t: Tpm, hierarchy: number, hashAlg: number, digest: Uint8Array): Uint8Array {
  return hmac(ALG.SHA256, t.proof(hierarchy), be16(ST.HASHCHECK), be16(hashAlg), digest);
}

function ticketBytes(tag: number, hierarchy: number, digest: Uint8Array): Uint8Array {
  const w = new TpmWriter(64);
  writeTicket(w, { tag, hierarchy, digest });
  return w.finish();
}

function extendAllowed(t: Tpm, pcr: number): boolean {
  return (PCR_ATTRIBUTES[pcr]!.extend & (1 << t.locality)) !== 0;
}

async function extend(t: Tpm, pcr: number, hashAlg: number, digest: Uint8Array): Promise<void> {
  const bank = t.pcrs.get(hashAlg);
  if (!bank) return;
  bank[pcr] = hash(hashAlg, bank[pcr]!, digest);
  t.pcrChanged(pcr);
}

async function beforePcrChange(t: Tpm, pcr: number): Promise<void> {
  if (PCR_ATTRIBUTES[pcr]!.save) await t.clearOrderly();
}

function seqDigest(seq: SequenceObject, alg: number, last: Uint8Array): Uint8Array {
  return hash(alg, ...seq.data, last);
}

function newSequence(t: Tpm, auth: Uint8Array, hashAlg: number): number {
  const handle = t.allocObjectHandle();
  t.objects.set(handle, { kind: 'sequence', auth, hashAlg, data: [], dataLength: 0, ticketOk: true, started: false });
  return handle;
}

export const PCR: CommandDef[] = [
  define({
    cc: CC.PCR_Extend,
    handles: [{ type: 'pcr+', auth: 'user' }],
    parse: (p) => p.next((r) => readDigestValues(r, hashSize)),
    run: async (t, [pcr], digests) => {
      if (pcr === RH.NULL) return { params: EMPTY };
      if (!extendAllowed(t, pcr!)) fail(RC.LOCALITY, `PCR ${pcr} cannot be extended at locality ${t.locality}`);
      await beforePcrChange(t, pcr!);
      for (const d of digests) await extend(t, pcr!, d.hashAlg, d.digest);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PCR_Event,
    handles: [{ type: 'pcr+', auth: 'user' }],
    decrypt: true,
    parse: (p) => p.next((r) => r.tpm2b('eventData', 1024)),
    run: async (t, [pcr], data) => {
      if (pcr !== RH.NULL) {
        if (!extendAllowed(t, pcr!)) fail(RC.LOCALITY);
        await beforePcrChange(t, pcr!);
      }
      const digests = HASH_ALGS.map((a) => ({ hashAlg: a, digest: hash(a, data) }));
      if (pcr !== RH.NULL) for (const d of digests) await extend(t, pcr!, d.hashAlg, d.digest);
      const w = new TpmWriter(256);
      writeDigestValues(w, digests);
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.PCR_Reset,
    handles: [{ type: 'pcr', auth: 'user' }],
    parse: () => undefined,
    run: async (t, [pcr]) => {
      if (!(PCR_ATTRIBUTES[pcr!]!.reset & (1 << t.locality))) fail(RC.LOCALITY, `PCR ${pcr} cannot be reset at locality ${t.locality}`);
      await beforePcrChange(t, pcr!);
      for (const [alg, bank] of t.pcrs) bank[pcr!] = new Uint8Array(hashSize(alg));
      t.pcrChanged(pcr!);
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.PCR_Read,
    handles: [],
    parse: (p) => p.next((r) => readPcrSelections(r, 'pcrSelectionIn', PCR_SELECT_MIN, 3)),
    run: (t, _h, sels) => {
      const out: PcrSelection[] = [];
      const values: Uint8Array[] = [];
      let full = false;
      for (const s of t.filterSelection(sels)) {
        const sel = new Uint8Array(s.select.length);
        const bank = t.pcrs.get(s.hash);
        for (let p = 0; p < PCR_COUNT && bank; p++) {
          if (!(s.select[p >> 3]! & (1 << (p & 7)))) continue;
          if (values.length >= 8) {
            full = true;
            break;
          }
          values.push(bank[p]!);
          sel[p >> 3]! |= 1 << (p & 7);
        }
        out.push({ hash: s.hash, select: sel });
        if (full) break;
      }
      while (out.length < sels.length) out.push({ hash: sels[out.length]!.hash, select: new Uint8Array(sels[out.length]!.select.length) });
      const w = new TpmWriter(512).u32(t.reset.pcrCounter);
      writePcrSelections(w, out);
      w.u32(values.length);
      for (const v of values) w.tpm2b(v);
      return { params: w.finish() };
    },
  }),
  define({
    cc: CC.Hash,
    handles: [],
    decrypt: true,
    encrypt: true,
    parse: (p, t) => ({
      data: p.next((r) => r.tpm2b('data', t.config.inputBuffer)),
      hashAlg: p.next((r) => readHashAlg(r, 'hashAlg', false)),
      hierarchy: p.next((r) => readHierarchyPlus(r, 'hierarchy')),
    }),
    run: (t, _h, i) => {
      const digest = hash(i.hashAlg, i.data);
      const safe = Tpm.seqTicketOk(i.data);
      const ticket = i.hierarchy === RH.NULL || !safe ? ticketBytes(ST.HASHCHECK, RH.NULL, EMPTY) : ticketBytes(ST.HASHCHECK, i.hierarchy, hashcheckTicket(t, i.hierarchy, i.hashAlg, digest));
      return { params: concat(new TpmWriter().tpm2b(digest).finish(), ticket) };
    },
  }),
  define({
    cc: CC.HashSequenceStart,
    handles: [],
    rHandle: true,
    decrypt: true,
    parse: (p) => ({ auth: p.next((r) => r.tpm2b('auth', 64)), hashAlg: p.next((r) => readHashAlg(r, 'hashAlg', true)) }),
    run: (t, _h, i) => ({ handle: newSequence(t, i.auth, i.hashAlg), params: EMPTY }),
  }),
  define({
    cc: CC.SequenceUpdate,
    handles: [{ type: 'object', auth: 'user' }],
    decrypt: true,
    parse: (p, t) => p.next((r) => r.tpm2b('buffer', t.config.inputBuffer)),
    run: (t, [h], buffer) => {
      const seq = t.sequence(h!);
      if (!seq) fail(rcH(RC.MODE, 1), 'not a sequence object');
      if (!seq.started && seq.hashAlg !== ALG.NULL) {
        seq.started = true;
        seq.ticketOk = Tpm.seqTicketOk(buffer);
      }
      if (seq.dataLength + buffer.length > 1 << 20) fail(RC.MEMORY, 'the reference keeps at most 1 MiB of sequence data');
      seq.data.push(buffer);
      seq.dataLength += buffer.length;
      return { params: EMPTY };
    },
  }),
  define({
    cc: CC.SequenceComplete,
    handles: [{ type: 'object', auth: 'user' }],
    decrypt: true,
    encrypt: true,
    flushed: true,
    parse: (p, t) => ({ buffer: p.next((r) => r.tpm2b('buffer', t.config.inputBuffer)), hierarchy: p.next((r) => readHierarchyPlus(r, 'hierarchy')) }),
    run: (t, [h], i) => {
      const seq = t.sequence(h!);
      if (!seq || seq.hashAlg === ALG.NULL) fail(rcH(RC.MODE, 1), 'not a hash sequence');
      if (!seq.started) seq.ticketOk = Tpm.seqTicketOk(i.buffer);
      const digest = seqDigest(seq, seq.hashAlg, i.buffer);
      let ticket: Uint8Array;
      if (i.hierarchy === RH.NULL) ticket = ticketBytes(ST.HASHCHECK, RH.NULL, EMPTY);
      else if (!seq.ticketOk) ticket = ticketBytes(ST.HASHCHECK, RH.NULL, EMPTY);
      else ticket = ticketBytes(ST.HASHCHECK, i.hierarchy, hashcheckTicket(t, i.hierarchy, seq.hashAlg, digest));
      t.objects.delete(h!);
      return { params: concat(new TpmWriter().tpm2b(digest).finish(), ticket) };
    },
  }),
  define({
    cc: CC.EventSequenceComplete,
    handles: [
      { type: 'pcr+', auth: 'user' },
      { type: 'object', auth: 'user' },
    ],
    decrypt: true,
    flushed: true,
    parse: (p, t) => p.next((r) => r.tpm2b('buffer', t.config.inputBuffer)),
    run: async (t, [pcr, h], buffer) => {
      const seq = t.sequence(h!);
      if (!seq || seq.hashAlg !== ALG.NULL) fail(rcH(RC.MODE, 2), 'not an event sequence');
      if (pcr !== RH.NULL) {
        if (!extendAllowed(t, pcr!)) fail(RC.LOCALITY);
        await beforePcrChange(t, pcr!);
      }
      const digests = HASH_ALGS.map((a) => ({ hashAlg: a, digest: seqDigest(seq, a, buffer) }));
      if (pcr !== RH.NULL) for (const d of digests) await extend(t, pcr!, d.hashAlg, d.digest);
      t.objects.delete(h!);
      const w = new TpmWriter(256);
      writeDigestValues(w, digests);
      return { params: w.finish() };
    },
  }),
];

export { be32 };
