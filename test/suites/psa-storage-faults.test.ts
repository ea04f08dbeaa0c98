// Fault-injected storage targets, each modelled on a real class of bug, and
// the check ids that must catch it. Every fault breaks the reference at its
// byte interface; the suite runs against it exactly as against a board.
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import { SERVICES } from '../../protocol/services.js';
import { registerFault, registerVolatileTarget, type Fault } from '../helpers/faults.js';
import { profileFor, run, withVerdict } from '../helpers/run.js';

const EMPTY = new Uint8Array(0);

interface Case {
  name: string;
  /** The real bug this models. */
  models: string;
  fault: Fault;
  /** Exactly the checks that FAIL against it. */
  mustFail: string[];
  /** Exactly the SHOULD checks that are NON-STRICT against it (default none). */
  nonStrict?: string[];
  /** The same bug in the other API (ITS <-> PS), and exactly what it breaks there. */
  other?: { mustFail: string[]; nonStrict?: string[] };
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
      'psa-storage.its-get-info.write-once-flag',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.write-once-survives-reset',
      'psa-storage.its-remove.write-once',
      'psa-storage.its-set.all-flags',
      'psa-storage.its-set.becomes-write-once',
      'psa-storage.its-set.write-once',
      'psa-storage.its-set.write-once-same-data',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-get-info.write-once-flag',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.write-once-survives-reset',
        'psa-storage.ps-remove.write-once',
        'psa-storage.ps-set-extended.write-once',
        'psa-storage.ps-set.all-flags',
        'psa-storage.ps-set.becomes-write-once',
        'psa-storage.ps-set.write-once',
        'psa-storage.ps-set.write-once-same-data',
      ],
    },
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
      'psa-storage.its-capacity.over-max-asset-size',
      'psa-storage.its-get-info.does-not-exist',
      'psa-storage.its-get.does-not-exist',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.remove-survives-reset',
      'psa-storage.its-remove.does-not-exist',
      'psa-storage.its-remove.removes',
      'psa-storage.its-remove.twice',
      'psa-storage.its-set.unsupported-flags',
      'psa-storage.its-wire.data-length-past-body',
      'psa-storage.its-wire.short-request',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-capacity.over-max-asset-size',
        'psa-storage.ps-create.capacity-too-large',
        'psa-storage.ps-create.unsupported-flags',
        'psa-storage.ps-create.write-once',
        'psa-storage.ps-get-info.does-not-exist',
        'psa-storage.ps-get.does-not-exist',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.remove-survives-reset',
        'psa-storage.ps-remove.does-not-exist',
        'psa-storage.ps-remove.removes',
        'psa-storage.ps-remove.twice',
        'psa-storage.ps-set-extended.does-not-exist',
        'psa-storage.ps-set.unsupported-flags',
        'psa-storage.ps-wire.data-length-past-body',
        'psa-storage.ps-wire.short-request',
      ],
    },
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
      'psa-storage.its-capacity.failed-overwrite-keeps-data',
      'psa-storage.its-get.empty-asset',
      'psa-storage.its-get.offset-at-end',
      'psa-storage.its-get.size-max',
      'psa-storage.its-get.size-past-end',
      'psa-storage.its-get.slice-property',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.latest-version',
      'psa-storage.its-persist.survives-reset',
      'psa-storage.its-persist.write-once-survives-reset',
      'psa-storage.its-remove.reuse-uid',
      'psa-storage.its-remove.write-once',
      'psa-storage.its-set.all-byte-values',
      'psa-storage.its-set.becomes-write-once',
      'psa-storage.its-set.overwrite-longer',
      'psa-storage.its-set.overwrite-shorter',
      'psa-storage.its-set.round-trip',
      'psa-storage.its-set.round-trip-property',
      'psa-storage.its-set.unsupported-flags',
      'psa-storage.its-set.write-once',
      'psa-storage.its-uid.high-bits',
      'psa-storage.its-uid.independent',
      'psa-storage.its-uid.max-value',
      'psa-storage.its-wire.data-length-past-body',
      'psa-storage.its-wire.fuzz',
      'psa-storage.its-wire.short-request',
      'psa-storage.its-wire.unknown-opcode',
    ],
    nonStrict: ['psa-storage.its-set.no-confidentiality', 'psa-storage.its-set.no-replay-protection'],
    other: {
      mustFail: [
        'psa-storage.ps-capacity.failed-overwrite-keeps-data',
        'psa-storage.ps-create.already-exists',
        'psa-storage.ps-create.get-empty',
        'psa-storage.ps-get.empty-asset',
        'psa-storage.ps-get.offset-at-end',
        'psa-storage.ps-get.size-max',
        'psa-storage.ps-get.size-past-end',
        'psa-storage.ps-get.slice-property',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.created-capacity',
        'psa-storage.ps-persist.latest-version',
        'psa-storage.ps-persist.survives-reset',
        'psa-storage.ps-persist.write-once-survives-reset',
        'psa-storage.ps-remove.reuse-uid',
        'psa-storage.ps-remove.write-once',
        'psa-storage.ps-set-extended.fill-created',
        'psa-storage.ps-set-extended.no-gap',
        'psa-storage.ps-set-extended.offset-overflow',
        'psa-storage.ps-set-extended.over-capacity',
        'psa-storage.ps-set-extended.overwrite-set-asset',
        'psa-storage.ps-set-extended.property',
        'psa-storage.ps-set-extended.write-once',
        'psa-storage.ps-set-extended.zero-length',
        'psa-storage.ps-set.all-byte-values',
        'psa-storage.ps-set.becomes-write-once',
        'psa-storage.ps-set.overwrite-longer',
        'psa-storage.ps-set.overwrite-shorter',
        'psa-storage.ps-set.round-trip',
        'psa-storage.ps-set.round-trip-property',
        'psa-storage.ps-set.unsupported-flags',
        'psa-storage.ps-set.write-once',
        'psa-storage.ps-uid.high-bits',
        'psa-storage.ps-uid.independent',
        'psa-storage.ps-uid.max-value',
        'psa-storage.ps-wire.data-length-past-body',
        'psa-storage.ps-wire.fuzz',
        'psa-storage.ps-wire.short-request',
        'psa-storage.ps-wire.unknown-opcode',
      ],
      nonStrict: ['psa-storage.ps-set.no-confidentiality', 'psa-storage.ps-set.no-replay-protection'],
    },
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
    mustFail: [
      'psa-storage.ps-create.already-exists',
      'psa-storage.ps-get-info.after-overwrite',
      'psa-storage.ps-get-info.size',
      'psa-storage.ps-model.sequences',
      'psa-storage.ps-persist.created-capacity',
      'psa-storage.ps-remove.reuse-uid',
      'psa-storage.ps-set-extended.fill-created',
      'psa-storage.ps-set-extended.overwrite-set-asset',
      'psa-storage.ps-set-extended.property',
      'psa-storage.ps-set-extended.zero-length',
      'psa-storage.ps-set.overwrite-shorter',
      'psa-storage.ps-set.round-trip-property',
      'psa-storage.ps-wire.get-info-response',
    ],
    other: {
      mustFail: [
        'psa-storage.its-get-info.after-overwrite',
        'psa-storage.its-get-info.capacity',
        'psa-storage.its-get-info.size',
        'psa-storage.its-model.sequences',
        'psa-storage.its-remove.reuse-uid',
        'psa-storage.its-set.overwrite-shorter',
        'psa-storage.its-set.round-trip-property',
        'psa-storage.its-wire.get-info-response',
      ],
    },
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
    mustFail: [
      'psa-storage.its-capacity.remove-frees-space',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.remove-survives-reset',
      'psa-storage.its-remove.removes',
      'psa-storage.its-remove.twice',
      'psa-storage.its-wire.fuzz',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-capacity.remove-frees-space',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.remove-survives-reset',
        'psa-storage.ps-remove.removes',
        'psa-storage.ps-remove.twice',
      ],
    },
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
    other: {
      mustFail: ['psa-storage.its-uid.high-bits'],
    },
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
    mustFail: [
      'psa-storage.its-get.empty-asset',
      'psa-storage.its-get.offset-past-end',
      'psa-storage.its-get.slice-property',
      'psa-storage.its-get.uid-zero',
      'psa-storage.its-model.sequences',
      'psa-storage.its-wire.fuzz',
      'psa-storage.its-wire.short-request',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-create.get-empty',
        'psa-storage.ps-get.empty-asset',
        'psa-storage.ps-get.offset-past-end',
        'psa-storage.ps-get.slice-property',
        'psa-storage.ps-get.uid-zero',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-wire.fuzz',
        'psa-storage.ps-wire.short-request',
      ],
    },
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
    mustFail: [
      'psa-storage.ps-create.already-exists',
      'psa-storage.ps-create.get-empty',
      'psa-storage.ps-create.reserves',
      'psa-storage.ps-model.sequences',
      'psa-storage.ps-persist.created-capacity',
      'psa-storage.ps-set-extended.fill-created',
      'psa-storage.ps-set-extended.no-gap',
      'psa-storage.ps-set-extended.offset-overflow',
      'psa-storage.ps-set-extended.over-capacity',
      'psa-storage.ps-set-extended.property',
      'psa-storage.ps-set-extended.zero-length',
    ],
    nonStrict: ['psa-storage.ps-create.protection-flag'],
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
    mustFail: ['psa-storage.ps-model.sequences', 'psa-storage.ps-set-extended.no-gap', 'psa-storage.ps-set-extended.property'],
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
    mustFail: ['psa-storage.its-capacity.failed-overwrite-keeps-data', 'psa-storage.its-capacity.over-max-asset-size'],
    other: {
      mustFail: [
        'psa-storage.ps-capacity.failed-overwrite-keeps-data',
        'psa-storage.ps-capacity.max-asset-size',
        'psa-storage.ps-capacity.over-max-asset-size',
      ],
    },
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
    other: {
      mustFail: ['psa-storage.its-wire.data-length-past-body'],
    },
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
    other: {
      mustFail: ['psa-storage.ps-set.uid-zero'],
    },
  },
  {
    name: 'protection-flags-refused',
    models: 'a port that answers NOT_SUPPORTED to PSA_STORAGE_FLAG_NO_CONFIDENTIALITY / NO_REPLAY_PROTECTION instead of storing the data (allowed, and discouraged: SHOULD)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op === S.StorageOpcode.SET && S.decodeSet(body).flags & (S.StorageFlag.NO_CONFIDENTIALITY | S.StorageFlag.NO_REPLAY_PROTECTION)) {
          return { status: PSA.ERROR_NOT_SUPPORTED, body: EMPTY };
        }
        return next(op, body);
      },
    },
    mustFail: [],
    nonStrict: ['psa-storage.its-set.no-confidentiality', 'psa-storage.its-set.no-replay-protection'],
    other: {
      mustFail: [],
      nonStrict: ['psa-storage.ps-set.no-confidentiality', 'psa-storage.ps-set.no-replay-protection'],
    },
  },
  {
    name: 'overwrite-keeps-tail',
    models: 'a backend that rewrites an asset in place without truncating its file: a shorter overwrite keeps the old tail and the old size',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.SET) return next(op, body);
        const req = S.decodeSet(body);
        const info = await next(S.StorageOpcode.GET_INFO, S.encodeUid(req.uid));
        if (info?.status !== PSA.SUCCESS) return next(op, body);
        const old = await next(S.StorageOpcode.GET, S.encodeGet({ uid: req.uid, offset: 0n, size: S.decodeInfo(info.body).size }));
        if (old?.status !== PSA.SUCCESS || old.body.length <= req.data.length) return next(op, body);
        const merged = old.body.slice();
        merged.set(req.data, 0);
        return next(op, S.encodeSet({ ...req, data: merged }));
      },
    },
    mustFail: [
      'psa-storage.its-get-info.after-overwrite',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.latest-version',
      'psa-storage.its-set.overwrite-shorter',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-get-info.after-overwrite',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.latest-version',
        'psa-storage.ps-set.overwrite-shorter',
      ],
    },
  },
  {
    name: 'zero-length-refused',
    models: 'a set that rejects data_length 0 with INVALID_ARGUMENT (an empty asset is valid)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op === S.StorageOpcode.SET && S.decodeSet(body).data.length === 0) return { status: PSA.ERROR_INVALID_ARGUMENT, body: EMPTY };
        return next(op, body);
      },
    },
    mustFail: [
      'psa-storage.its-get-info.after-overwrite',
      'psa-storage.its-get.empty-asset',
      'psa-storage.its-get.slice-property',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.survives-reset',
      'psa-storage.its-set.round-trip-property',
      'psa-storage.its-set.zero-length',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-get-info.after-overwrite',
        'psa-storage.ps-get.empty-asset',
        'psa-storage.ps-get.slice-property',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.survives-reset',
        'psa-storage.ps-set.round-trip-property',
        'psa-storage.ps-set.zero-length',
      ],
    },
  },
  {
    name: 'get-ignores-offset',
    models: 'a get that always reads from the start of the asset (data_offset dropped on the way to the backend)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op !== S.StorageOpcode.GET) return next(op, body);
        const req = S.decodeGet(body);
        const r = await next(op, body);
        if (r?.status !== PSA.SUCCESS || req.offset === 0n) return r;
        const from0 = await next(op, S.encodeGet({ ...req, offset: 0n }));
        return from0 ? { ...from0, body: from0.body.subarray(0, r.body.length) } : r;
      },
    },
    mustFail: [
      'psa-storage.its-get.offset-middle',
      'psa-storage.its-get.size-max',
      'psa-storage.its-get.size-past-end',
      'psa-storage.its-get.slice-property',
      'psa-storage.its-model.sequences',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-get.offset-middle',
        'psa-storage.ps-get.size-max',
        'psa-storage.ps-get.size-past-end',
        'psa-storage.ps-get.slice-property',
        'psa-storage.ps-model.sequences',
      ],
    },
  },
  {
    name: 'full-store-drops-writes',
    models: 'a store that answers PSA_SUCCESS when it has no room and drops the write (the flash driver error lost on the way up)',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        const writes = op === S.StorageOpcode.SET || op === S.StorageOpcode.SET_EXTENDED || op === S.StorageOpcode.CREATE;
        return writes && r?.status === PSA.ERROR_INSUFFICIENT_STORAGE ? { status: PSA.SUCCESS, body: EMPTY } : r;
      },
    },
    mustFail: ['psa-storage.its-capacity.failed-overwrite-keeps-data', 'psa-storage.its-capacity.over-max-asset-size'],
    other: {
      mustFail: [
        'psa-storage.ps-capacity.failed-overwrite-keeps-data',
        'psa-storage.ps-capacity.over-max-asset-size',
        'psa-storage.ps-create.capacity-too-large',
      ],
    },
  },
  {
    name: 'unknown-opcode-success',
    models: 'a dispatcher whose default case answers PSA_SUCCESS',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        if (op < S.StorageOpcode.SET || op > S.StorageOpcode.GET_SUPPORT) return { status: PSA.SUCCESS, body: EMPTY };
        return next(op, body);
      },
    },
    mustFail: ['psa-storage.its-wire.unknown-opcode'],
    other: {
      mustFail: ['psa-storage.ps-wire.unknown-opcode'],
    },
  },
  {
    name: 'get-info-flags-dropped',
    models: 'get_info that reports create_flags 0 whatever the asset was created with',
    fault: {
      service: its,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        if (op !== S.StorageOpcode.GET_INFO || r?.status !== PSA.SUCCESS) return r;
        return { ...r, body: S.encodeInfo({ ...S.decodeInfo(r.body), flags: 0 }) };
      },
    },
    mustFail: [
      'psa-storage.its-get-info.write-once-flag',
      'psa-storage.its-model.sequences',
      'psa-storage.its-persist.write-once-survives-reset',
      'psa-storage.its-set.becomes-write-once',
    ],
    other: {
      mustFail: [
        'psa-storage.ps-get-info.write-once-flag',
        'psa-storage.ps-model.sequences',
        'psa-storage.ps-persist.write-once-survives-reset',
        'psa-storage.ps-set.becomes-write-once',
      ],
    },
  },
];

