// CHIPSEC-style fuzzing (modules/tools/uefi/uefivar_fuzz.py: mutated name,
// GUID, attribute dword, data and a size that disagrees with the data) as
// properties with shrinking and replay, plus a wire-level fuzz of whole
// buffers. Every generated variable lives under this run's GUIDs and is
// deleted again; nothing is written outside them.
import fc from 'fast-check';
import { U64_MAX, hex } from '../../protocol/bytes.js';
import {
  ACCESS_VARIABLE_NAME_OFFSET,
  ATTR,
  EFI,
  NV_BS_RT,
  SmmVariableFunction as F,
  accessVariableParts,
  attrName,
  buildCommBuffer,
  decodeAccessVariable,
  efiStatusName,
  guidBytes,
  isEfiError,
  spmRetName,
} from '../../protocol/smm-variable/index.js';
import { TransportError } from '../../transports/types.js';
import { checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CLAUSE, MM_ABI, UEFI, client, expectEfi, expectValue, newGuid, pattern, put, services } from './common.js';

const { APPEND_WRITE: APPEND, BOOTSERVICE_ACCESS: BS, RUNTIME_ACCESS: RT } = ATTR;
const AT = ATTR.TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
const AW = ATTR.AUTHENTICATED_WRITE_ACCESS;

/** Name characters CHIPSEC uses plus a few outside ASCII. */
const nameChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.'.split('')) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
);

interface FuzzCase {
  name: string;
  guidTail: number;
  attributes: number;
  data: Uint8Array;
  /** DataSize sent: the data length, or a random smaller value. */
  size: number;
}

async function stillServes(t: CheckContext): Promise<void> {
  const guid = newGuid(t);
  const name = `Alive${t.unique()}`;
  await put(t, name, guid, NV_BS_RT, pattern(6, 1));
  await expectValue(t, name, guid, pattern(6, 1), 'a well-formed request after the fuzz input');
  await client(t).deleteVariable(name, guid);
}

