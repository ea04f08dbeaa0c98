// Model-based checks: random sequences of SetVariable, APPEND, delete,
// GetVariable, full enumerations, ExitBootServices and resets against an
// abstract model of the UEFI variable rules. Commands print in spec terms; a
// failure shrinks to the shortest sequence that disagrees with the model.
import fc from 'fast-check';
import type { SmmVariableClient } from '../../clients/smm-variable.js';
import { bytesEqual, concat, hex } from '../../protocol/bytes.js';
import { ATTR, BS_RT, EFI, NV_BS, NV_BS_RT, attrName, efiStatusName, spmRetName } from '../../protocol/smm-variable/index.js';
import { checkModel } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CLAUSE, UEFI, client, enumerate, newGuid, services } from './common.js';

const { BOOTSERVICE_ACCESS: BS, APPEND_WRITE: APPEND, NON_VOLATILE: NV, RUNTIME_ACCESS: RT } = ATTR;
const ATTRS = [NV_BS_RT, NV_BS, BS_RT, BS];

interface Var {
  attrs: number;
  data: Uint8Array;
}

interface Model {
  vars: Map<number, Var>;
  runtime: boolean;
  phaseChanged: boolean;
}

interface Real {
  t: CheckContext;
  c: SmmVariableClient;
  slots: { name: string; guid: string }[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

function status(r: Real, got: { spm: number; status: bigint }, expected: bigint | bigint[], call: string): void {
  const list = typeof expected === 'bigint' ? [expected] : expected;
  if (got.spm !== 0) r.t.fail(`${call}: MM layer answered ${spmRetName(got.spm)}`, { expected: list.map(efiStatusName).join(' or '), actual: spmRetName(got.spm) });
  if (!list.includes(got.status)) {
    r.t.fail(`${call} returned ${efiStatusName(got.status)}; the model expects ${list.map(efiStatusName).join(' or ')}`, {
      expected: list.map(efiStatusName).join(' or '),
      actual: efiStatusName(got.status),
    });
  }
}

const visible = (m: Model, v: Var | undefined) => (v && (!m.runtime || v.attrs & RT) ? v : undefined);

class SetCmd implements Cmd {
  constructor(readonly slot: number, readonly attrs: number, readonly data: Uint8Array, readonly append: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = r.slots[this.slot]!;
    const attrs = this.attrs | (this.append ? APPEND : 0);
    const got = await r.c.setVariable(s.name, s.guid, attrs, this.data);
    const old = m.vars.get(this.slot);
    const call = this.toString();
    if (m.runtime) {
      // at runtime only NV|BS|RT variables may be written; refusals differ between implementations
      if (old && old.attrs !== NV_BS_RT) return status(r, got, [EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.NOT_FOUND, EFI.UNSUPPORTED], call);
      if (!old && this.attrs !== NV_BS_RT) {
        if (this.data.length === 0) return status(r, got, this.append ? [EFI.SUCCESS, EFI.NOT_FOUND, EFI.INVALID_PARAMETER] : [EFI.NOT_FOUND, EFI.INVALID_PARAMETER], call);
        return status(r, got, [EFI.INVALID_PARAMETER, EFI.WRITE_PROTECTED, EFI.UNSUPPORTED], call);
      }
    }
    if (old && old.attrs !== this.attrs) return status(r, got, EFI.INVALID_PARAMETER, call);
    if (this.data.length === 0) {
      if (this.append) {
        status(r, got, old ? EFI.SUCCESS : [EFI.SUCCESS, EFI.NOT_FOUND], call);
        return;
      }
      if (!old) return status(r, got, EFI.NOT_FOUND, call);
      status(r, got, EFI.SUCCESS, call);
      m.vars.delete(this.slot);
      return;
    }
    status(r, got, EFI.SUCCESS, call);
    m.vars.set(this.slot, { attrs: this.attrs, data: old && this.append ? concat(old.data, this.data) : this.data });
  }
  toString() {
    return `SetVariable(#${this.slot}, ${attrName(this.attrs | (this.append ? APPEND : 0))}, DataSize=${this.data.length})`;
  }
}

class DeleteCmd implements Cmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = r.slots[this.slot]!;
    const got = await r.c.setVariable(s.name, s.guid, 0, new Uint8Array(0));
    const old = m.vars.get(this.slot);
    if (m.runtime && old && !(old.attrs & NV && old.attrs & RT)) return status(r, got, [EFI.WRITE_PROTECTED, EFI.INVALID_PARAMETER, EFI.NOT_FOUND, EFI.UNSUPPORTED], this.toString());
    if (!old) return status(r, got, EFI.NOT_FOUND, this.toString());
    status(r, got, m.runtime ? [EFI.SUCCESS, EFI.UNSUPPORTED] : EFI.SUCCESS, this.toString());
    if (got.status === EFI.SUCCESS) m.vars.delete(this.slot);
  }
  toString() {
    return `SetVariable(#${this.slot}, Attributes=0, DataSize=0)`;
  }
}

class GetCmd implements Cmd {
  constructor(readonly slot: number, readonly size: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = r.slots[this.slot]!;
    const got = await r.c.getVariable(s.name, s.guid, this.size);
    const v = visible(m, m.vars.get(this.slot));
    const call = this.toString();
    if (!v) return status(r, got, EFI.NOT_FOUND, call);
    if (this.size < v.data.length) {
      status(r, got, EFI.BUFFER_TOO_SMALL, call);
      if (got.dataSize !== BigInt(v.data.length)) r.t.fail(`${call}: DataSize ${got.dataSize} after EFI_BUFFER_TOO_SMALL, the model holds ${v.data.length} bytes`, { expected: String(v.data.length), actual: String(got.dataSize) });
      return;
    }
    status(r, got, EFI.SUCCESS, call);
    if (!bytesEqual(got.data, v.data) || got.attributes !== v.attrs) {
      r.t.fail(`${call} disagrees with the model`, {
        expected: `${attrName(v.attrs)}, ${v.data.length} bytes ${hex(v.data, 32)}`,
        actual: `${attrName(got.attributes)}, ${got.data.length} bytes ${hex(got.data, 32)}`,
      });
    }
  }
  toString() {
    return `GetVariable(#${this.slot}, DataSize=${this.size})`;
  }
}

