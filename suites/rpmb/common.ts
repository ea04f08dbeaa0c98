// Shared by the rpmb checks: the device under test and its key, the scratch
// blocks a check may overwrite, factory-fresh devices, and the RPMB
// operations spelled as a host sends them (request frames, result read,
// CMD18), each returning the decoded response frames.
import { sha256 } from '@noble/hashes/sha2.js';
import { RpmbClient } from '../../clients/rpmb.js';
import { Writer, bytesEqual, fromHex, hex } from '../../protocol/bytes.js';
import {
  BLOCK_SIZE,
  NONCE_SIZE,
  OFF,
  RpmbReq,
  RpmbResult,
  blocksForSizeMult,
  computeMac,
  counterReadRequest,
  dataReadRequest,
  dataWriteRequest,
  decodeFrame,
  encodeFrame,
  keyProgramRequest,
  resultName,
  resultReadRequest,
  responseTypeFor,
  reqRespName,
  type RpmbFrame,
} from '../../protocol/rpmb/frame.js';
import { DEV_INFO_RET, OPTEE_TEST_KEY, RPMB_EMU_CID, TEEC, type DevInfo } from '../../protocol/rpmb/optee.js';
import type { StatusDomain } from '../harness/signals.js';
import { TEEC_STATUS } from '../harness/status-names.js';
import type { CheckContext } from '../harness/types.js';

export const JEDEC = 'JEDEC JESD84-B51 (eMMC 5.1)';
export const OPTEE = 'OP-TEE RPMB RPC: optee_os core/tee/tee_rpmb_fs.c, optee_client tee-supplicant/src/rpmb.c';
export const VM_SPEC = 'fwsec shared RPMB for virtual machines (docs/rpmb.md)';
export const PSA_SPEC = 'PSA Certified Secure Storage API 1.0.4';

export const CL = {
  rpmb: '6.6.22 Replay Protected Memory Block',
  key: '6.6.22.4.1 Programming of the Authentication Key',
  counter: '6.6.22.4.2 Reading of the Counter Value',
  write: '6.6.22.4.3 Authenticated Data Write',
  read: '6.6.22.4.4 Authenticated Data Read',
  config: '6.6.22 Replay Protected Memory Block (authenticated device configuration, secure write protection)',
} as const;

export const CAP = {
  devId: 'rpmb.dev-id',
  key: 'rpmb.key',
  keyProgrammed: 'rpmb.key-programmed',
  scratchFirst: 'rpmb.scratch-first',
  scratchCount: 'rpmb.scratch-count',
  testHooks: 'rpmb.test-hooks',
  deviceConfig: 'rpmb.device-config',
  vm: 'rpmb.vm',
  backsIts: 'rpmb.backs-its',
} as const;

/** RPMB result codes (inside frames) by name. */
export const RESULT: StatusDomain = { name: resultName };

export interface Device {
  devId: number;
  key: Uint8Array;
  sizeMult: number;
  relWrSecC: number;
  blocks: number;
  cid: Uint8Array;
}

export function rpmb(t: CheckContext): RpmbClient {
  return new RpmbClient(t.channel('rpmb'));
}

/** Largest authenticated write the device announces: 2 × REL_WR_SEC_C frames (OP-TEE's rel_wr_blkcnt). */
export function maxWrite(d: Device): number {
  return Math.max(1, d.relWrSecC * 2);
}

/** A fresh 16-byte nonce, derived from the check's seed so a replay sends the same bytes. */
export function nonce(t: CheckContext): Uint8Array {
  const seed = new Writer(12).u32le(t.checkSeed).u32le(t.runNonce).u32le(t.unique()).finish();
  return sha256(seed).subarray(0, NONCE_SIZE);
}

/** 256 bytes, distinct per salt and per run. */
export function blockPattern(t: CheckContext, salt: number): Uint8Array {
  const out = new Uint8Array(BLOCK_SIZE);
  const h = sha256(new Writer(8).u32le(t.runNonce).u32le(salt).finish());
  for (let i = 0; i < BLOCK_SIZE; i++) out[i] = h[i % 32]! ^ (i * 13 + salt);
  return out;
}

export function profileKey(t: CheckContext): Uint8Array {
  const v = t.cap(CAP.key);
  if (typeof v === 'string') {
    try {
      const k = fromHex(v);
      if (k.length === 32) return k;
    } catch {
      /* reported below */
    }
    t.unsupported(`the profile's ${CAP.key} is not 32 bytes of hex`);
  }
  return OPTEE_TEST_KEY;
}

