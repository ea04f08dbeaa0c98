// An eMMC RPMB device as the host sees it through MMC commands (JESD84-B51
// 6.6.22): CMD23+CMD25 write request frames, CMD23+CMD18 read response
// frames. The same engine serves the board's physical eMMC, the test
// devices, and each guest's virtual RPMB; only the RpmbStore behind it
// differs.
//
// Semantics (JESD84-B51 6.6.22.4; order of the write checks as in the UFS
// text JESD220G 12.4.7.3.3, which restates eMMC's):
//   - key programming: one frame, reliable write, once; afterwards GENERAL_FAILURE
//   - counter read: nonce echoed, counter, MAC; KEY_NOT_PROGRAMMED before a key exists
//   - data write: expired? -> address -> block count -> MAC -> counter; the
//     counter grows by one per authenticated write request, not per block;
//     a failed write changes nothing and reports the current counter
//   - data read: CMD18's block count decides (the request frame carries 0);
//     every response frame carries the nonce, the start address and the
//     block count; the MAC over all frames is in the last one
//   - result read: returns the result register, which every request but a
//     result read overwrites; it does not survive a power cycle
//   - bit 7 of every result once the counter has reached 0xFFFFFFFF
import {
  BLOCK_SIZE,
  COUNTER_MAX,
  FRAME_SIZE,
  KEY_SIZE,
  NONCE_SIZE,
  OFF,
  RESULT_COUNTER_EXPIRED,
  RpmbReq,
  RpmbResult,
  blocksForSizeMult,
  computeMac,
  decodeFrame,
  encodeFrame,
  frameType,
  responseTypeFor,
} from '../../protocol/rpmb/frame.js';

export interface RpmbDeviceInfo {
  /** EXT_CSD[168] RPMB_SIZE_MULT (1..128). */
  sizeMult: number;
  /** EXT_CSD[222] REL_WR_SEC_C: an authenticated write may carry 1 .. 2 × this many frames. */
  relWrSecC: number;
  cid: Uint8Array;
  /** Authenticated device configuration (request types 6 and 7) implemented. */
  deviceConfig: boolean;
}

export interface RpmbNvState {
  key?: Uint8Array;
  counter: number;
  /** [SECURE_WP_MODE_ENABLE, SECURE_WP_MODE_CONFIG] (device configuration addresses 1 and 2). */
  config: Uint8Array;
}

/** Where a device keeps what survives a power cycle. Every method is atomic. */
export interface RpmbStore {
  /** The state at power-on. */
  load(): Promise<RpmbNvState>;
  readBlocks(address: number, count: number): Promise<Uint8Array[]>;
  /** Writes the blocks and the new counter together: after a crash, both or neither. */
  writeBlocks(address: number, blocks: readonly Uint8Array[], counter: number): Promise<void>;
  programKey(key: Uint8Array): Promise<void>;
  writeConfig(config: Uint8Array, counter: number): Promise<void>;
}

type Pending =
  | { kind: 'none' }
  | { kind: 'result' }
  | { kind: 'counter'; nonce: Uint8Array }
  | { kind: 'read'; address: number; nonce: Uint8Array }
  | { kind: 'config-read'; nonce: Uint8Array };

/** The result register: what a result read request answers. */
export interface ResultRegister {
  type: number;
  result: number;
  counter: number;
  address: number;
  nonce: Uint8Array;
  mac: boolean;
}

const ZERO_NONCE = new Uint8Array(NONCE_SIZE);

export class EmmcRpmb {
  readonly blocks: number;
  private nv: RpmbNvState = { counter: 0, config: new Uint8Array(2) };
  private pending: Pending = { kind: 'none' };
  private register: ResultRegister | undefined;
  private powered = false;
  /** Frames handled, for benchmarks. */
  framesIn = 0;
  framesOut = 0;

  constructor(
    readonly info: RpmbDeviceInfo,
    protected readonly store: RpmbStore,
  ) {
    if (!Number.isInteger(info.sizeMult) || info.sizeMult < 1 || info.sizeMult > 128) {
      throw new RangeError(`RPMB size multiplier must be 1..128, got ${info.sizeMult}`);
    }
    this.blocks = blocksForSizeMult(info.sizeMult);
  }

