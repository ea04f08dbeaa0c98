// The MM communication buffer itself: EFI_MM_COMMUNICATE_HEADER (v1 and v3),
// SMM_VARIABLE_COMMUNICATE_HEADER, function codes, payload size. A buffer the
// service cannot frame is refused by the MM layer or answered with an error
// ReturnStatus: never success, never a wedged service.
import { U64_MAX, Writer } from '../../protocol/bytes.js';
import {
  EFI,
  GUIDS,
  MM_HEADER_V1_SIZE,
  NV_BS_RT,
  SmmVariableFunction as F,
  buildCommBuffer,
  decodeMmHeader,
  efiStatusName,
  encodeAccessVariable,
  encodeQueryInfo,
  isEfiError,
  spmRetName,
} from '../../protocol/smm-variable/index.js';
import { TransportError } from '../../transports/types.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, CLAUSE, MM_ABI, client, expectAbsent, expectEfi, expectValue, newGuid, newName, pattern, put, services } from './common.js';

/** A ReturnStatus no service writes: if it comes back, the handler left the buffer alone. */
export const SENTINEL = 0x8000_0000_0000_00fen;

const query = (attrs = NV_BS_RT) => encodeQueryInfo({ maximumVariableStorageSize: 0n, remainingVariableStorageSize: 0n, maximumVariableSize: 0n, attributes: attrs });

/** Sends raw buffer bytes; an envelope error frame counts as a refusal. */
async function raw(t: CheckContext, buf: Uint8Array, what: string): Promise<{ spm: number; buffer: Uint8Array } | 'frame-error'> {
  try {
    return await client(t).communicate(buf, `${what} [${buf.length} bytes]`);
  } catch (e) {
    if (e instanceof TransportError && e.kind === 'remote') return 'frame-error';
    throw e;
  }
}

/** A malformed buffer must not be answered success; returns how it was refused. */
async function expectBufferRefused(t: CheckContext, buf: Uint8Array, what: string): Promise<string> {
  const r = await raw(t, buf, what);
  if (r === 'frame-error') return 'envelope error frame';
  if (r.spm !== 0) return spmRetName(r.spm);
  let status: bigint;
  try {
    const h = decodeMmHeader(r.buffer);
    status = new DataView(r.buffer.buffer, r.buffer.byteOffset).getBigUint64(h.headerSize + 8, true);
  } catch {
    return 'MM success, buffer unreadable';
  }
  if (status === SENTINEL) return 'ReturnStatus left untouched';
  if (!isEfiError(status)) {
    t.fail(`${what}: answered MM success with ReturnStatus ${efiStatusName(status)}`, { expected: 'an MM-layer refusal or an error ReturnStatus', actual: efiStatusName(status) });
  }
  return efiStatusName(status);
}

async function stillServes(t: CheckContext): Promise<void> {
  const guid = newGuid(t);
  const name = newName(t, guid);
  const data = pattern(9, 77);
  await put(t, name, guid, NV_BS_RT, data);
  await expectValue(t, name, guid, data, 'a well-formed request after the malformed ones');
}

/** VariablePayloadSize as a precondition (a refusal is a finding). */
async function payloadSize(t: CheckContext): Promise<number> {
  const ps = await client(t).getPayloadSize();
  expectEfi(t, ps, EFI.SUCCESS, 'GET_PAYLOAD_SIZE');
  return Number(ps.payloadSize!);
}

const base = { spec: MM_ABI, level: 'MUST' as const, services: services() };