/** Every fault, and its twin in the other API where the bug exists there too. */
const ALL: Case[] = CASES.flatMap((c) => {
  if (!c.other) return [c];
  const to = c.fault.service === its ? 'ps' : 'its';
  return [c, { ...c, ...c.other, name: `${c.name}-${to}`, fault: { ...c.fault, service: c.fault.service === its ? ps : its } }];
});

const URIS = new Map(ALL.map((c) => [c.name, registerFault(`storage-${c.name}`, c.fault)]));

/** A target that forgets everything at reset: storage in RAM only. */
registerVolatileTarget('storage-volatile');

const reference = await import('../../suites/harness/profile.js').then((m) => m.loadProfile('reference'));
const profile = (uri: string) =>
  profileFor(uri, ['its', 'ps'], { capabilities: reference.capabilities, reset: { method: 'control' } });

describe('fault-injected storage targets are caught', () => {
  for (const c of ALL) {
    it(`${c.name}: ${c.models}`, async () => {
      const o = await run({ profile: profile(URIS.get(c.name)!), suites: ['psa-storage'] });
      const failed = withVerdict(o, 'FAIL').map((r) => r.id).sort();
      const nonStrict = withVerdict(o, 'NON-STRICT').map((r) => r.id).sort();
      if (process.env.FWSEC_FAULT_PROBE) console.log(`PROBE ${c.name} ${JSON.stringify(failed)} ${JSON.stringify(nonStrict)}`);
      // exactly the checks whose requirement the bug breaks, and nothing else
      expect(failed).toEqual([...c.mustFail].sort());
      expect(nonStrict).toEqual([...(c.nonStrict ?? [])].sort());
      expect(withVerdict(o, 'ERROR').map((r) => r.id)).toEqual([]);
      expect(o.summary.exitCode).toBe(failed.length ? 1 : 0);
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
