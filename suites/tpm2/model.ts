// Model-based checks: random sequences of TPM commands against abstract
// models, shrunk to the shortest disagreeing sequence on failure.
//  - PCRs: TPM2_PCR_Extend / TPM2_PCR_Event / TPM2_PCR_Reset / TPM2_PCR_Read
//    on the two PCRs a PC Client TPM lets locality 0 reset (16, 23), every
//    allocated bank, against H(old || digest) computed here.
//  - NV indices: define / undefine / write / read / increment / read-public
//    over two index handles, predicting the exact response code (Part 3, 31
//    order of checks), the data (bytes never written are unknown: their
//    content is implementation-defined) and TPMA_NV_WRITTEN.
import fc from 'fast-check';
import { ALG, NT, RH, TPMA_NV } from '../../protocol/tpm2/constants.js';
import { hash, hashSize } from '../../protocol/tpm2/crypto.js';
import { RC, rcH, rcName, rcP } from '../../protocol/tpm2/rc.js';
import type { CheckContext } from '../harness/types.js';
import { checkModel } from '../harness/check.js';
import { NV_RW, P3, PTP, Tx, algName, hex, sel } from './common.js';

// ---------------------------------------------------------------- PCRs

interface PcrModel {
  /** bank -> pcr -> value */
  values: Map<number, Map<number, Uint8Array>>;
}
interface PcrReal {
  x: Tx;
  banks: number[];
}
type PcrCmd = fc.AsyncCommand<PcrModel, PcrReal>;
const MODEL_PCRS = [16, 23] as const;

function expectRc(t: CheckContext, actual: number, expected: number, call: string): void {
  if (actual !== expected) t.fail(`${call} answered ${rcName(actual)}; the model expects ${rcName(expected)}`, { expected: rcName(expected), actual: rcName(actual) });
}

class ExtendCmd implements PcrCmd {
  constructor(
    readonly pcr: number,
    readonly bankPick: boolean[],
    readonly fill: number,
  ) {}
  check = () => true;
  async run(m: PcrModel, r: PcrReal) {
    const banks = r.banks.filter((_, i) => this.bankPick[i]);
    const digests = banks.map((a) => ({ hashAlg: a, digest: new Uint8Array(hashSize(a)).fill(this.fill) }));
    expectRc(r.x.t, (await r.x.c.pcrExtend(this.pcr, digests)).rc, RC.SUCCESS, this.toString());
    for (const d of digests) {
      const bank = m.values.get(d.hashAlg)!;
      bank.set(this.pcr, hash(d.hashAlg, bank.get(this.pcr)!, d.digest));
    }
  }
  toString() {
    return `TPM2_PCR_Extend(${this.pcr}, [${this.bankPick.map((b, i) => (b ? `bank#${i}` : '')).filter(Boolean).join(', ')}] fill 0x${this.fill.toString(16)})`;
  }
}

class EventCmd implements PcrCmd {
  constructor(
    readonly pcr: number,
    readonly data: Uint8Array,
  ) {}
  check = () => true;
  async run(m: PcrModel, r: PcrReal) {
    const res = await r.x.c.pcrEvent(this.pcr, this.data);
    expectRc(r.x.t, res.rc, RC.SUCCESS, this.toString());
    for (const a of r.banks) {
      const bank = m.values.get(a)!;
      const d = hash(a, this.data);
      const got = res.digests?.find((g) => g.hashAlg === a);
      if (!got || hex(got.digest) !== hex(d)) r.x.t.fail(`${this.toString()} returned the wrong ${algName(a)} digest of the event data`, { expected: hex(d), actual: got ? hex(got.digest) : 'absent' });
      bank.set(this.pcr, hash(a, bank.get(this.pcr)!, d));
    }
  }
  toString() {
    return `TPM2_PCR_Event(${this.pcr}, ${this.data.length} bytes)`;
  }
}

class ResetCmd implements PcrCmd {
  constructor(readonly pcr: number) {}
  check = () => true;
  async run(m: PcrModel, r: PcrReal) {
    expectRc(r.x.t, (await r.x.c.pcrReset(this.pcr)).rc, RC.SUCCESS, this.toString());
    for (const a of r.banks) m.values.get(a)!.set(this.pcr, new Uint8Array(hashSize(a)));
  }
  toString() {
    return `TPM2_PCR_Reset(${this.pcr})`;
  }
}