class EnumerateCmd implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    const all = await enumerate(r.t);
    const key = (x: { name: string; guid: string }) => `${x.guid}/${x.name}`;
    const mine = new Map(r.slots.map((s, i) => [key(s), i]));
    const got = all.filter((e) => mine.has(key(e))).map((e) => mine.get(key(e))!);
    const want = [...m.vars.entries()].filter(([, v]) => visible(m, v)).map(([i]) => i);
    const g = [...got].sort().join(',');
    const w = [...want].sort().join(',');
    if (g !== w) r.t.fail(`GetNextVariableName enumeration disagrees with the model`, { expected: `slots {${w}} each once`, actual: `slots {${g}}` });
  }
  toString() {
    return 'GetNextVariableName(all)';
  }
}

class ExitBootServicesCmd implements Cmd {
  check = (m: Readonly<Model>) => !m.runtime;
  async run(m: Model, r: Real) {
    status(r, await r.c.exitBootServices(), EFI.SUCCESS, this.toString());
    m.runtime = true;
    m.phaseChanged = true;
  }
  toString() {
    return 'ExitBootServices()';
  }
}

class ResetCmd implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.t.reset();
    m.runtime = false;
    m.phaseChanged = false;
    for (const [i, v] of [...m.vars]) if (!(v.attrs & NV)) m.vars.delete(i);
  }
  toString() {
    return 'reset';
  }
}

const SLOTS = 4;

function setup(t: CheckContext): Promise<{ model: Model; real: Real }> {
  const g1 = newGuid(t);
  const g2 = newGuid(t);
  const stem = `Mdl${t.unique()}_`;
  // slots 0 and 1 share a name under two GUIDs; 2 and 3 differ by a suffix
  const slots = [
    { name: `${stem}A`, guid: g1 },
    { name: `${stem}A`, guid: g2 },
    { name: `${stem}B`, guid: g1 },
    { name: `${stem}B1`, guid: g1 },
  ];
  return Promise.resolve({ model: { vars: new Map(), runtime: false, phaseChanged: false }, real: { t, c: client(t), slots } });
}

async function teardown(t: CheckContext, real: Real, model: Model): Promise<void> {
  if (model.phaseChanged || model.runtime) await t.reset();
  for (const s of real.slots) await real.c.setVariable(s.name, s.guid, 0, new Uint8Array(0));
}

const slot = fc.nat({ max: SLOTS - 1 });
/** Each slot has usual attributes (so APPEND and overwrite meet a variable they can change); sometimes others. */
const HOME = [NV_BS_RT, BS_RT, NV_BS, NV_BS_RT];
const attrsFor = fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constantFrom(...ATTRS) });
const data = fc.oneof({ weight: 1, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }) });

export default [
  checkModel<Model, Real>({
    id: 'smm-variable.model.sequences',
    title: 'random Set/Append/Delete/Get/GetNext sequences agree with the UEFI variable model',
    spec: UEFI,
    clause: CLAUSE.services,
    level: 'MUST',
    requirement:
      'For any sequence of SetVariable (NV|BS|RT, NV|BS, BS|RT, BS, with and without APPEND, DataSize 0 = delete), SetVariable with Attributes 0, GetVariable with any DataSize and full GetNextVariableName enumerations over names that share prefixes and GUIDs, every call returns the status, data, size and attributes the model predicts (attribute-change refusal, NOT_FOUND, BUFFER_TOO_SMALL, enumeration exactly once).',
    services: services(),
    numRuns: 60,
    maxCommands: 20,
    commands: () => [
      fc.tuple(slot, attrsFor, data, fc.boolean()).map(([s, a, d, ap]) => new SetCmd(s, a < 0 ? HOME[s]! : a, d, ap)),
      slot.map((s) => new DeleteCmd(s)),
      fc.tuple(slot, fc.nat({ max: 30 })).map(([s, n]) => new GetCmd(s, n)),
      fc.constant(new EnumerateCmd()),
    ],
    setup,
    teardown,
  }),
  checkModel<Model, Real>({
    id: 'smm-variable.model.boot-phases',
    title: 'sequences with ExitBootServices and resets agree with the model',
    spec: UEFI,
    clause: CLAUSE.services,
    level: 'MUST',
    requirement:
      'Across ExitBootServices and resets: boot-service-only variables vanish from GetVariable and GetNextVariableName at runtime, runtime writes are limited to NV|BS|RT variables, a reset keeps exactly the non-volatile variables and returns to boot time.',
    services: services(),
    capabilities: ['target.reset'],
    numRuns: 10,
    maxCommands: 14,
    commands: () => [
      fc.tuple(slot, attrsFor, data, fc.boolean()).map(([s, a, d, ap]) => new SetCmd(s, a < 0 ? HOME[s]! : a, d, ap)),
      fc.tuple(slot, data).map(([s, d]) => new SetCmd(s, NV_BS_RT, d, false)),
      slot.map((s) => new DeleteCmd(s)),
      fc.tuple(slot, fc.nat({ max: 30 })).map(([s, n]) => new GetCmd(s, n)),
      fc.constant(new EnumerateCmd()),
      fc.constant(new ExitBootServicesCmd()),
      fc.constant(new ResetCmd()),
    ],
    setup,
    teardown,
  }),
];
