// The packed-c secure-storage protocol at the byte level: malformed requests
// are refused without effect and the service keeps answering. A rejection
// is any status but PSA_SUCCESS, or an envelope error frame from the agent.
import fc from 'fast-check';
import { U64_MAX, Writer, hex } from '../../protocol/bytes.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import { SIZES, StorageOpcode, encodeSet, storageOpcodeName } from '../../protocol/psa/storage.js';
import { TransportError } from '../../transports/types.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { TS_SPEC, client, expectAbsent, expectContent, forBoth, newUid, pattern, put, type Api } from './common.js';

const PROTO = 'protocols/service/secure_storage/packed-c/secure_storage_proto.h';

/** Sends a raw request that must be refused; returns how it was refused. */
async function expectRejected(t: CheckContext, api: Api, opcode: number, body: Uint8Array, what: string): Promise<string> {
  try {
    const r = await client(t, api).raw(opcode, body, `${api} ${storageOpcodeName(opcode)} ${what} [${body.length} bytes]`);
    if (r.status === PSA.SUCCESS) {
      t.fail(`${what}: the malformed request was accepted`, {
        expected: 'any error status (TS providers answer RPC_ERROR_INVALID_REQUEST_BODY)',
        actual: `PSA_SUCCESS (0) with ${r.body.length} byte(s): ${hex(r.body, 32)}`,
      });
    }
    return psaStatusName(r.status);
  } catch (e) {
    if (e instanceof TransportError && e.kind === 'remote') return 'an envelope error frame';
    throw e;
  }
}

async function stillServes(t: CheckContext, api: Api): Promise<void> {
  const uid = newUid(t, api);
  const data = pattern(12, 90);
  await put(t, api, uid, data);
  await expectContent(t, api, uid, data, 'a well-formed request after the malformed ones');
}

const uidOnly = (uid: bigint, extra: number) => new Writer().u64le(uid).zeros(extra).finish();