class ReadCmd implements PcrCmd {
  check = () => true;
  async run(m: PcrModel, r: PcrReal) {
    for (const a of r.banks) {
      const res = await r.x.c.pcrRead([sel(a, ...MODEL_PCRS)]);
      expectRc(r.x.t, res.rc, RC.SUCCESS, `TPM2_PCR_Read(${algName(a)}: 16, 23)`);
      MODEL_PCRS.forEach((p, i) => {
        const want = m.values.get(a)!.get(p)!;
        const got = res.values?.[i];
        if (!got || hex(got) !== hex(want)) r.x.t.fail(`${algName(a)} PCR ${p} disagrees with the extend model`, { expected: hex(want), actual: got ? hex(got) : 'absent' });
      });
    }
  }
  toString() {
    return 'TPM2_PCR_Read(every bank: 16, 23)';
  }
}

// ---------------------------------------------------------------- NV

type Kind = 'ordinary' | 'writeall' | 'counter';
interface NvSlot {
  kind: Kind;
  size: number;
  written: boolean;
  /** Known bytes (undefined: never written, content implementation-defined). */
  data: (number | undefined)[];
  /** Counter value once known. */
  count?: bigint;
}
interface NvModel {
  slots: Map<number, NvSlot>;
}
interface NvReal {
  x: Tx;
  handles: number[];
}
type NvCmd = fc.AsyncCommand<NvModel, NvReal>;

const attrsOf = (k: Kind) => (k === 'counter' ? NV_RW | (NT.COUNTER << 4) : k === 'writeall' ? NV_RW | TPMA_NV.WRITEALL : NV_RW) >>> 0;

class DefineCmd implements NvCmd {
  constructor(
    readonly slot: number,
    readonly kind: Kind,
    readonly size: number,
  ) {}
  check = () => true;
  get dataSize() {
    return this.kind === 'counter' ? 8 : this.size;
  }
  async run(m: NvModel, r: NvReal) {
    const nvIndex = r.handles[this.slot]!;
    const rc = (await r.x.c.nvDefineSpace(RH.OWNER, new Uint8Array(0), { nvIndex, nameAlg: ALG.SHA256, attributes: attrsOf(this.kind), authPolicy: new Uint8Array(0), dataSize: this.dataSize }, r.x.ownerAuth())).rc;
    if (m.slots.has(this.slot)) return expectRc(r.x.t, rc, RC.NV_DEFINED, this.toString());
    expectRc(r.x.t, rc, RC.SUCCESS, this.toString());
    m.slots.set(this.slot, { kind: this.kind, size: this.dataSize, written: false, data: new Array(this.dataSize).fill(undefined) });
  }
  toString() {
    return `TPM2_NV_DefineSpace(#${this.slot}, ${this.kind}, dataSize ${this.dataSize})`;
  }
}

class UndefineCmd implements NvCmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: NvModel, r: NvReal) {
    const rc = (await r.x.c.nvUndefineSpace(RH.OWNER, r.handles[this.slot]!, r.x.ownerAuth())).rc;
    if (!m.slots.has(this.slot)) return expectRc(r.x.t, rc, rcH(RC.HANDLE, 2), this.toString());
    expectRc(r.x.t, rc, RC.SUCCESS, this.toString());
    m.slots.delete(this.slot);
  }
  toString() {
    return `TPM2_NV_UndefineSpace(#${this.slot})`;
  }
}

class WriteCmd implements NvCmd {
  constructor(
    readonly slot: number,
    readonly offset: number,
    readonly data: Uint8Array,
  ) {}
  check = () => true;
  async run(m: NvModel, r: NvReal) {
    const rc = (await r.x.c.nvWrite(RH.OWNER, r.handles[this.slot]!, this.data, this.offset, r.x.ownerAuth())).rc;
    const s = m.slots.get(this.slot);
    if (!s) return expectRc(r.x.t, rc, rcH(RC.HANDLE, 2), this.toString());
    if (s.kind === 'counter') return expectRc(r.x.t, rc, RC.ATTRIBUTES, this.toString());
    if (this.offset > s.size) return expectRc(r.x.t, rc, rcP(RC.VALUE, 2), this.toString());
    if (this.data.length > s.size - this.offset) return expectRc(r.x.t, rc, RC.NV_RANGE, this.toString());
    if (s.kind === 'writeall' && this.data.length < s.size) return expectRc(r.x.t, rc, RC.NV_RANGE, this.toString());
    expectRc(r.x.t, rc, RC.SUCCESS, this.toString());
    s.written = true;
    this.data.forEach((b, i) => (s.data[this.offset + i] = b));
  }
  toString() {
    return `TPM2_NV_Write(#${this.slot}, ${this.data.length} bytes at ${this.offset})`;
  }
}

