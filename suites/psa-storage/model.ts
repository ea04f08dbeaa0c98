// Model-based checks: random sequences of storage calls against an abstract
// model of PSA Storage. Commands print in spec terms; a failure shrinks to
// the shortest sequence that still disagrees with the model.
import fc from 'fast-check';
import { bytesEqual, hex } from '../../protocol/bytes.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import { STORAGE_SUPPORT_SET_EXTENDED, storageFlagsName } from '../../protocol/psa/storage.js';
import type { StorageClient } from '../../clients/psa-storage.js';
import { checkModel } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  NO_CONFIDENTIALITY,
  NO_REPLAY_PROTECTION,
  SET_EXTENDED_CAP,
  SPEC,
  WRITE_ONCE,
  client,
  fn,
  forBoth,
  newUid,
  writeOnceAllowed,
  type Api,
} from './common.js';

interface Asset {
  data: Uint8Array;
  flags: number;
  capacity: number;
}

interface Model {
  assets: Map<number, Asset>;
}

interface Real {
  t: CheckContext;
  api: Api;
  c: StorageClient;
  uids: bigint[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

const SLOTS = 3;

function status(r: Real, actual: number, expected: number, call: string): void {
  if (actual !== expected) {
    r.t.fail(`${call} returned ${psaStatusName(actual)}; the model expects ${psaStatusName(expected)}`, {
      expected: psaStatusName(expected),
      actual: psaStatusName(actual),
    });
  }
}

class SetCmd implements Cmd {
  constructor(readonly slot: number, readonly data: Uint8Array, readonly flags: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const old = m.assets.get(this.slot);
    const s = await r.c.set(r.uids[this.slot]!, this.data, this.flags);
    // refusing the lower-protection flags is allowed (a SHOULD, judged by the *-set.no-* checks), before or
    // after the WRITE_ONCE test (the spec orders no errors): nothing changes
    if (s === PSA.ERROR_NOT_SUPPORTED && this.flags & (NO_CONFIDENTIALITY | NO_REPLAY_PROTECTION)) return;
    if (old && old.flags & WRITE_ONCE) return status(r, s, PSA.ERROR_NOT_PERMITTED, this.toString());
    status(r, s, PSA.SUCCESS, this.toString());
    m.assets.set(this.slot, { data: this.data, flags: this.flags, capacity: this.data.length });
  }
  toString() {
    return `psa_@_set(uid=#${this.slot}, data_length=${this.data.length}, create_flags=${storageFlagsName(this.flags)})`;
  }
}

class GetCmd implements Cmd {
  constructor(readonly slot: number, readonly offset: number, readonly size: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const a = m.assets.get(this.slot);
    const got = await r.c.get(r.uids[this.slot]!, this.offset, this.size);
    if (!a) return status(r, got.status, PSA.ERROR_DOES_NOT_EXIST, this.toString());
    if (this.offset > a.data.length) return status(r, got.status, PSA.ERROR_INVALID_ARGUMENT, this.toString());
    status(r, got.status, PSA.SUCCESS, this.toString());
    const want = a.data.subarray(this.offset, this.offset + Math.min(this.size, a.data.length - this.offset));
    if (!bytesEqual(got.data, want)) {
      r.t.fail(`${this.toString()} returned other bytes than the model holds`, {
        expected: `${want.length} bytes: ${hex(want, 48)}`,
        actual: `${got.data.length} bytes: ${hex(got.data, 48)}`,
      });
    }
  }
  toString() {
    return `psa_@_get(uid=#${this.slot}, data_offset=${this.offset}, data_size=${this.size})`;
  }
}

class InfoCmd implements Cmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const a = m.assets.get(this.slot);
    const got = await r.c.getInfo(r.uids[this.slot]!);
    if (!a) return status(r, got.status, PSA.ERROR_DOES_NOT_EXIST, this.toString());
    status(r, got.status, PSA.SUCCESS, this.toString());
    const i = got.info!;
    const bad =
      i.size !== BigInt(a.data.length) ||
      (r.api === 'ps' ? i.capacity !== BigInt(a.capacity) : i.capacity < i.size) ||
      (i.flags & WRITE_ONCE) !== (a.flags & WRITE_ONCE);
    if (bad) {
      r.t.fail(`${this.toString()} disagrees with the model`, {
        expected: `size ${a.data.length}, capacity ${r.api === 'ps' ? a.capacity : `>= ${a.data.length}`}, flags ${storageFlagsName(a.flags)}`,
        actual: `size ${i.size}, capacity ${i.capacity}, flags ${storageFlagsName(i.flags)}`,
      });
    }
  }
  toString() {
    return `psa_@_get_info(uid=#${this.slot})`;
  }
}

class RemoveCmd implements Cmd {
  constructor(readonly slot: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const a = m.assets.get(this.slot);
    const s = await r.c.remove(r.uids[this.slot]!);
    if (!a) return status(r, s, PSA.ERROR_DOES_NOT_EXIST, this.toString());
    if (a.flags & WRITE_ONCE) return status(r, s, PSA.ERROR_NOT_PERMITTED, this.toString());
    status(r, s, PSA.SUCCESS, this.toString());
    m.assets.delete(this.slot);
  }
  toString() {
    return `psa_@_remove(uid=#${this.slot})`;
  }
}