async function describe(t: CheckContext, devId: number, key: Uint8Array): Promise<Device | string> {
  const r = await rpmb(t).devInfo(devId);
  if (r.status !== (TEEC.SUCCESS | 0)) return `RPMB_CMD_GET_DEV_INFO(dev_id=${devId}) answered ${TEEC_STATUS.name(r.status)}`;
  const i = r.info!;
  if (i.retCode !== DEV_INFO_RET.OK) return `RPMB_CMD_GET_DEV_INFO(dev_id=${devId}) answered ret_code ${i.retCode}`;
  if (i.rpmbSizeMult < 1 || i.rpmbSizeMult > 128) return `dev_id ${devId} reports rpmb_size_mult ${i.rpmbSizeMult}`;
  return { devId, key, sizeMult: i.rpmbSizeMult, relWrSecC: i.relWrSecC, blocks: blocksForSizeMult(i.rpmbSizeMult), cid: i.cid };
}

/** Any served device, described by GET_DEV_INFO, with the key the caller will use for it. */
export async function deviceById(t: CheckContext, devId: number, key: Uint8Array): Promise<Device> {
  const d = await describe(t, devId, key);
  if (typeof d === 'string') t.fail(d);
  return d;
}

export async function deviceInfo(t: CheckContext, devId: number): Promise<DevInfo | undefined> {
  const r = await rpmb(t).devInfo(devId);
  return r.status === (TEEC.SUCCESS | 0) ? r.info : undefined;
}

/** The device under test (profile rpmb.dev-id, default 0) with the profile's key. */
export async function dut(t: CheckContext): Promise<Device> {
  const d = await describe(t, t.capNumber(CAP.devId) ?? 0, profileKey(t));
  if (typeof d === 'string') t.unsupported(`no device under test: ${d}`);
  return d;
}

/** The device under test, its key programmed (else UNSUPPORTED: rpmb.key.program programs it). */
export async function keyed(t: CheckContext): Promise<Device> {
  const d = await dut(t);
  const c = await counterRead(t, d);
  if ((c.f.result & 0x7f) === RpmbResult.KEY_NOT_PROGRAMMED) {
    t.unsupported(`the key of dev_id ${d.devId} is not programmed; rpmb.key.program (destructive) programs ${CAP.key}`);
  }
  return d;
}

/** `n` consecutive blocks the profile lets checks overwrite (rpmb.scratch-first/-count). */
export function scratch(t: CheckContext, d: Device, n: number, salt = 0): number {
  const first = t.capNumber(CAP.scratchFirst);
  const count = t.capNumber(CAP.scratchCount);
  if (first === undefined || count === undefined) {
    t.unsupported(`writing needs blocks the profile lets checks overwrite (${CAP.scratchFirst}, ${CAP.scratchCount})`);
  }
  const end = Math.min(first + count, d.blocks);
  if (end - first < n) t.unsupported(`the declared scratch range has fewer than ${n} block(s) on a ${d.blocks}-block device`);
  const span = end - first - n + 1;
  return first + ((t.unique() * 37 + salt * 11) % span);
}

/** The first address past the partition; a 16 MiB partition uses every 16-bit address and has none. */
export function pastEnd(t: CheckContext, d: Device): number {
  if (d.blocks > 0xffff) t.unsupported(`a ${d.blocks}-block partition uses every 16-bit address: there is no address past its end`);
  return d.blocks;
}

/** Whether the last block of the device lies inside the declared scratch range. */
export function lastBlockScratch(t: CheckContext, d: Device): boolean {
  const first = t.capNumber(CAP.scratchFirst);
  const count = t.capNumber(CAP.scratchCount);
  return first !== undefined && count !== undefined && first + count >= d.blocks && first <= d.blocks - 1;
}

export interface FreshOptions {
  sizeMult?: number;
  relWrSecC?: number;
  initialCounter?: number;
  deviceConfig?: boolean;
}

/**
 * A device whose key is not programmed: a new test device (rpmb.test-hooks),
 * or the device under test when the profile declares rpmb.key-programmed =
 * false and it is still blank.
 */