class IncrementCmd implements NvCmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: NvModel, r: NvReal) {
    const rc = (await r.x.c.nvIncrement(RH.OWNER, r.handles[this.slot]!, r.x.ownerAuth())).rc;
    const s = m.slots.get(this.slot);
    if (!s) return expectRc(r.x.t, rc, rcH(RC.HANDLE, 2), this.toString());
    if (s.kind !== 'counter') return expectRc(r.x.t, rc, rcH(RC.ATTRIBUTES, 2), this.toString());
    expectRc(r.x.t, rc, RC.SUCCESS, this.toString());
    if (s.count !== undefined) s.count += 1n;
    s.written = true;
  }
  toString() {
    return `TPM2_NV_Increment(#${this.slot})`;
  }
}

class NvReadCmd implements NvCmd {
  constructor(
    readonly slot: number,
    readonly offset: number,
    readonly size: number,
  ) {}
  check = () => true;
  async run(m: NvModel, r: NvReal) {
    const res = await r.x.c.nvRead(RH.OWNER, r.handles[this.slot]!, this.size, this.offset, r.x.ownerAuth());
    const s = m.slots.get(this.slot);
    const t = r.x.t;
    if (!s) return expectRc(t, res.rc, rcH(RC.HANDLE, 2), this.toString());
    if (!s.written) return expectRc(t, res.rc, RC.NV_UNINITIALIZED, this.toString());
    if (this.offset > s.size) return expectRc(t, res.rc, rcP(RC.VALUE, 2), this.toString());
    if (this.size > s.size - this.offset) return expectRc(t, res.rc, RC.NV_RANGE, this.toString());
    expectRc(t, res.rc, RC.SUCCESS, this.toString());
    const got = res.data!;
    if (got.length !== this.size) t.fail(`${this} returned ${got.length} bytes`, { expected: `${this.size} bytes`, actual: `${got.length} bytes` });
    if (s.kind === 'counter') {
      const full = this.offset === 0 && this.size === 8;
      if (full) {
        const v = new DataView(got.buffer, got.byteOffset, 8).getBigUint64(0);
        if (s.count === undefined) s.count = v;
        else if (v !== s.count) t.fail(`${this}: the counter is ${v}; the model expects ${s.count}`, { expected: String(s.count), actual: String(v) });
      }
      return;
    }
    for (let i = 0; i < this.size; i++) {
      const want = s.data[this.offset + i];
      if (want !== undefined && got[i] !== want) {
        t.fail(`${this}: byte ${this.offset + i} is 0x${got[i]!.toString(16)}; the model expects 0x${want.toString(16)}`, { expected: hex(Uint8Array.from(s.data.slice(this.offset, this.offset + this.size).map((b) => b ?? 0))), actual: hex(got) });
      }
    }
  }
  toString() {
    return `TPM2_NV_Read(#${this.slot}, ${this.size} bytes at ${this.offset})`;
  }
}

class ReadPublicCmd implements NvCmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: NvModel, r: NvReal) {
    const res = await r.x.c.nvReadPublic(r.handles[this.slot]!);
    const s = m.slots.get(this.slot);
    if (!s) return expectRc(r.x.t, res.rc, rcH(RC.HANDLE, 1), this.toString());
    expectRc(r.x.t, res.rc, RC.SUCCESS, this.toString());
    const want = (attrsOf(s.kind) | (s.written ? TPMA_NV.WRITTEN : 0)) >>> 0;
    r.x.t.expectEqual(res.public!.attributes, want, `${this}: attributes`, (v) => `0x${v.toString(16)}`);
    r.x.t.expectEqual(res.public!.dataSize, s.size, `${this}: dataSize`);
  }
  toString() {
    return `TPM2_NV_ReadPublic(#${this.slot})`;
  }
}