class CreateCmd implements Cmd {
  constructor(readonly slot: number, readonly capacity: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = await r.c.create(r.uids[this.slot]!, this.capacity, 0);
    if (m.assets.has(this.slot)) return status(r, s, PSA.ERROR_ALREADY_EXISTS, this.toString());
    status(r, s, PSA.SUCCESS, this.toString());
    m.assets.set(this.slot, { data: new Uint8Array(0), flags: 0, capacity: this.capacity });
  }
  toString() {
    return `psa_ps_create(uid=#${this.slot}, capacity=${this.capacity}, create_flags=NONE)`;
  }
}

class SetExtendedCmd implements Cmd {
  constructor(readonly slot: number, readonly offset: number, readonly data: Uint8Array) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const a = m.assets.get(this.slot);
    const s = await r.c.setExtended(r.uids[this.slot]!, this.offset, this.data);
    if (!a) return status(r, s, PSA.ERROR_DOES_NOT_EXIST, this.toString());
    if (a.flags & WRITE_ONCE) return status(r, s, PSA.ERROR_NOT_PERMITTED, this.toString());
    if (this.offset > a.data.length || this.offset + this.data.length > a.capacity) {
      return status(r, s, PSA.ERROR_INVALID_ARGUMENT, this.toString());
    }
    status(r, s, PSA.SUCCESS, this.toString());
    const next = new Uint8Array(Math.max(a.data.length, this.offset + this.data.length));
    next.set(a.data);
    next.set(this.data, this.offset);
    m.assets.set(this.slot, { ...a, data: next });
  }
  toString() {
    return `psa_ps_set_extended(uid=#${this.slot}, data_offset=${this.offset}, data_length=${this.data.length})`;
  }
}

function named(api: Api, cmd: Cmd): Cmd {
  const s = cmd.toString.bind(cmd);
  cmd.toString = () => s().replace('psa_@_', `psa_${api}_`);
  return cmd;
}

export default forBoth((api) =>
  checkModel<Model, Real>({
    id: `psa-storage.${api}-model.sequences`,
    title: `random ${api.toUpperCase()} call sequences agree with the PSA Storage model`,
    spec: SPEC,
    clause: api === 'its' ? '5.3 Internal Trusted Storage API' : '5.4 Protected Storage API',
    level: 'MUST',
    requirement: `For any sequence of ${fn(api, 'set')}, ${fn(api, 'get')}, ${fn(api, 'get_info')}, ${fn(api, 'remove')}${api === 'ps' ? ', psa_ps_create and psa_ps_set_extended' : ''} over a few uids, with every flag, each call returns the status and data the PSA Storage model predicts (WRITE_ONCE enforcement, offsets, sizes, DOES_NOT_EXIST, ALREADY_EXISTS).`,
    services: [api],
    numRuns: 200,
    maxCommands: 20,
    commands: (t) => {
      const slot = fc.nat({ max: SLOTS - 1 });
      const data = fc.uint8Array({ maxLength: 24 });
      const flagChoices = [0, 0, NO_CONFIDENTIALITY, NO_REPLAY_PROTECTION];
      if (writeOnceAllowed(t)) flagChoices.push(WRITE_ONCE);
      const cmds: fc.Arbitrary<Cmd>[] = [
        fc.tuple(slot, data, fc.constantFrom(...flagChoices)).map(([s, d, f]) => named(api, new SetCmd(s, d, f))),
        fc.tuple(slot, fc.nat({ max: 28 }), fc.nat({ max: 28 })).map(([s, o, n]) => named(api, new GetCmd(s, o, n))),
        slot.map((s) => named(api, new InfoCmd(s))),
        slot.map((s) => named(api, new RemoveCmd(s))),
      ];
      if (api === 'ps' && t.cap(SET_EXTENDED_CAP) !== false) {
        cmds.push(fc.tuple(slot, fc.nat({ max: 32 })).map(([s, cap]) => new CreateCmd(s, cap)));
        cmds.push(fc.tuple(slot, fc.nat({ max: 30 }), fc.uint8Array({ maxLength: 12 })).map(([s, o, d]) => new SetExtendedCmd(s, o, d)));
      }
      return cmds;
    },
    setup: async (t) => {
      const c = client(t, api);
      if (api === 'ps' && t.cap(SET_EXTENDED_CAP) === undefined) {
        // without a declaration, ask the target whether create/set_extended exist
        const sup = await c.getSupport();
        if (sup.status !== PSA.SUCCESS || !(sup.support! & STORAGE_SUPPORT_SET_EXTENDED)) {
          t.unsupported('psa_ps_get_support does not report SET_EXTENDED; declare ps.set-extended = false to model without it');
        }
      }
      const uids = Array.from({ length: SLOTS }, () => newUid(t, api, false));
      return { model: { assets: new Map() }, real: { t, api, c, uids } };
    },
    teardown: async (_t, real, model) => {
      // remove whatever the sequence left (the model may lag the target after a failure)
      for (const [slot, uid] of real.uids.entries()) {
        if (!(model.assets.get(slot)?.flags ?? 0 & WRITE_ONCE)) await real.c.remove(uid);
      }
    },
  }),
);