export default [
  checkProp<FuzzCase>({
    id: 'smm-variable.fuzz.set-variable',
    title: 'CHIPSEC-style SetVariable fuzzing: every answer is consistent and nothing unsigned is authenticated',
    spec: UEFI,
    clause: CLAUSE.set,
    level: 'MUST',
    requirement:
      'For SetVariable with a mutated name (1-255 characters), a random GUID, any attribute dword and 0-1000 bytes of data with a DataSize at most the data, the service answers; when it answers EFI_SUCCESS for a new name the variable then reads back with exactly DataSize bytes and the attributes without APPEND; TIME_BASED_AUTHENTICATED_WRITE_ACCESS without a valid signature and RT without BS are never accepted; and the service keeps serving.',
    services: services(),
    numRuns: 60,
    arbitrary: () =>
      fc.record({
        name: fc.oneof({ weight: 4, arbitrary: fc.string({ unit: nameChar, minLength: 1, maxLength: 32 }) }, { weight: 1, arbitrary: fc.string({ unit: nameChar, minLength: 200, maxLength: 255 }) }),
        guidTail: fc.nat({ max: 0xffff }),
        attributes: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(NV_BS_RT, BS | RT, ATTR.NON_VOLATILE | BS, BS, RT, NV_BS_RT | APPEND, NV_BS_RT | AT, NV_BS_RT | AW, 0) },
          { weight: 2, arbitrary: fc.nat({ max: 0xff }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
        ),
        data: fc.uint8Array({ maxLength: 1000 }),
        sizeCut: fc.option(fc.nat(), { nil: undefined }),
      }).map(({ sizeCut, ...c }) => ({ ...c, size: sizeCut === undefined || c.data.length === 0 ? c.data.length : sizeCut % (c.data.length + 1) })),
    show: (c) => `SetVariable(name=${JSON.stringify(c.name.slice(0, 40))}${c.name.length > 40 ? `…(${c.name.length})` : ''}, guid=#${c.guidTail}, ${attrName(c.attributes)}, ${c.data.length} bytes, DataSize=${c.size})`,
    predicate: async (t, c) => {
      const guid = `${newGuid(t).slice(0, 24)}${c.guidTail.toString(16).padStart(4, '0')}${(t.runNonce & 0xffff).toString(16).padStart(4, '0')}f5ec`;
      const name = `${c.name}${t.unique()}`;
      const cl = client(t);
      try {
        const r = await cl.setVariable(name, guid, c.attributes, c.data, { dataSize: BigInt(c.size) });
        if (r.spm !== 0) return;
        if (r.status !== EFI.SUCCESS) {
          t.assert(isEfiError(r.status), `SetVariable answered the non-error, non-success status ${efiStatusName(r.status)}`);
          return;
        }
        const a = c.attributes >>> 0;
        t.assert(!(a & AT), `SetVariable with TIME_BASED_AUTHENTICATED_WRITE_ACCESS and no valid EFI_VARIABLE_AUTHENTICATION_2 succeeded (${attrName(a)})`, { expected: 'EFI_SECURITY_VIOLATION', actual: 'EFI_SUCCESS' });
        t.assert((a & (RT | BS)) !== RT, `SetVariable with RT but not BS succeeded (${attrName(a)})`, { expected: 'EFI_INVALID_PARAMETER', actual: 'EFI_SUCCESS' });
        const created = (a & (BS | RT)) !== 0 && c.size > 0;
        const g = await cl.getVariable(name, guid, c.size + 8);
        if (!created) {
          expectEfi(t, g, EFI.NOT_FOUND, 'GetVariable after a SetVariable that deletes nothing and creates nothing');
          return;
        }
        expectEfi(t, g, EFI.SUCCESS, 'GetVariable of the variable just created');
        t.expectBytes(g.data, c.data.subarray(0, c.size), 'data of the variable just created (DataSize bytes)');
        t.expectEqual(g.attributes, a & ~APPEND, 'attributes of the variable just created', attrName);
      } finally {
        await cl.setVariable(name, guid, 0, new Uint8Array(0)).catch(() => undefined);
      }
    },
  }),
  checkProp<{ fn: bigint; payload: Uint8Array; sizes: (bigint | undefined)[] }>({
    id: 'smm-variable.fuzz.buffer',
    title: 'random payloads for every function never succeed when malformed and never wedge the service',
    spec: MM_ABI,
    clause: CLAUSE.handler,
    level: 'MUST',
    requirement:
      'Whatever payload arrives for any Function code (with NameSize and DataSize fields set to random, oversize or SIZE_MAX values), the service answers; a GET/SET_VARIABLE whose sizes do not fit the payload, or a payload shorter than the function\'s fixed header, is never answered EFI_SUCCESS; afterwards well-formed requests are still served.',
    services: services(),
    numRuns: 80,
    arbitrary: () =>
      fc.record({
        fn: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 14 }).map(BigInt) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) }),
        payload: fc.uint8Array({ maxLength: 96 }),
        sizes: fc.array(fc.option(fc.oneof(fc.bigInt({ min: 0n, max: 128n }), fc.constantFrom(U64_MAX, U64_MAX - 35n, 1n << 63n, 1n << 32n)), { nil: undefined }), { minLength: 2, maxLength: 2 }),
      }),
    show: (v) => `Function ${v.fn}, payload ${v.payload.length} bytes ${hex(v.payload, 48)}, sizes ${v.sizes.map((s) => (s === undefined ? '-' : String(s))).join('/')}`,
    predicate: async (t, { fn, payload, sizes }) => {
      const p = payload.slice();
      const view = new DataView(p.buffer);
      const runGuid = guidBytes(newGuid(t));
      // keep every name this input could create under a GUID of this run
      if (p.length >= 16 && fn !== BigInt(F.QUERY_VARIABLE_INFO) && fn !== BigInt(F.GET_PAYLOAD_SIZE)) p.set(runGuid, 0);
      if (p.length >= 24 && sizes[0] !== undefined) view.setBigUint64(16, sizes[0], true);
      if (p.length >= 32 && sizes[1] !== undefined) view.setBigUint64(24, sizes[1], true);
      // never create an authenticated or unremovable variable from noise
      if (fn === BigInt(F.SET_VARIABLE) && p.length >= 36) p[32] = p[32]! & ~(AT | AW);
      if (fn === BigInt(F.VAR_CHECK_VARIABLE_PROPERTY_SET) || fn === BigInt(F.LOCK_VARIABLE) || fn === BigInt(F.READY_TO_BOOT) || fn === BigInt(F.EXIT_BOOT_SERVICE)) {
        return; // they change state until the next boot; covered by the var-check and runtime checks
      }
      const sentinel = 0x8000_0000_0000_00fen;
      const what = `Function ${fn} with ${p.length} payload byte(s) ${hex(p, 48)}`;
      let r;
      try {
        r = await client(t).communicate(buildCommBuffer(fn, p, { returnStatus: sentinel }), `fuzz ${what}`);
      } catch (e) {
        if (e instanceof TransportError && e.kind === 'remote') return;
        if (e instanceof TransportError && (e.kind === 'timeout' || e.kind === 'disconnected')) t.fail(`${what}: the target stopped answering (${e.message})`, { expected: 'an answer', actual: e.kind });
        throw e;
      }
      if (r.spm === 0 && r.buffer.length >= 40) {
        const status = new DataView(r.buffer.buffer, r.buffer.byteOffset).getBigUint64(32, true);
        const fixed: Record<string, number> = { [F.GET_VARIABLE]: 36, [F.SET_VARIABLE]: 36, [F.GET_NEXT_VARIABLE_NAME]: 24, [F.QUERY_VARIABLE_INFO]: 32, [F.GET_PAYLOAD_SIZE]: 8 };
        const min = fixed[String(fn)];
        if (status === EFI.SUCCESS && min !== undefined && p.length < min) {
          t.fail(`${what}: answered EFI_SUCCESS for a payload shorter than the ${min}-byte fixed part`, { expected: 'an error ReturnStatus', actual: 'EFI_SUCCESS' });
        }
        if (status === EFI.SUCCESS && (fn === BigInt(F.SET_VARIABLE) || fn === BigInt(F.GET_VARIABLE)) && p.length >= ACCESS_VARIABLE_NAME_OFFSET) {
          let broken: string | undefined;
          try {
            accessVariableParts(decodeAccessVariable(p), fn === BigInt(F.SET_VARIABLE));
          } catch (e) {
            broken = (e as Error).message;
          }
          if (broken) t.fail(`${what}: answered EFI_SUCCESS although ${broken}`, { expected: 'an error ReturnStatus', actual: 'EFI_SUCCESS' });
          if (fn === BigInt(F.SET_VARIABLE)) {
            const a = decodeAccessVariable(p);
            const { nameBytes } = accessVariableParts(a, true);
            await client(t).setVariable(nameBytes, a.guid, 0, new Uint8Array(0));
          }
        }
      } else if (r.spm !== 0) {
        t.note(`${what}: ${spmRetName(r.spm)}`);
      }
      await stillServes(t);
    },
  }),
];