  /** Power-on: reads key, counter and configuration; volatile registers start empty. */
  async powerOn(): Promise<this> {
    this.nv = await this.store.load();
    this.pending = { kind: 'none' };
    this.saveResult(undefined);
    this.powered = true;
    return this;
  }

  get keyProgrammed(): boolean {
    return this.nv.key !== undefined;
  }

  get counter(): number {
    return this.nv.counter;
  }

  /** Largest number of frames one authenticated write may carry. */
  get maxWriteBlocks(): number {
    return Math.max(1, this.info.relWrSecC * 2);
  }

  /**
   * One MMC sequence: CMD23(n, reliable)+CMD25 with `write` (if any), then
   * CMD23(m)+CMD18 reading `readCount` frames (if any).
   */
  async transact(write: readonly Uint8Array[], readCount: number, reliable: boolean): Promise<Uint8Array[]> {
    if (!this.powered) await this.powerOn();
    for (const f of write) if (f.length !== FRAME_SIZE) throw new RangeError(`RPMB frames are ${FRAME_SIZE} bytes`);
    this.framesIn += write.length;
    if (write.length) await this.cmd25(write, reliable);
    if (readCount <= 0) return [];
    this.framesOut += readCount;
    return this.cmd18(readCount);
  }

  // ---- behaviours a faulty device overrides (test/helpers) ----

  /** MAC of a message, as this device computes it. */
  protected mac(key: Uint8Array, frames: readonly Uint8Array[]): Uint8Array {
    return computeMac(key, frames);
  }
  /** The counter after a successful write of `blocks` frames. */
  protected counterAfterWrite(counter: number, _blocks: number): number {
    return counter + 1;
  }
  /** Whether a write request's counter is the one the device holds. */
  protected counterAccepted(requested: number, current: number): boolean {
    return requested === current;
  }
  /** The address carried by frame `index` of a read response. */
  protected readFrameAddress(start: number, _index: number): number {
    return start;
  }
  /** The nonce a response carries back. */
  protected echoNonce(nonce: Uint8Array): Uint8Array {
    return nonce;
  }
  /** Whether a key programming request may (re)program the key. */
  protected keyProgrammable(): boolean {
    return !this.keyProgrammed;
  }
  /** Keeps the result register (a device has one; a multiplexer must keep one per guest). */
  protected saveResult(r: ResultRegister | undefined): void {
    this.register = r;
  }
  protected loadResult(): ResultRegister | undefined {
    return this.register;
  }
  /** Whether [address, address + count) lies inside the partition. */
  protected inRange(address: number, count: number): boolean {
    return address < this.blocks && address + count <= this.blocks;
  }

  // ---- the command state machine ----

  private expired(): boolean {
    return this.nv.counter >= COUNTER_MAX;
  }

  private withExpiry(result: number): number {
    return this.keyProgrammed && this.expired() ? result | RESULT_COUNTER_EXPIRED : result;
  }

  private setRegister(type: number, result: number, extra: Partial<ResultRegister> = {}): void {
    this.saveResult({
      type,
      result,
      counter: extra.counter ?? (this.keyProgrammed ? this.nv.counter : 0),
      address: extra.address ?? 0,
      nonce: extra.nonce ?? ZERO_NONCE,
      mac: extra.mac ?? false,
    });
  }

  private macValid(frames: readonly Uint8Array[]): boolean {
    const want = this.mac(this.nv.key!, frames);
    const got = frames[frames.length - 1]!.subarray(OFF.keyMac, OFF.keyMac + KEY_SIZE);
    let diff = 0;
    for (let i = 0; i < KEY_SIZE; i++) diff |= want[i]! ^ got[i]!;
    return diff === 0;
  }

