// mmc:///dev/mmcblk0rpmb — an eMMC RPMB partition through the Linux MMC
// block driver, with the MMC_IOC_MULTI_CMD sequences tee-supplicant issues
// (protocol/rpmb/mmc-ioctl.ts planRpmbSequence): the request frames, the
// result-read request and the response read go down in one ioctl, so no
// other MMC command can slip in between (OP-TEE/optee_client PR #255).
//
// Channel: service rpmb. The body is what OP-TEE hands tee-supplicant for
// OPTEE_RPC_CMD_RPMB: `struct rpmb_req {u16 cmd, u16 dev_id, u16 block_count}`
// (little-endian) and, for cmd 0 (DATA_REQ), the request frames.
//   DATA_REQ      answer: the response frames (1, or block_count for an
//                 authenticated read, whose request frame carries 0 because
//                 CMD23 carries the count)
//   GET_DEV_INFO  answer: struct rpmb_dev_info (CID from sysfs, EXT_CSD
//                 RPMB_SIZE_MULT and REL_WR_SEC_C read with CMD8 from the
//                 main device)
// The answer status is 0; a device or driver failure is a TransportError.
//
//   ?dev=/dev/mmcblk0                 the device for CMD8 (default: the path without "rpmb")
//   ?cid=/sys/block/mmcblk0/device/cid  where the CID is read
import { readFileSync } from 'node:fs';
import { EXT_CSD, MMC_IOC, MMC_OPCODE, encodeMmcIocCmd, encodeMultiCmd, frameRequestType, mmcCmd, planRpmbSequence, resultReadFrame } from '../protocol/rpmb/mmc-ioctl.js';
import { FRAME_SIZE, joinFrames, reqRespName } from '../protocol/rpmb/frame.js';
import { DEV_INFO_RET, RpmbReqCmd, TEEC, decodeRpmbReq, encodeDevInfo, teecStatus } from '../protocol/rpmb/optee.js';
import type { ServiceResponse } from '../protocol/services.js';
import { DecodeError } from '../protocol/bytes.js';
import { withDeadline } from './deadline.js';
import { O_CLOEXEC, O_RDWR, addressOf, errnoName, libc } from './tee/native.js';
import { RpmbOp } from '../protocol/rpmb/service.js';
import { singleServiceTransport } from './device.js';
import { TransportError, type Transport, type TransportEnv } from './types.js';

const O_RDONLY = 0;

export interface MmcOptions {
  rpmb: string;
  dev: string;
  cid: string;
  /** The rpmb_req dev_id this device answers to: N of /dev/mmcblkNrpmb, as tee-supplicant maps them, or ?devId=. */
  devId: number;
}

export function parseMmcUri(uri: URL): MmcOptions {
  if (uri.hostname) throw new TransportError('connect', `${uri.href}: an mmc URI has no host; write mmc:///dev/mmcblk0rpmb (three slashes)`);
  const rpmb = decodeURIComponent(uri.pathname);
  if (!rpmb || rpmb === '/') throw new TransportError('connect', `${uri.href}: expected mmc:///dev/mmcblk0rpmb`);
  for (const k of uri.searchParams.keys()) {
    if (k !== 'dev' && k !== 'cid' && k !== 'devId') throw new TransportError('connect', `${uri.href}: unknown option "${k}" (known: dev, cid, devId)`);
  }
  const devIdText = uri.searchParams.get('devId') ?? /mmcblk(\d+)rpmb$/.exec(rpmb)?.[1] ?? '0';
  if (!/^\d+$/.test(devIdText) || Number(devIdText) > 0xffff) throw new TransportError('connect', `${uri.href}: devId must be 0..65535`);
  const dev = uri.searchParams.get('dev') ?? rpmb.replace(/rpmb$/, '');
  const name = dev.split('/').pop()!;
  return { rpmb, dev, cid: uri.searchParams.get('cid') ?? `/sys/block/${name}/device/cid`, devId: Number(devIdText) };
}

class MmcDevice {
  private fd = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private stuck: Promise<unknown> | undefined;

  constructor(readonly o: MmcOptions) {}