export async function freshDevice(t: CheckContext, o: FreshOptions = {}): Promise<Device> {
  const spec = {
    sizeMult: o.sizeMult ?? 2,
    relWrSecC: o.relWrSecC ?? 1,
    deviceConfig: o.deviceConfig ?? true,
    initialCounter: o.initialCounter ?? 0,
    cid: RPMB_EMU_CID,
  };
  if (t.cap(CAP.testHooks) !== false) {
    const r = await rpmb(t).newTestDevice(spec);
    if (r.status === (TEEC.SUCCESS | 0)) {
      const d = await describe(t, r.devId!, profileKey(t));
      if (typeof d === 'string') t.fail(`the new test device: ${d}`);
      return d;
    }
    if (r.status !== (TEEC.ERROR_NOT_SUPPORTED | 0)) t.fail(`TEST_NEW_DEVICE answered ${TEEC_STATUS.name(r.status)}`);
  }
  if (o.initialCounter || o.sizeMult) {
    t.optional(CAP.testHooks, true, 'this check needs a test device of a chosen size or initial counter (TEST_NEW_DEVICE)');
  }
  if (t.cap(CAP.keyProgrammed) === false) {
    const d = await dut(t);
    const c = await counterRead(t, d);
    if ((c.f.result & 0x7f) !== RpmbResult.KEY_NOT_PROGRAMMED) {
      t.unsupported(`the device under test (dev_id ${d.devId}) has its key programmed already and the target has no TEST_NEW_DEVICE hook`);
    }
    return d;
  }
  return t.optional(CAP.testHooks, true, `no device with an unprogrammed key: no TEST_NEW_DEVICE hook, and the profile does not declare ${CAP.keyProgrammed} = false`) as never;
}

// ---- operations ----
//
// Everything a host does through tee-supplicant goes as OP-TEE sends it
// (OPTEE_RPC_CMD_RPMB, RPMB_CMD_DATA_REQ), so the checks run over any path
// that relays OP-TEE's RPC: the supplicant's write + result read + read, or
// request + read, sequences. Only what that path cannot express (a write
// whose result is never read, key programming without the reliable-write bit)
// uses the SEQUENCE opcode.

export interface Answer {
  raw: Uint8Array;
  f: RpmbFrame;
}

function one(frames: Uint8Array[]): Answer {
  return { raw: frames[0]!, f: decodeFrame(frames[0]!) };
}

/** Fails the check with the TEEC status when the rpmb service refused the call. */
function served(t: CheckContext, status: number, what: string): void {
  if (status !== (TEEC.SUCCESS | 0)) t.fail(`${what}: the rpmb service answered ${TEEC_STATUS.name(status)}`, { expected: 'TEEC_SUCCESS', actual: TEEC_STATUS.name(status) });
}

/** One request as tee-supplicant relays it (rpmb_req block_count = response frames of a data read). */
async function dataRequest(t: CheckContext, d: Device, frames: readonly Uint8Array[], responses: number, what: string, blockCount = 0): Promise<Uint8Array[]> {
  const r = await rpmb(t).opteeDataRequest(d.devId, frames, blockCount, responses);
  served(t, r.status, what);
  return r.frames;
}

export async function counterRead(t: CheckContext, d: Device, n: Uint8Array = nonce(t)): Promise<Answer & { nonce: Uint8Array }> {
  return { ...one(await dataRequest(t, d, [counterReadRequest(n)], 1, 'write counter read request')), nonce: n };
}

/** The counter, read with a result OK (anything else fails the check). */
export async function counter(t: CheckContext, d: Device): Promise<number> {
  const c = await counterRead(t, d);
  t.expectStatus(RESULT, c.f.result & 0x7f, RpmbResult.OK, `write counter read on dev_id ${d.devId}`);
  return c.f.writeCounter;
}

/** CMD25 with request frames only: no result read follows (the SEQUENCE opcode). */
export async function send(t: CheckContext, d: Device, frames: readonly Uint8Array[], reliable = true): Promise<void> {
  const r = await rpmb(t).sequence(d.devId, frames, 0, reliable);
  served(t, r.status, 'request frames (CMD25)');
}

/** Result read request, then the response frame (CMD25 type 0x0005, CMD18). */
export async function resultRead(t: CheckContext, d: Device): Promise<Answer> {
  return one(await dataRequest(t, d, [resultReadRequest()], 1, 'result read request'));
}

/** An authenticated write as hosts send it: request frames, result read request, response (one DATA_REQ). */
export async function writeFrames(t: CheckContext, d: Device, frames: readonly Uint8Array[], reliable = true): Promise<Answer> {
  if (!reliable) {
    await send(t, d, frames, false);
    return resultRead(t, d);
  }
  return one(await dataRequest(t, d, frames, 1, `${frames.length}-frame write request`));
}