  private async cmd25(frames: readonly Uint8Array[], reliable: boolean): Promise<void> {
    const type = frameType(frames[0]!);
    if (frames.some((f) => frameType(f) !== type)) {
      this.setRegister(responseTypeFor(type), RpmbResult.GENERAL_FAILURE);
      this.pending = { kind: 'result' };
      return;
    }
    const first = decodeFrame(frames[0]!);
    switch (type) {
      case RpmbReq.KEY_PROGRAM:
        this.setRegister(responseTypeFor(type), await this.keyProgram(frames, reliable));
        this.pending = { kind: 'result' };
        return;
      case RpmbReq.DATA_WRITE: {
        const result = await this.dataWrite(frames, reliable);
        this.setRegister(responseTypeFor(type), this.withExpiry(result), {
          address: first.address,
          nonce: first.nonce,
          mac: this.keyProgrammed,
        });
        this.pending = { kind: 'result' };
        return;
      }
      case RpmbReq.CONFIG_WRITE: {
        if (!this.info.deviceConfig) break;
        const result = await this.configWrite(frames, reliable);
        this.setRegister(responseTypeFor(type), this.withExpiry(result), { address: first.address, mac: this.keyProgrammed });
        this.pending = { kind: 'result' };
        return;
      }
      case RpmbReq.COUNTER_READ:
      case RpmbReq.DATA_READ:
      case RpmbReq.CONFIG_READ: {
        if (type === RpmbReq.CONFIG_READ && !this.info.deviceConfig) break;
        if (frames.length !== 1) break;
        // any request other than a result read overwrites the result register
        this.setRegister(responseTypeFor(type), this.withExpiry(RpmbResult.OK));
        const nonce = first.nonce.slice();
        this.pending =
          type === RpmbReq.COUNTER_READ
            ? { kind: 'counter', nonce }
            : type === RpmbReq.DATA_READ
              ? { kind: 'read', address: first.address, nonce }
              : { kind: 'config-read', nonce };
        return;
      }
      case RpmbReq.RESULT_READ:
        this.pending = { kind: 'result' };
        return;
    }
    // unknown request type, or a request this device does not implement
    this.setRegister(responseTypeFor(type), this.withExpiry(RpmbResult.GENERAL_FAILURE));
    this.pending = { kind: 'result' };
  }

  private async keyProgram(frames: readonly Uint8Array[], reliable: boolean): Promise<number> {
    // JESD84-B51 6.6.22.4.1: CMD23 block count 1 with bit 31 (reliable write), else General Failure
    if (frames.length !== 1 || !reliable) return RpmbResult.GENERAL_FAILURE;
    if (!this.keyProgrammable()) return RpmbResult.GENERAL_FAILURE;
    const key = frames[0]!.slice(OFF.keyMac, OFF.keyMac + KEY_SIZE);
    try {
      await this.store.programKey(key);
    } catch {
      return RpmbResult.WRITE_FAILURE;
    }
    this.nv = { ...this.nv, key };
    return RpmbResult.OK;
  }

  /** Checks shared by authenticated writes (data and configuration), in the JEDEC order. */
  private checkWrite(frames: readonly Uint8Array[], reliable: boolean, address: number, count: number, rangeOk: boolean): number {
    if (!this.keyProgrammed) return RpmbResult.KEY_NOT_PROGRAMMED;
    if (this.expired()) return RpmbResult.WRITE_FAILURE | RESULT_COUNTER_EXPIRED;
    if (!rangeOk) return RpmbResult.ADDRESS_FAILURE;
    if (!reliable || count > this.maxWriteBlocks) return RpmbResult.GENERAL_FAILURE;
    // every frame: the start address of the whole access and the total block count
    for (const f of frames) {
      const d = decodeFrame(f);
      if (d.address !== address || d.blockCount !== count) return RpmbResult.GENERAL_FAILURE;
    }
    if (!this.macValid(frames)) return RpmbResult.AUTH_FAILURE;
    const requested = decodeFrame(frames[frames.length - 1]!).writeCounter;
    if (!this.counterAccepted(requested, this.nv.counter)) return RpmbResult.COUNTER_FAILURE;
    return RpmbResult.OK;
  }

  private async dataWrite(frames: readonly Uint8Array[], reliable: boolean): Promise<number> {
    const first = decodeFrame(frames[0]!);
    const n = frames.length;
    const check = this.checkWrite(frames, reliable, first.address, n, this.inRange(first.address, n));
    if (check !== RpmbResult.OK) return check;
    const next = Math.min(COUNTER_MAX, this.counterAfterWrite(this.nv.counter, n));
    const data = frames.map((f) => f.slice(OFF.data, OFF.data + BLOCK_SIZE));
    try {
      await this.store.writeBlocks(first.address, data, next);
    } catch {
      return RpmbResult.WRITE_FAILURE;
    }
    this.nv = { ...this.nv, counter: next };
    return RpmbResult.OK;
  }