  private openPath(path: string, flags: number): number {
    const c = libc();
    const fd = c.open(path, flags | O_CLOEXEC);
    if (fd < 0) {
      const e = c.errno();
      const why = e === 2 ? 'does not exist (no eMMC, or no RPMB partition exposed)' : e === 13 ? 'permission denied (root or the disk group is needed)' : errnoName(e);
      throw new TransportError('connect', `mmc: cannot open ${path}: ${why}`);
    }
    return fd;
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async ioctl(fd: number, req: number, arg: Buffer, keep: Buffer[], what: string, timeoutMs: number): Promise<void> {
    const c = libc();
    const work = c.ioctlAsync(fd, req, arg).then((r) => ({ ...r, keep }));
    const r = await withDeadline(work, timeoutMs, `mmc ${this.o.rpmb} ${what}`, () => {
      // the command is in the host controller: wait for it before the next one
      this.stuck = work.catch(() => undefined).finally(() => (this.stuck = undefined));
    });
    if (r.rc < 0) {
      // ETIMEDOUT / EILSEQ come from the host controller (rpmb.md section 4 item 6)
      throw new TransportError('remote', `mmc: ${what}: ioctl failed: ${errnoName(r.errno)}`);
    }
  }

  async call(body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    const started = Date.now();
    const left = () => Math.max(1, timeoutMs - (Date.now() - started));
    if (this.stuck) await withDeadline(this.stuck, left(), `mmc ${this.o.rpmb}: an earlier command is still in the controller`);
    let req;
    try {
      req = decodeRpmbReq(body);
    } catch (e) {
      throw new TransportError('unsupported', `mmc: the request is not an rpmb_req: ${(e as DecodeError).message}`);
    }
    if (req.devId !== this.o.devId) {
      // tee-supplicant opens /dev/mmcblk<dev_id>rpmb: another dev_id is another device, absent here
      if (req.cmd === RpmbReqCmd.GET_DEV_INFO) return { status: 0, body: encodeDevInfo({ cid: new Uint8Array(16), rpmbSizeMult: 0, relWrSecC: 0, retCode: DEV_INFO_RET.ERROR }) };
      return { status: teecStatus(TEEC.ERROR_BAD_PARAMETERS), body: new Uint8Array(0) };
    }
    if (req.cmd === RpmbReqCmd.GET_DEV_INFO) return this.devInfo(left());
    if (req.cmd !== RpmbReqCmd.DATA_REQ) throw new TransportError('unsupported', `mmc: rpmb_req cmd ${req.cmd} (known: 0 DATA_REQ, 1 GET_DEV_INFO)`);
    const n = req.frames.length;
    if (n === 0) throw new TransportError('unsupported', 'mmc: DATA_REQ without request frames');
    const type = frameRequestType(req.frames[0]!);
    if (req.frames.some((f) => frameRequestType(f) !== type)) {
      throw new TransportError('unsupported', 'mmc: all request frames of one request must have the same type (tee-supplicant refuses mixed frames too)');
    }
    let plan;
    try {
      plan = planRpmbSequence(n, type, req.blockCount);
    } catch (e) {
      throw new TransportError('unsupported', `mmc: ${(e as Error).message}`);
    }
    if (this.fd < 0) this.fd = this.openPath(this.o.rpmb, O_RDWR);
    const request = Buffer.from(joinFrames(req.frames));
    const resultRead = Buffer.from(resultReadFrame());
    const response = Buffer.alloc(plan.responseFrames * FRAME_SIZE);
    const cmds = plan.steps.map((s) => ({
      ...s.cmd,
      dataPtr: addressOf(s.buffer === 'request' ? request : s.buffer === 'result-read' ? resultRead : response),
    }));
    const arg = Buffer.from(encodeMultiCmd(cmds));
    await this.ioctl(this.fd, MMC_IOC.MULTI_CMD, arg, [request, resultRead, response], `${reqRespName(type)} (${plan.steps.length} commands)`, left());
    return { status: 0, body: new Uint8Array(response) };
  }

  private async devInfo(timeoutMs: number): Promise<ServiceResponse> {
    let cidText: string;
    try {
      cidText = readFileSync(this.o.cid, 'utf8').trim();
    } catch (e) {
      throw new TransportError('remote', `mmc: cannot read the CID from ${this.o.cid}: ${(e as Error).message}`);
    }
    if (!/^[0-9a-fA-F]{32}$/.test(cidText)) throw new TransportError('protocol', `mmc: ${this.o.cid} holds ${JSON.stringify(cidText)}, not 16 hex bytes`);
    const cid = Uint8Array.from(cidText.match(/../g)!.map((h) => parseInt(h, 16)));
    const fd = this.openPath(this.o.dev, O_RDONLY);
    try {
      const extCsd = Buffer.alloc(512);
      const cmd = Buffer.from(encodeMmcIocCmd(mmcCmd({ opcode: MMC_OPCODE.SEND_EXT_CSD, blocks: 1, writeFlag: 0, dataPtr: addressOf(extCsd) })).finish());
      await this.ioctl(fd, MMC_IOC.CMD, cmd, [extCsd], 'SEND_EXT_CSD (CMD8)', timeoutMs);
      const body = encodeDevInfo({ cid, rpmbSizeMult: extCsd[EXT_CSD.RPMB_SIZE_MULT]!, relWrSecC: extCsd[EXT_CSD.REL_WR_SEC_C]!, retCode: DEV_INFO_RET.OK });
      return { status: 0, body };
    } finally {
      libc().close(fd);
    }
  }

  close(): void {
    if (this.fd >= 0) {
      libc().close(this.fd);
      this.fd = -1;
    }
  }
}

export async function openMmc(uri: URL, env: TransportEnv): Promise<Transport> {
  const dev = new MmcDevice(parseMmcUri(uri));
  return singleServiceTransport(uri, env, 'rpmb', { value: RpmbOp.OPTEE_RPMB, name: 'OPTEE_RPMB' }, 'RPMB requests', (body, ms) => dev.exclusive(() => dev.call(body, ms)), () => dev.exclusive(async () => dev.close()));
}