export function writeRequest(d: Device, address: number, count: number, blocks: readonly Uint8Array[], key = d.key): Uint8Array[] {
  return dataWriteRequest(key, address, count, blocks);
}

/** Writes blocks with the current counter; returns the response and the counter used. */
export async function write(t: CheckContext, d: Device, address: number, blocks: readonly Uint8Array[]): Promise<Answer & { before: number; request: Uint8Array[] }> {
  const before = await counter(t, d);
  const request = writeRequest(d, address, before, blocks);
  return { ...(await writeFrames(t, d, request)), before, request };
}

/** Writes and requires result OK (a precondition of the check). */
export async function mustWrite(t: CheckContext, d: Device, address: number, blocks: readonly Uint8Array[]): Promise<number> {
  const w = await write(t, d, address, blocks);
  if (w.f.result !== RpmbResult.OK) {
    const hint = w.f.result === RpmbResult.AUTH_FAILURE ? ` (is ${CAP.key} the device's key?)` : '';
    t.fail(`precondition: authenticated write of ${blocks.length} block(s) at ${address} answered ${resultName(w.f.result)}${hint}`, {
      expected: resultName(RpmbResult.OK),
      actual: resultName(w.f.result),
    });
  }
  return w.before;
}

export async function read(t: CheckContext, d: Device, address: number, count: number, n: Uint8Array = nonce(t), requestBlockCount = 0): Promise<{ frames: RpmbFrame[]; raw: Uint8Array[]; nonce: Uint8Array }> {
  const raw = await dataRequest(t, d, [dataReadRequest(address, n, requestBlockCount)], count, `authenticated data read of ${count} block(s)`, count);
  return { frames: raw.map(decodeFrame), raw, nonce: n };
}

/** Reads and requires result OK; returns the data of each block. */
export async function mustRead(t: CheckContext, d: Device, address: number, count: number): Promise<Uint8Array[]> {
  const r = await read(t, d, address, count);
  const last = r.frames[count - 1]!;
  t.expectStatus(RESULT, last.result & 0x7f, RpmbResult.OK, `authenticated data read of ${count} block(s) at ${address}`);
  return r.frames.map((f) => f.data);
}

export async function programKey(t: CheckContext, d: Device, key: Uint8Array, reliable = true): Promise<Answer> {
  return writeFrames(t, d, [keyProgramRequest(key)], reliable);
}

// ---- judging frames ----

export function expectType(t: CheckContext, f: RpmbFrame, req: number, what: string): void {
  const want = responseTypeFor(req);
  if (f.reqResp !== want) t.fail(`${what}: response type ${reqRespName(f.reqResp)}`, { expected: reqRespName(want), actual: reqRespName(f.reqResp) });
}

export function expectResult(t: CheckContext, f: RpmbFrame, expected: number | readonly number[], what: string): void {
  t.expectStatus(RESULT, f.result, expected, what);
}

/** The MAC in the last frame is HMAC-SHA256(key, bytes 228..511 of every frame). */
export function expectMac(t: CheckContext, key: Uint8Array, raw: readonly Uint8Array[], what: string): void {
  const want = computeMac(key, raw);
  const got = raw[raw.length - 1]!.subarray(OFF.keyMac, OFF.keyMac + 32);
  if (!bytesEqual(want, got)) {
    t.fail(`${what}: the MAC is not HMAC-SHA256 over bytes 228..511 of the ${raw.length} response frame(s) with the device key`, {
      expected: hex(want),
      actual: hex(got),
    });
  }
}

export function macMatches(key: Uint8Array, raw: readonly Uint8Array[]): boolean {
  return bytesEqual(computeMac(key, raw), raw[raw.length - 1]!.subarray(OFF.keyMac, OFF.keyMac + 32));
}

/** The response carries back the request's nonce. */
export function expectNonce(t: CheckContext, got: Uint8Array, sent: Uint8Array, what: string): void {
  if (!bytesEqual(got, sent)) t.fail(`${what}: the response nonce is not the request's`, { expected: hex(sent), actual: hex(got) });
}

export function expectData(t: CheckContext, got: Uint8Array, want: Uint8Array, what: string): void {
  t.expectBytes(got, want, what);
}

/** Flips one bit of a frame copy. */
export function flip(frame: Uint8Array, offset: number, bit = 0): Uint8Array {
  const c = frame.slice();
  c[offset]! ^= 1 << bit;
  return c;
}

export { RpmbReq, RpmbResult, encodeFrame, BLOCK_SIZE };
