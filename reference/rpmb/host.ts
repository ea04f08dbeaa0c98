// The secure world's RPMB driver: what OP-TEE's tee_rpmb_fs.c lower layer
// does, reaching the device through a frame transport (in the reference,
// the emulated eMMC; in OP-TEE, tee-supplicant and the MMC ioctls).
//
// Every response is checked the way OP-TEE checks it (response type,
// result, echoed address and nonce, counter + 1 after a write, MAC in
// constant time). A write whose answer is lost is sent again unchanged
// (same counter), as OP-TEE does since PR #4213; when the device then
// reports COUNTER_FAILURE, the driver reads the counter and, if it is one
// past the request's and the blocks hold the data written, knows the first
// attempt landed and carries on, instead of retrying until RPMB is "dead".
import { randomBytes } from 'node:crypto';
import {
  BLOCK_SIZE,
  COUNTER_MAX,
  NONCE_SIZE,
  RESULT_MASK,
  RpmbReq,
  RpmbResult,
  counterReadRequest,
  dataReadRequest,
  dataWriteRequest,
  decodeFrame,
  keyProgramRequest,
  macValid,
  resultName,
  resultReadRequest,
  responseTypeFor,
} from '../../protocol/rpmb/frame.js';
import { bytesEqual } from '../../protocol/bytes.js';

/** Sends request frames (reliable write when asked), then reads `readCount` response frames. */
export type FrameTransport = (write: Uint8Array[], readCount: number, reliable: boolean) => Promise<Uint8Array[]>;

export class RpmbHostError extends Error {
  constructor(
    message: string,
    readonly result?: number,
  ) {
    super(message);
    this.name = 'RpmbHostError';
  }
}

export const RPMB_MAX_RETRIES = 10;
/** Frames per read request the driver asks for at most (the MMC ioctl limit is 512 KiB). */
export const MAX_READ_FRAMES = 1024;

export interface HostOptions {
  blocks: number;
  maxWriteBlocks: number;
  nonce?: () => Uint8Array;
  log?: (line: string) => void;
}

export class RpmbHost {
  private counter: number | undefined;
  /** Set after RPMB_MAX_RETRIES failed attempts of one write: every later call fails until reboot. */
  dead = false;
  readonly stats = { writes: 0, reads: 0, retries: 0, recovered: 0, resyncs: 0 };

  constructor(
    private readonly io: FrameTransport,
    private readonly key: Uint8Array,
    readonly opts: HostOptions,
  ) {}

  private nonce(): Uint8Array {
    return this.opts.nonce?.() ?? new Uint8Array(randomBytes(NONCE_SIZE));
  }

  private alive(): void {
    if (this.dead) throw new RpmbHostError('RPMB is dead until reboot (too many failed write attempts)');
  }

  /** Reads and authenticates the write counter; `undefined` when the key is not programmed. */
  async readCounter(): Promise<number | undefined> {
    this.alive();
    const nonce = this.nonce();
    const [resp] = await this.io([counterReadRequest(nonce)], 1, false);
    const f = decodeFrame(resp!);
    const result = f.result & RESULT_MASK;
    if (result === RpmbResult.KEY_NOT_PROGRAMMED) return undefined;
    if (result !== RpmbResult.OK) throw new RpmbHostError(`counter read: ${resultName(f.result)}`, f.result);
    if (f.reqResp !== responseTypeFor(RpmbReq.COUNTER_READ)) throw new RpmbHostError(`counter read answered message type 0x${f.reqResp.toString(16)}`);
    if (!bytesEqual(f.nonce, nonce)) throw new RpmbHostError('counter read: nonce not echoed');
    if (!macValid(this.key, [resp!])) throw new RpmbHostError('counter read: MAC mismatch (wrong key?)');
    this.counter = f.writeCounter;
    return f.writeCounter;
  }

  /** Programs the key (CFG_RPMB_WRITE_KEY) and verifies it with a counter read. */
  async programKey(): Promise<void> {
    this.alive();
    await this.io([keyProgramRequest(this.key)], 0, true);
    const [resp] = await this.io([resultReadRequest()], 1, false);
    const f = decodeFrame(resp!);
    if ((f.result & RESULT_MASK) !== RpmbResult.OK) throw new RpmbHostError(`key programming: ${resultName(f.result)}`, f.result);
    if ((await this.readCounter()) === undefined) throw new RpmbHostError('key programming reported OK but the key is not programmed');
  }

