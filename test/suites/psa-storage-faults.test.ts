// Fault-injected storage targets, each modelled on a real class of bug, and
// the check ids that must catch it. Every fault breaks the reference at its
// byte interface; the suite runs against it exactly as against a board.
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import { SERVICES } from '../../protocol/services.js';
import { registerFault, registerVolatileTarget, type Fault } from '../helpers/faults.js';
import { profileFor, run, verdicts, withVerdict } from '../helpers/run.js';

const EMPTY = new Uint8Array(0);

interface Case {
  name: string;
  /** The real bug this models. */
  models: string;
  fault: Fault;
  mustFail: string[];
}

const its = SERVICES.its;
const ps = SERVICES.ps;

const CASES: Case[] = [
  {
    name: 'write-once-ignored',
    models: 'an ITS that accepts the flag but never enforces it (psa-arch-tests s002 exists because of this)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op === S.StorageOpcode.SET) {
          const r = S.decodeSet(body);
          return next(op, S.encodeSet({ ...r, flags: r.flags & ~S.StorageFlag.WRITE_ONCE }));
        }
        return next(op, body);
      },
    },
    mustFail: [
      'psa-storage.its-set.write-once',
      'psa-storage.its-set.write-once-same-data',
      'psa-storage.its-set.becomes-write-once',
      'psa-storage.its-remove.write-once',
      'psa-storage.its-get-info.write-once-flag',
      'psa-storage.its-persist.write-once-survives-reset',
      'psa-storage.its-model.sequences',
    ],
  },
  {
    name: 'does-not-exist-as-generic-error',
    models: 'a port that maps every backend error to PSA_ERROR_GENERIC_ERROR (psa-arch-tests #140: "Error Code=0x1")',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        return r && r.status === PSA.ERROR_DOES_NOT_EXIST ? { ...r, status: PSA.ERROR_GENERIC_ERROR } : r;
      },
    },
    mustFail: [
      'psa-storage.its-get.does-not-exist',
      'psa-storage.its-get-info.does-not-exist',
      'psa-storage.its-remove.does-not-exist',
      'psa-storage.its-remove.removes',
      'psa-storage.its-set.unsupported-flags',
      'psa-storage.its-model.sequences',
    ],
  },
  {
    name: 'get-reads-past-the-end',
    models: 'a get that copies data_size bytes from the backing buffer instead of min(data_size, size - offset)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.GET) return next(op, body);
        const req = S.decodeGet(body);
        const r = await next(op, body);
        if (!r || r.status !== PSA.SUCCESS) return r;
        const want = Number(req.size > 4096n ? 4096n : req.size);
        if (r.body.length >= want) return r;
        const padded = new Uint8Array(want);
        padded.set(r.body);
        return { ...r, body: padded };
      },
    },
    mustFail: [
      'psa-storage.its-get.size-past-end',
      'psa-storage.its-get.size-max',
      'psa-storage.its-get.offset-at-end',
      'psa-storage.its-get.empty-asset',
      'psa-storage.its-get.slice-property',
      'psa-storage.its-model.sequences',
    ],
  },
  {
    name: 'get-info-wrong-size',
    models: 'get_info reporting the allocated block size (rounded up to 16 bytes) as the data size',
    fault: {
      service: ps,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op !== S.StorageOpcode.GET_INFO || !r || r.status !== PSA.SUCCESS) return r;
        const info = S.decodeInfo(r.body);
        const rounded = (info.size + 15n) & ~15n;
        return { ...r, body: S.encodeInfo({ ...info, size: rounded }) };
      },
    },
    mustFail: ['psa-storage.ps-get-info.size', 'psa-storage.ps-get-info.after-overwrite', 'psa-storage.ps-set.round-trip-property', 'psa-storage.ps-model.sequences'],
  },
  {
    name: 'remove-leaves-data',
    models: 'a remove that only clears an index entry when the file system is full, answering success anyway',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.REMOVE) return next(op, body);
        const uid = S.decodeUid(body, 'remove');
        const info = await next(S.StorageOpcode.GET_INFO, S.encodeUid(uid));
        if (!info || info.status !== PSA.SUCCESS) return next(op, body);
        if (S.decodeInfo(info.body).flags & S.StorageFlag.WRITE_ONCE) return next(op, body);
        return { status: PSA.SUCCESS, body: EMPTY };
      },
    },
    mustFail: ['psa-storage.its-remove.removes', 'psa-storage.its-remove.twice', 'psa-storage.its-persist.remove-survives-reset', 'psa-storage.its-model.sequences'],
  },
  {
    name: 'uid-truncated-to-32-bits',
    models: 'an implementation storing uids in a uint32_t file name',
    fault: {
      service: ps,
      handle: async (op, body, next) => {
        if (body.length < 8 || op === S.StorageOpcode.GET_SUPPORT) return next(op, body);
        const b = body.slice();
        const v = new DataView(b.buffer);
        const uid = v.getBigUint64(0, true);
        if (uid !== 0n) v.setBigUint64(0, (uid & 0xffffffffn) || 1n, true);
        return next(op, b);
      },
    },
    mustFail: ['psa-storage.ps-uid.high-bits'],
  },
  {
    name: 'offset-past-end-accepted',
    models: 'a get that treats data_offset > size as an empty read (PSA_SUCCESS, 0 bytes)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op === S.StorageOpcode.GET && r?.status === PSA.ERROR_INVALID_ARGUMENT) return { status: PSA.SUCCESS, body: EMPTY };
        return r;
      },
    },
    mustFail: ['psa-storage.its-get.offset-past-end', 'psa-storage.its-get.empty-asset', 'psa-storage.its-get.slice-property', 'psa-storage.its-model.sequences'],
  },
  {
    name: 'create-sets-size-to-capacity',
    models: 'psa_ps_create pre-allocating a zero-filled asset whose size is its capacity',
    fault: {
      service: ps,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.CREATE) return next(op, body);
        const req = S.decodeCreate(body);
        const r = await next(op, body);
        if (r?.status === PSA.SUCCESS && req.capacity > 0n) {
          await next(S.StorageOpcode.SET_EXTENDED, S.encodeSetExtended({ uid: req.uid, offset: 0n, data: new Uint8Array(Number(req.capacity)) }));
        }
        return r;
      },
    },
    mustFail: ['psa-storage.ps-create.reserves', 'psa-storage.ps-create.get-empty', 'psa-storage.ps-set-extended.fill-created', 'psa-storage.ps-model.sequences'],
  },
  {
    name: 'set-extended-fills-gaps',
    models: 'psa_ps_set_extended that zero-fills a gap instead of refusing data_offset > size',
    fault: {
      service: ps,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.SET_EXTENDED) return next(op, body);
        const req = S.decodeSetExtended(body);
        const info = await next(S.StorageOpcode.GET_INFO, S.encodeUid(req.uid));
        if (info?.status !== PSA.SUCCESS) return next(op, body);
        const { size, capacity } = S.decodeInfo(info.body);
        if (req.offset > size && req.offset + BigInt(req.data.length) <= capacity) {
          const gap = new Uint8Array(Number(req.offset - size));
          await next(op, S.encodeSetExtended({ uid: req.uid, offset: size, data: gap }));
        }
        return next(op, body);
      },
    },
    mustFail: ['psa-storage.ps-set-extended.no-gap', 'psa-storage.ps-set-extended.property', 'psa-storage.ps-model.sequences'],
  },
  {
    name: 'oversize-truncated',
    models: 'a set that silently truncates data to the maximum asset size and answers success',
    fault: {
      service: its,
      handle: async (op, body, next, stack) => {
        if (op !== S.StorageOpcode.SET) return next(op, body);
        const r = S.decodeSet(body);
        const max = stack.config.its.maxAssetSize;
        if (r.data.length <= max) return next(op, body);
        return next(op, S.encodeSet({ ...r, data: r.data.subarray(0, max) }));
      },
    },
    mustFail: ['psa-storage.its-capacity.over-max-asset-size', 'psa-storage.its-capacity.failed-overwrite-keeps-data'],
  },
  {
    name: 'trusts-data-length',
    models: 'a provider that stores data_length bytes without checking them against the request length (the overflow TS guards with ADD_OVERFLOW)',
    fault: {
      service: ps,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.SET || body.length < S.SIZES.set) return next(op, body);
        const r = new Reader(body);
        const uid = r.u64le();
        r.u64le();
        const flags = r.u32le();
        return next(op, new Writer().u64le(uid).u64le(r.remaining).u32le(flags).bytes(r.rest()).finish());
      },
    },
    mustFail: ['psa-storage.ps-wire.data-length-past-body'],
  },
  {
    name: 'uid-zero-accepted',
    models: 'an implementation that treats uid 0 as an ordinary key (PS requirement 12 / ITS requirement 15)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op === S.StorageOpcode.SET && S.decodeSet(body).uid === 0n) return { status: PSA.SUCCESS, body: EMPTY };
        return next(op, body);
      },
    },
    mustFail: ['psa-storage.its-set.uid-zero'],
  },
];