  private async configWrite(frames: readonly Uint8Array[], reliable: boolean): Promise<number> {
    const first = decodeFrame(frames[0]!);
    // address 1: SECURE_WP_MODE_ENABLE, address 2: SECURE_WP_MODE_CONFIG (mmc-utils rpmb secure-wp-*)
    const check = this.checkWrite(frames, reliable, first.address, frames.length, first.address === 1 || first.address === 2);
    if (check !== RpmbResult.OK) return check;
    if (frames.length !== 1) return RpmbResult.GENERAL_FAILURE;
    const config = this.nv.config.slice();
    config[first.address - 1] = first.data[BLOCK_SIZE - 1]! & 0x01;
    const next = Math.min(COUNTER_MAX, this.counterAfterWrite(this.nv.counter, 1));
    try {
      await this.store.writeConfig(config, next);
    } catch {
      return RpmbResult.WRITE_FAILURE;
    }
    this.nv = { ...this.nv, config, counter: next };
    return RpmbResult.OK;
  }

  private sign(frames: Uint8Array[]): Uint8Array[] {
    if (this.keyProgrammed && frames.length) frames[frames.length - 1]!.set(this.mac(this.nv.key!, frames), OFF.keyMac);
    return frames;
  }

  private async cmd18(count: number): Promise<Uint8Array[]> {
    const p = this.pending;
    switch (p.kind) {
      case 'counter': {
        const ok = this.keyProgrammed;
        const frame = encodeFrame({
          nonce: this.echoNonce(p.nonce),
          writeCounter: ok ? this.nv.counter : 0,
          result: ok ? this.withExpiry(RpmbResult.OK) : RpmbResult.KEY_NOT_PROGRAMMED,
          reqResp: responseTypeFor(RpmbReq.COUNTER_READ),
        });
        return this.pad([...this.sign([frame])], count);
      }
      case 'read':
        return this.dataRead(p.address, p.nonce, count);
      case 'config-read': {
        const data = new Uint8Array(BLOCK_SIZE);
        data[BLOCK_SIZE - 1] = this.nv.config[0]!;
        data[BLOCK_SIZE - 2] = this.nv.config[1]!;
        const ok = this.keyProgrammed;
        const frame = encodeFrame({
          data: ok ? data : undefined,
          nonce: this.echoNonce(p.nonce),
          writeCounter: ok ? this.nv.counter : 0,
          blockCount: 1,
          result: ok ? this.withExpiry(RpmbResult.OK) : RpmbResult.KEY_NOT_PROGRAMMED,
          reqResp: responseTypeFor(RpmbReq.CONFIG_READ),
        });
        return this.pad(this.sign([frame]), count);
      }
      case 'result':
      case 'none': {
        const r = this.loadResult();
        if (!r) {
          // nothing happened since power-on: no result to report
          return this.pad([encodeFrame({ result: RpmbResult.GENERAL_FAILURE })], count);
        }
        const frame = encodeFrame({
          nonce: r.nonce,
          writeCounter: r.counter,
          address: r.address,
          result: r.result,
          reqResp: r.type,
        });
        return this.pad(r.mac ? this.sign([frame]) : [frame], count);
      }
    }
  }

  private pad(frames: Uint8Array[], count: number): Uint8Array[] {
    while (frames.length < count) frames.push(new Uint8Array(FRAME_SIZE));
    return frames.slice(0, count);
  }

  private async dataRead(address: number, nonce: Uint8Array, count: number): Promise<Uint8Array[]> {
    const type = responseTypeFor(RpmbReq.DATA_READ);
    const header = (i: number, result: number, data?: Uint8Array) =>
      encodeFrame({ data, nonce: this.echoNonce(nonce), address: this.readFrameAddress(address, i), blockCount: count, result, reqResp: type });
    if (!this.keyProgrammed) {
      return Array.from({ length: count }, (_, i) => header(i, RpmbResult.KEY_NOT_PROGRAMMED));
    }
    if (!this.inRange(address, count)) {
      return this.sign(Array.from({ length: count }, (_, i) => header(i, this.withExpiry(RpmbResult.ADDRESS_FAILURE))));
    }
    let data: Uint8Array[];
    try {
      data = await this.store.readBlocks(address, count);
    } catch {
      return this.sign(Array.from({ length: count }, (_, i) => header(i, this.withExpiry(RpmbResult.READ_FAILURE))));
    }
    return this.sign(data.map((d, i) => header(i, this.withExpiry(RpmbResult.OK), d)));
  }
}