  /** Reads and authenticates `count` blocks from `address`. */
  async read(address: number, count: number): Promise<Uint8Array[]> {
    this.alive();
    const out: Uint8Array[] = [];
    for (let done = 0; done < count; ) {
      const n = Math.min(MAX_READ_FRAMES, count - done);
      out.push(...(await this.readOnce(address + done, n)));
      done += n;
    }
    return out;
  }

  private async readOnce(address: number, count: number): Promise<Uint8Array[]> {
    const nonce = this.nonce();
    const frames = await this.io([dataReadRequest(address, nonce)], count, false);
    this.stats.reads += 1;
    if (frames.length !== count) throw new RpmbHostError(`read of ${count} block(s) answered ${frames.length} frame(s)`);
    const last = decodeFrame(frames[count - 1]!);
    if ((last.result & RESULT_MASK) !== RpmbResult.OK) throw new RpmbHostError(`read at ${address}: ${resultName(last.result)}`, last.result);
    if (last.reqResp !== responseTypeFor(RpmbReq.DATA_READ)) throw new RpmbHostError('read answered another message type');
    if (last.address !== address) throw new RpmbHostError(`read at ${address} answered address ${last.address}`);
    if (!bytesEqual(last.nonce, nonce)) throw new RpmbHostError('read: nonce not echoed');
    if (!macValid(this.key, frames)) throw new RpmbHostError('read: MAC mismatch');
    return frames.map((f) => decodeFrame(f).data.slice());
  }

  /** Writes blocks from `address`, split into requests the device accepts. */
  async write(address: number, blocks: readonly Uint8Array[]): Promise<void> {
    this.alive();
    for (const b of blocks) if (b.length !== BLOCK_SIZE) throw new RangeError(`RPMB blocks are ${BLOCK_SIZE} bytes`);
    const step = Math.max(1, this.opts.maxWriteBlocks);
    for (let i = 0; i < blocks.length; i += step) await this.writeOnce(address + i, blocks.slice(i, i + step));
  }

  private async writeOnce(address: number, blocks: Uint8Array[]): Promise<void> {
    if (this.counter === undefined) {
      if ((await this.readCounter()) === undefined) throw new RpmbHostError('RPMB key not programmed', RpmbResult.KEY_NOT_PROGRAMMED);
    }
    let counter = this.counter!;
    if (counter >= COUNTER_MAX) throw new RpmbHostError('RPMB write counter expired', RpmbResult.WRITE_FAILURE);
    let frames = dataWriteRequest(this.key, address, counter, blocks);
    let sent = false;
    for (let attempt = 0; attempt < RPMB_MAX_RETRIES; attempt++) {
      if (attempt > 0) this.stats.retries += 1;
      let resp: Uint8Array;
      try {
        await this.io(frames, 0, true);
        sent = true;
        [resp] = (await this.io([resultReadRequest()], 1, false)) as [Uint8Array];
      } catch (e) {
        this.opts.log?.(`RPMB write at ${address}: no answer (${(e as Error).message}); sending the same request again`);
        continue;
      }
      const f = decodeFrame(resp);
      const result = f.result & RESULT_MASK;
      const signed = macValid(this.key, [resp]);
      if (result === RpmbResult.OK && signed && f.reqResp === responseTypeFor(RpmbReq.DATA_WRITE) && f.address === address && f.writeCounter === counter + 1) {
        this.counter = counter + 1;
        this.stats.writes += 1;
        return;
      }
      if (result === RpmbResult.COUNTER_FAILURE) {
        // the device's counter moved: our earlier attempt landed (its answer was lost), or another writer
        const now = await this.readCounter();
        if (now === undefined) throw new RpmbHostError('RPMB key no longer programmed');
        if (sent && now === counter + 1 && (await this.holds(address, blocks))) {
          this.stats.recovered += 1;
          this.stats.writes += 1;
          return;
        }
        this.stats.resyncs += 1;
        counter = now;
        if (counter >= COUNTER_MAX) throw new RpmbHostError('RPMB write counter expired', RpmbResult.WRITE_FAILURE);
        frames = dataWriteRequest(this.key, address, counter, blocks);
        continue;
      }
      if (result !== RpmbResult.OK) throw new RpmbHostError(`write at ${address}: ${resultName(f.result)}`, f.result);
      this.opts.log?.(`RPMB write at ${address}: answer failed verification; sending the same request again`);
      this.counter = undefined;
    }
    this.dead = true;
    throw new RpmbHostError(`RPMB write at ${address} failed ${RPMB_MAX_RETRIES} times; RPMB is dead until reboot`);
  }

  private async holds(address: number, blocks: readonly Uint8Array[]): Promise<boolean> {
    const got = await this.read(address, blocks.length);
    return got.every((b, i) => bytesEqual(b, blocks[i]!));
  }
}