const URIS = new Map(CASES.map((c) => [c.name, registerFault(`storage-${c.name}`, c.fault)]));

/** A target that forgets everything at reset: storage in RAM only. */
registerVolatileTarget('storage-volatile');

const reference = await import('../../suites/harness/profile.js').then((m) => m.loadProfile('reference'));
const profile = (uri: string) =>
  profileFor(uri, ['its', 'ps'], { capabilities: reference.capabilities, reset: { method: 'control' } });

describe('fault-injected storage targets are caught', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.models}`, async () => {
      const o = await run({ profile: profile(URIS.get(c.name)!), suites: ['psa-storage'] });
      const v = verdicts(o);
      for (const id of c.mustFail) expect(`${id}: ${v.get(id)}`).toBe(`${id}: FAIL`);
      expect(withVerdict(o, 'ERROR').map((r) => r.id)).toEqual([]);
      expect(o.summary.exitCode).toBe(1);
    });
  }

  it('storage-volatile: a target that loses its storage at reset fails the persistence checks, and only those', async () => {
    const o = await run({ profile: profile('inproc:storage-volatile'), suites: ['psa-storage'] });
    const failed = withVerdict(o, 'FAIL').map((r) => r.id);
    // a removed asset is still absent when everything was lost: that check rightly passes
    const persistence = o.results.filter((r) => r.id.includes('-persist.') && !r.id.endsWith('remove-survives-reset'));
    expect(failed.sort()).toEqual(persistence.map((r) => r.id).sort());
  });

  it('a failing model-based check reports a shrunk counterexample and a replay that reproduces it', async () => {
    const uri = URIS.get('write-once-ignored')!;
    const o = await run({ profile: profile(uri), ids: ['psa-storage.its-model.sequences'], seed: 7 });
    const r = o.results[0]!;
    expect(r.verdict).toBe('FAIL');
    expect(r.property?.counterexample).toMatch(/psa_its_set\(uid=#\d, data_length=\d+, create_flags=WRITE_ONCE\)/);
    expect(r.property?.replay).toMatch(/--id psa-storage\.its-model\.sequences --seed 7 --replay '[\d:]+'/);
    expect(r.message).toMatch(/PSA_SUCCESS \(0\); the model expects PSA_ERROR_NOT_PERMITTED/);
    expect(r.wire?.some((w) => /WRITE_ONCE/.test(w.label ?? ''))).toBe(true);
    // replaying the reported path runs the counterexample first and fails again
    const path = /--replay '([^']+)'/.exec(r.property!.replay)![1]!;
    const commands = /--replay-commands '([^']+)'/.exec(r.property!.replay)?.[1];
    const again = (await run({ profile: profile(uri), ids: ['psa-storage.its-model.sequences'], seed: 7, replay: { path, commands } })).results[0]!;
    expect(again.verdict).toBe('FAIL');
    expect(again.property?.counterexample).toBe(r.property?.counterexample);
  });
});