export default [
  checkModel<PcrModel, PcrReal>({
    id: 'tpm2.model.pcr-sequences',
    title: 'random PCR extend, event, reset and read sequences agree with the hash-chain model',
    spec: PTP,
    clause: 'PCR Attributes',
    level: 'MUST',
    requirement: 'For any sequence of TPM2_PCR_Extend (any subset of banks), TPM2_PCR_Event, TPM2_PCR_Reset and TPM2_PCR_Read on PCRs 16 and 23 (resettable at locality 0), each PCR of each bank holds the value of the chain H(old || digest) from zero, and PCR_Event returns H(data) for every bank.',
    services: ['tpm2'],
    destructive: true,
    numRuns: 25,
    maxCommands: 12,
    commands: () => {
      const pcr = fc.constantFrom(...MODEL_PCRS);
      return [
        fc.tuple(pcr, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 255 })).map(([p, b, f]) => new ExtendCmd(p, b, f)),
        fc.tuple(pcr, fc.uint8Array({ maxLength: 48 })).map(([p, d]) => new EventCmd(p, d)),
        pcr.map((p) => new ResetCmd(p)),
        fc.constant(new ReadCmd()),
      ];
    },
    setup: async (t) => {
      const x = new Tx(t);
      await x.ensureStarted();
      const banks = (await x.banks()).slice(0, 4);
      const values = new Map<number, Map<number, Uint8Array>>();
      for (const a of banks) values.set(a, new Map(MODEL_PCRS.map((p) => [p, new Uint8Array(hashSize(a))])));
      for (const p of MODEL_PCRS) x.ok(await x.c.pcrReset(p), `TPM2_PCR_Reset(${p}) before the sequence`);
      return { model: { values }, real: { x, banks } };
    },
  }),
  checkModel<NvModel, NvReal>({
    id: 'tpm2.model.nv-sequences',
    title: 'random NV define, write, read, increment and undefine sequences agree with the NV model',
    spec: P3,
    clause: '31 Non-volatile Storage',
    level: 'MUST',
    requirement: 'For any sequence of TPM2_NV_DefineSpace, TPM2_NV_UndefineSpace, TPM2_NV_Write, TPM2_NV_Read, TPM2_NV_Increment and TPM2_NV_ReadPublic over two index handles (ordinary, WRITEALL and counter indices), each command returns the response code the NV rules predict (NV_DEFINED, HANDLE + H2, ATTRIBUTES, VALUE + P2, NV_RANGE, NV_UNINITIALIZED), reads return the bytes written, counters count by one and TPMA_NV_WRITTEN is set by the first write.',
    services: ['tpm2'],
    numRuns: 25,
    maxCommands: 16,
    commands: () => {
      const slot = fc.constantFrom(0, 1);
      return [
        fc.tuple(slot, fc.constantFrom<Kind>('ordinary', 'writeall', 'counter'), fc.constantFrom(1, 8, 24)).map(([s, k, n]) => new DefineCmd(s, k, n)),
        slot.map((s) => new UndefineCmd(s)),
        fc.tuple(slot, fc.nat({ max: 26 }), fc.uint8Array({ maxLength: 12 })).map(([s, o, d]) => new WriteCmd(s, o, d)),
        fc.tuple(slot, fc.nat({ max: 26 }), fc.nat({ max: 12 })).map(([s, o, n]) => new NvReadCmd(s, o, n)),
        fc.tuple(slot).map(([s]) => new NvReadCmd(s, 0, 8)),
        slot.map((s) => new IncrementCmd(s)),
        slot.map((s) => new ReadPublicCmd(s)),
      ];
    },
    setup: async (t) => {
      const x = new Tx(t);
      await x.ensureStarted();
      return { model: { slots: new Map() }, real: { x, handles: [x.nvHandle(), x.nvHandle()] } };
    },
    teardown: async (_t, real, model) => {
      for (const s of model.slots.keys()) await real.x.c.nvUndefineSpace(RH.OWNER, real.handles[s]!, real.x.ownerAuth());
      // the model may lag the target after a failure: remove whatever is left
      for (const h of real.handles) await real.x.c.nvUndefineSpace(RH.OWNER, h, real.x.ownerAuth());
    },
  }),
];