export default [
  check({
    ...base,
    id: 'smm-variable.mm.round-trip',
    title: 'a well-formed buffer is served and comes back the same size with its headers intact',
    clause: CLAUSE.mmHeader,
    requirement:
      'The caller passes EFI_MM_COMMUNICATE_HEADER (HeaderGuid = gEfiSmmVariableProtocolGuid, MessageLength = bytes of Data) followed by SMM_VARIABLE_COMMUNICATE_HEADER and the payload; the service answers in the same buffer: same length, HeaderGuid, MessageLength and Function unchanged, ReturnStatus written.',
    run: async (t) => {
      const req = buildCommBuffer(F.QUERY_VARIABLE_INFO, query(), { returnStatus: SENTINEL });
      const r = await raw(t, req, 'QueryVariableInfo(NV|BS|RT)');
      if (r === 'frame-error') return t.fail('a well-formed buffer was answered with an envelope error frame');
      t.expectEqual(r.spm, 0, 'MM return code', spmRetName);
      t.expectEqual(r.buffer.length, req.length, 'length of the answered buffer');
      t.expectBytes(r.buffer.subarray(0, 32), req.subarray(0, 32), 'HeaderGuid, MessageLength and Function of the answer');
      const status = new DataView(r.buffer.buffer, r.buffer.byteOffset).getBigUint64(32, true);
      t.expectEqual(status, EFI.SUCCESS, 'ReturnStatus', efiStatusName);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.unknown-header-guid',
    title: 'a buffer addressed to another MM handler is not served as a variable request',
    clause: CLAUSE.mmHeader,
    requirement:
      'HeaderGuid selects the MM handler: a SET_VARIABLE buffer whose HeaderGuid is not gEfiSmmVariableProtocolGuid is not processed by the variable service (no variable is created) and is not answered with EFI_SUCCESS.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const payload = encodeAccessVariable({ guid, name, attributes: NV_BS_RT, data: pattern(4) });
      for (const hg of [GUIDS.GLOBAL_VARIABLE, '00000000-0000-0000-0000-000000000000']) {
        const buf = buildCommBuffer(F.SET_VARIABLE, payload, { guid: hg, returnStatus: SENTINEL });
        t.note(`HeaderGuid ${hg}: ${await expectBufferRefused(t, buf, `SET_VARIABLE under HeaderGuid ${hg}`)}`);
      }
      await expectAbsent(t, name, guid, 'after the misaddressed SetVariable');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.message-length-past-buffer',
    title: 'a MessageLength beyond the buffer is refused',
    clause: CLAUSE.mmHeader,
    requirement:
      'MessageLength counts the bytes of Data that follow the 24-byte header; a buffer whose MessageLength exceeds the bytes present (by one, by 4 GiB, or SIZE_MAX, where 24 + MessageLength wraps) is refused, creates nothing, and the service keeps answering.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const payload = encodeAccessVariable({ guid, name, attributes: NV_BS_RT, data: pattern(4) });
      const len = BigInt(16 + payload.length);
      for (const ml of [len + 1n, len + (1n << 32n), U64_MAX, U64_MAX - 23n]) {
        const buf = buildCommBuffer(F.SET_VARIABLE, payload, { messageLength: ml, returnStatus: SENTINEL });
        t.note(`MessageLength ${ml}: ${await expectBufferRefused(t, buf, `SET_VARIABLE with MessageLength ${ml}`)}`);
      }
      await expectAbsent(t, name, guid, 'after the refused buffers');
      await stillServes(t);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.short-message',
    title: 'a message too short for SMM_VARIABLE_COMMUNICATE_HEADER is not processed and does not wedge the service',
    clause: CLAUSE.handler,
    requirement:
      'A communication buffer smaller than SMM_VARIABLE_COMMUNICATE_HEADER_SIZE (16 bytes of Function and ReturnStatus) is not processed (edk2: "SMM communication buffer size invalid"): the answer, if any, is the buffer of the same size, and the service keeps answering well-formed requests.',
    run: async (t) => {
      for (const n of [0, 8, 15]) {
        const msg = new Writer().u64le(BigInt(F.QUERY_VARIABLE_INFO)).zeros(8).finish().subarray(0, n);
        const buf = new Writer().bytes(buildCommBuffer(0, new Uint8Array(0)).subarray(0, 16)).u64le(BigInt(n)).bytes(msg).finish();
        const r = await raw(t, buf, `message of ${n} bytes`);
        if (r !== 'frame-error' && r.spm === 0) t.expectEqual(r.buffer.length, buf.length, `size of the buffer answered for a ${n}-byte message`);
        const how = r === 'frame-error' ? 'envelope error frame' : r.spm !== 0 ? spmRetName(r.spm) : 'MM success (nothing to report the status in)';
        t.note(`${n}-byte message: ${how}`);
      }
      const tiny = await raw(t, new Uint8Array(10), '10-byte buffer');
      t.note(`10-byte buffer: ${tiny === 'frame-error' ? 'envelope error frame' : spmRetName(tiny.spm)}`);
      await stillServes(t);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.unknown-function',
    title: 'an undefined Function code answers EFI_UNSUPPORTED',
    clause: CLAUSE.handler,
    requirement: 'SmmVariableHandler answers ReturnStatus = EFI_UNSUPPORTED for a Function it does not define (0, 15, 0x100, 2^63); an MM-layer refusal is also accepted. The service keeps answering.',
    run: async (t) => {
      for (const fn of [0n, 15n, 0x100n, 1n << 63n]) {
        const r = await client(t).call(fn, new Uint8Array(64), `SMM_VARIABLE_FUNCTION ${fn}`);
        if (r.spm !== 0) {
          t.note(`Function ${fn}: ${spmRetName(r.spm)}`);
          continue;
        }
        expectEfi(t, r, EFI.UNSUPPORTED, `Function ${fn}`);
      }
      await stillServes(t);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.oversize-buffer',
    title: 'a buffer larger than the MM communication buffer is refused',
    clause: 'optee_os core/arch/arm/kernel/stmm_sp.c stmm_enter_invoke_cmd (NS buffer cap)',
    requirement:
      'The MM communication buffer has a fixed capacity (OP-TEE: 4 pages; a larger buffer gets TEE_ERROR_EXCESS_DATA): a 64 KiB SET_VARIABLE buffer is refused (MM-layer refusal, envelope error, or an error ReturnStatus such as EFI_BAD_BUFFER_SIZE) and creates nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const buf = buildCommBuffer(F.SET_VARIABLE, encodeAccessVariable({ guid, name, attributes: NV_BS_RT, data: pattern(65536, 3) }), { returnStatus: SENTINEL });
      t.note(await expectBufferRefused(t, buf, '64 KiB SET_VARIABLE buffer'));
      await expectAbsent(t, name, guid, 'after the oversize buffer');
      await stillServes(t);
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.payload-size',
    title: 'GET_PAYLOAD_SIZE reports room for a variable request',
    clause: CLAUSE.payloadSize,
    requirement:
      'SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE answers EFI_SUCCESS with VariablePayloadSize, which U-Boot and Linux require to be at least sizeof(SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE) + 0x20 after subtracting 2 (lib/efi_loader/efi_variable_tee.c get_max_payload).',
    run: async (t) => {
      const r = await client(t).getPayloadSize();
      expectEfi(t, r, EFI.SUCCESS, 'GET_PAYLOAD_SIZE');
      t.note(`VariablePayloadSize = ${r.payloadSize}`);
      t.assert(r.payloadSize! - 2n >= 36n + 32n, `VariablePayloadSize ${r.payloadSize} leaves less than 68 bytes after U-Boot subtracts 2`, {
        expected: '>= 70',
        actual: String(r.payloadSize),
      });
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.payload-size-honoured',
    title: 'a request of the advertised payload size is served',
    clause: CLAUSE.payloadSize,
    requirement:
      'A client sizes its buffers from VariablePayloadSize (U-Boot trims GetVariable DataSize to it): a GetVariable whose payload is VariablePayloadSize - 2 bytes is served (EFI_SUCCESS with the data), not refused as oversize.',
    run: async (t) => {
      const size = await payloadSize(t);
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(20, 5);
      await put(t, name, guid, NV_BS_RT, data);
      const room = size - 2 - 36 - (name.length + 1) * 2;
      if (room < data.length) t.unsupported(`VariablePayloadSize ${size} leaves no room for the test data`);
      if (room > 1 << 20) t.unsupported(`VariablePayloadSize ${size} is too large to send`);
      const r = await client(t).getVariable(name, guid, room);
      expectEfi(t, r, EFI.SUCCESS, `GetVariable with DataSize ${room} (payload of VariablePayloadSize - 2 bytes)`);
      t.expectBytes(r.data, data, 'data returned');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.payload-over-limit',
    title: 'a payload larger than VariablePayloadSize is not served',
    clause: CLAUSE.handler,
    requirement:
      'SmmVariableHandler refuses a payload larger than mVariableBufferPayloadSize ("SMM communication buffer payload size invalid"): a SET_VARIABLE whose payload exceeds the advertised VariablePayloadSize by 64 bytes creates nothing and is not answered EFI_SUCCESS.',
    run: async (t) => {
      const size = await payloadSize(t);
      const guid = newGuid(t);
      const name = newName(t, guid);
      const over = size + 64 - 36 - (name.length + 1) * 2;
      const buf = buildCommBuffer(F.SET_VARIABLE, encodeAccessVariable({ guid, name, attributes: NV_BS_RT, data: pattern(over, 9) }), { returnStatus: SENTINEL });
      t.note(await expectBufferRefused(t, buf, `SET_VARIABLE with a payload of VariablePayloadSize + 64 bytes`));
      await expectAbsent(t, name, guid, 'after the oversize payload');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.error-written-for-broken-buffer',
    title: 'a broken buffer gets an error status even when the caller zeroed ReturnStatus',
    level: 'SHOULD',
    clause: CLAUSE.handler,
    requirement:
      'U-Boot and Linux calloc the buffer, so a ReturnStatus the service does not write reads as EFI_SUCCESS: for a payload shorter than the function\'s fixed header, or one larger than the payload size, the service should write an error into ReturnStatus (or refuse at the MM layer) rather than return with the buffer untouched (edk2 SmmVariableHandler returns early without writing it).',
    run: async (t) => {
      const ps = await client(t).getPayloadSize();
      const cases: [string, Uint8Array][] = [
        ['SET_VARIABLE with a 20-byte payload', buildCommBuffer(F.SET_VARIABLE, new Uint8Array(20))],
        ['GET_VARIABLE with a 35-byte payload', buildCommBuffer(F.GET_VARIABLE, new Uint8Array(35))],
        ['GET_NEXT_VARIABLE_NAME with a 20-byte payload', buildCommBuffer(F.GET_NEXT_VARIABLE_NAME, new Uint8Array(20))],
        ['QUERY_VARIABLE_INFO with a 24-byte payload', buildCommBuffer(F.QUERY_VARIABLE_INFO, new Uint8Array(24))],
      ];
      if (ps.spm === 0 && ps.status === EFI.SUCCESS && ps.payloadSize! < 1n << 20n) {
        cases.push(['SET_VARIABLE with a payload over VariablePayloadSize', buildCommBuffer(F.SET_VARIABLE, new Uint8Array(Number(ps.payloadSize!) + 8))]);
      }
      for (const [what, buf] of cases) {
        const r = await raw(t, buf, what);
        if (r === 'frame-error' || r.spm !== 0) continue;
        const status = new DataView(r.buffer.buffer, r.buffer.byteOffset).getBigUint64(MM_HEADER_V1_SIZE + 8, true);
        if (!isEfiError(status)) {
          t.nonStrict(`${what}: ReturnStatus came back ${efiStatusName(status)}; a caller that zeroed the buffer reads success`, { expected: 'an error ReturnStatus', actual: efiStatusName(status) });
        }
      }
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.header-v3',
    title: 'a request in an EFI_MM_COMMUNICATE_HEADER_V3 buffer is served like v1',
    clause: CLAUSE.mmHeaderV3,
    capabilities: [CAP.v3],
    requirement:
      'Standalone MM distinguishes v1 from v3 by HeaderGuid (gEfiMmCommunicateHeaderV3Guid); in a v3 buffer (BufferSize = whole buffer, MessageGuid = gEfiSmmVariableProtocolGuid, MessageSize) SetVariable and GetVariable behave as in a v1 buffer.',
    run: async (t) => {
      const v3 = client(t, { headerVersion: 3 });
      const guid = newGuid(t);
      const name = newName(t, guid);
      const data = pattern(11, 4);
      const s = await v3.setVariable(name, guid, NV_BS_RT, data);
      t.optional(CAP.v3, s.spm !== 0, `the v3 buffer was refused with ${spmRetName(s.spm)}`);
      expectEfi(t, s, EFI.SUCCESS, 'SetVariable in a v3 buffer');
      const g = await v3.getVariable(name, guid, 32);
      expectEfi(t, g, EFI.SUCCESS, 'GetVariable in a v3 buffer');
      t.expectBytes(g.data, data, 'data read through a v3 buffer');
      await expectValue(t, name, guid, data, 'read back through a v1 buffer');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.header-v3-buffer-size',
    title: 'a v3 BufferSize that disagrees with the buffer is refused',
    clause: CLAUSE.mmHeaderV3,
    capabilities: [CAP.v3],
    requirement: 'In EFI_MM_COMMUNICATE_HEADER_V3, BufferSize is the size of the whole buffer including the header: a BufferSize larger than the buffer (or SIZE_MAX) is refused and creates nothing.',
    run: async (t) => {
      const guid = newGuid(t);
      const name = newName(t, guid);
      const payload = encodeAccessVariable({ guid, name, attributes: NV_BS_RT, data: pattern(4) });
      const good = buildCommBuffer(F.SET_VARIABLE, payload, { version: 3 });
      for (const bs of [BigInt(good.length + 1), BigInt(good.length) + (1n << 32n), U64_MAX]) {
        const buf = buildCommBuffer(F.SET_VARIABLE, payload, { version: 3, bufferSize: bs, returnStatus: SENTINEL });
        t.note(`BufferSize ${bs}: ${await expectBufferRefused(t, buf, `v3 buffer with BufferSize ${bs}`)}`);
      }
      await expectAbsent(t, name, guid, 'after the refused v3 buffers');
    },
  }),
  check({
    ...base,
    id: 'smm-variable.mm.garbage-header',
    title: 'a buffer of random bytes never succeeds and does not wedge the service',
    clause: CLAUSE.mmHeader,
    requirement: 'Bytes that are not a communication buffer (all 0xff, random) are refused or answered with an error, and the service keeps answering well-formed requests.',
    run: async (t) => {
      const ff = new Uint8Array(64).fill(0xff);
      t.note(`64 x 0xff: ${await expectBufferRefused(t, ff, '64 bytes of 0xff')}`);
      const zeros = new Uint8Array(64);
      const r = await raw(t, zeros, '64 zero bytes');
      t.note(`64 zero bytes: ${r === 'frame-error' ? 'envelope error frame' : spmRetName(r.spm)}`);
      await stillServes(t);
    },
  }),
];