export default [
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-wire.short-request`,
      title: 'requests shorter than their fixed part are refused',
      spec: TS_SPEC,
      clause: PROTO,
      level: 'MUST',
      requirement: `A request body shorter than the packed request structure of its opcode (set 20, get 24, get_info 8, remove 8 bytes) is refused without effect, and the service keeps answering.`,
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        const cases: [number, Uint8Array, string][] = [
          [StorageOpcode.SET, uidOnly(uid, SIZES.set - 9), `set body of ${SIZES.set - 1} bytes`],
          [StorageOpcode.GET, uidOnly(uid, SIZES.get - 9), `get body of ${SIZES.get - 1} bytes`],
          [StorageOpcode.GET_INFO, uidOnly(uid, 0).subarray(0, 7), 'get_info body of 7 bytes'],
          [StorageOpcode.REMOVE, new Uint8Array(0), 'remove with an empty body'],
        ];
        for (const [op, body, what] of cases) t.note(`${what}: refused with ${await expectRejected(t, api, op, body, what)}`);
        await expectAbsent(t, api, uid, 'after the truncated set');
        await stillServes(t, api);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-wire.data-length-past-body`,
      title: 'a set whose data_length exceeds the bytes sent is refused',
      spec: TS_SPEC,
      clause: PROTO,
      level: 'MUST',
      requirement: 'A set request whose data_length is larger than the data that follows the fixed part (by one byte, or by SIZE_MAX, where 20 + data_length wraps in 64 bits) is refused and creates no asset.',
      services: [api],
      run: async (t) => {
        for (const len of [5n, U64_MAX, U64_MAX - 19n, 1n << 32n]) {
          const uid = newUid(t, api);
          const body = encodeSet({ uid, data: pattern(4, 91), flags: 0 }, len);
          t.note(`data_length ${len} with 4 bytes: refused with ${await expectRejected(t, api, StorageOpcode.SET, body, `set with data_length ${len} and 4 data bytes`)}`);
          await expectAbsent(t, api, uid, `after set with data_length ${len}`);
        }
        await stillServes(t, api);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-wire.unknown-opcode`,
      title: 'an unknown opcode is refused',
      spec: TS_SPEC,
      clause: PROTO,
      level: 'MUST',
      requirement: `An opcode the secure-storage protocol does not define (0x0, 0xff, 0x107, 0x1ff, 0xffffffff) is refused, and the service keeps answering.${api === 'its' ? ' For ITS this includes nothing else: its create/set_extended are judged by the PS checks only.' : ''}`,
      services: [api],
      run: async (t) => {
        for (const op of [0x0, 0xff, 0x107, 0x1ff, 0xffff_ffff]) {
          t.note(`opcode 0x${op.toString(16)}: refused with ${await expectRejected(t, api, op, uidOnly(newUid(t, api, false), 16), `opcode 0x${op.toString(16)}`)}`);
        }
        await stillServes(t, api);
      },
    }),
  ),
  ...forBoth((api) =>
    check({
      id: `psa-storage.${api}-wire.get-info-response`,
      title: 'the get_info answer is exactly the packed psa_storage_info_t',
      spec: TS_SPEC,
      clause: PROTO,
      level: 'MUST',
      requirement: 'A successful get_info answers the packed secure_storage_response_get_info: exactly 20 bytes, u64 capacity, u64 size, u32 flags, little-endian.',
      services: [api],
      run: async (t) => {
        const uid = newUid(t, api);
        await put(t, api, uid, pattern(300, 92));
        const r = await client(t, api).raw(StorageOpcode.GET_INFO, new Writer().u64le(uid).finish(), `${api} get_info (raw)`);
        t.expectEqual(r.status, PSA.SUCCESS, 'status', psaStatusName);
        t.expectEqual(r.body.length, SIZES.getInfoResponse, 'answer length in bytes');
        const v = new DataView(r.body.buffer, r.body.byteOffset);
        t.expectEqual(v.getBigUint64(8, true), 300n, 'size field (bytes 8..15, little-endian)');
      },
    }),
  ),
  ...forBoth((api) =>
    checkProp({
      id: `psa-storage.${api}-wire.fuzz`,
      title: 'generated malformed requests never crash or wedge the service',
      spec: TS_SPEC,
      clause: PROTO,
      level: 'MUST',
      requirement: 'Whatever bytes arrive for any opcode, the service answers with a status (short bodies are never accepted) and afterwards still serves well-formed requests.',
      services: [api],
      numRuns: 100,
      arbitrary: () =>
        fc.record({
          opcode: fc.oneof(fc.integer({ min: 0x100, max: 0x107 }), fc.integer({ min: 0, max: 0xffff_ffff })),
          body: fc.uint8Array({ maxLength: 48 }),
          lengthField: fc.option(fc.bigInt({ min: 0n, max: U64_MAX }), { nil: undefined }),
        }),
      predicate: async (t, { opcode, body, lengthField }) => {
        // keep generated writes inside this run's own uids
        const uid = newUid(t, api);
        const b = body.slice();
        if (b.length >= 8) new DataView(b.buffer).setBigUint64(0, uid, true);
        if (lengthField !== undefined && b.length >= 16) new DataView(b.buffer).setBigUint64(8, lengthField, true);
        // WRITE_ONCE assets cannot be cleaned up: never let the fuzz create one
        if (opcode === StorageOpcode.SET && b.length > 16) b[16] &= ~1;
        const fixed: Record<number, number> = {
          [StorageOpcode.SET]: SIZES.set,
          [StorageOpcode.GET]: SIZES.get,
          [StorageOpcode.GET_INFO]: SIZES.getInfo,
          [StorageOpcode.REMOVE]: SIZES.remove,
          [StorageOpcode.CREATE]: SIZES.create,
          [StorageOpcode.SET_EXTENDED]: SIZES.setExtended,
        };
        const what = `${storageOpcodeName(opcode)} with ${b.length} byte(s) ${hex(b, 48)}`;
        try {
          const r = await client(t, api).raw(opcode, b, `${api} fuzz ${what}`);
          const min = fixed[opcode];
          if (min !== undefined && b.length < min && r.status === PSA.SUCCESS) {
            t.fail(`${what}: accepted a body shorter than ${min} bytes`, { expected: 'an error status', actual: 'PSA_SUCCESS (0)' });
          }
        } catch (e) {
          if (e instanceof TransportError && e.kind === 'remote') return;
          if (e instanceof TransportError && (e.kind === 'timeout' || e.kind === 'disconnected')) {
            t.fail(`${what}: the target stopped answering (${e.message})`, { expected: 'an answer', actual: e.kind });
          }
          throw e;
        }
        await client(t, api).remove(uid);
        await stillServes(t, api);
      },
    }),
  ),
];
