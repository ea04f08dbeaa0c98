// The TEE and MMC uapi layouts fwsec writes by hand, against (1) the facts
// in shared/reference/tee.md and rpmb.md and (2) what gcc computes from the
// kernel headers on this machine (linux-libc-dev).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../protocol/bytes.js';
import {
  PARAM_ATTR,
  SIZES,
  TEE_IOC,
  TEE_MAX_ARG_SIZE,
  TEE_UUID,
  encodeInvokeArg,
  encodeOpenSessionArg,
  encodeShmAllocData,
  encodeVersionData,
  decodeInvokeArg,
  decodeOpenSessionArg,
  octetsToUuid,
  uuidToOctets,
} from '../../protocol/tee.js';
import {
  MMC_CMD23_ARG_REL_WR,
  MMC_FLAGS_R1_ADTC,
  MMC_IOC,
  MMC_OPCODE,
  decodeMultiCmd,
  encodeMultiCmd,
  mmcCmd,
  planRpmbSequence,
} from '../../protocol/rpmb/mmc-ioctl.js';
import { RpmbReq } from '../../protocol/rpmb/frame.js';
import { decodeRpmbReq, encodeRpmbReq } from '../../protocol/rpmb/optee.js';

let facts: Record<string, number>;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-uapi-'));
  const src = fileURLToPath(new URL('../native/uapi-layout.c', import.meta.url));
  execFileSync('gcc', ['-Wall', '-Werror', '-o', join(dir, 'uapi'), src]);
  facts = JSON.parse(execFileSync(join(dir, 'uapi'), { encoding: 'utf8' })) as Record<string, number>;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ioctl numbers', () => {
  it('match the values in the facts files (computed there from linux-libc-dev 6.1)', () => {
    expect(TEE_IOC.VERSION).toBe(0x800ca400);
    expect(TEE_IOC.SHM_ALLOC).toBe(0xc010a401);
    expect(TEE_IOC.OPEN_SESSION).toBe(0x8010a402);
    expect(TEE_IOC.INVOKE).toBe(0x8010a403);
    expect(TEE_IOC.CANCEL).toBe(0x8008a404);
    expect(TEE_IOC.CLOSE_SESSION).toBe(0x8004a405);
    expect(MMC_IOC.CMD).toBe(0xc048b300);
    expect(MMC_IOC.MULTI_CMD).toBe(0xc008b301);
  });

  it('match what gcc computes from <linux/tee.h> and <linux/mmc/ioctl.h> here', () => {
    expect(TEE_IOC.VERSION).toBe(facts.TEE_IOC_VERSION);
    expect(TEE_IOC.SHM_ALLOC).toBe(facts.TEE_IOC_SHM_ALLOC);
    expect(TEE_IOC.OPEN_SESSION).toBe(facts.TEE_IOC_OPEN_SESSION);
    expect(TEE_IOC.INVOKE).toBe(facts.TEE_IOC_INVOKE);
    expect(TEE_IOC.CANCEL).toBe(facts.TEE_IOC_CANCEL);
    expect(TEE_IOC.CLOSE_SESSION).toBe(facts.TEE_IOC_CLOSE_SESSION);
    expect(MMC_IOC.CMD).toBe(facts.MMC_IOC_CMD);
    expect(MMC_IOC.MULTI_CMD).toBe(facts.MMC_IOC_MULTI_CMD);
    expect(TEE_MAX_ARG_SIZE).toBe(facts.TEE_MAX_ARG_SIZE);
    expect(PARAM_ATTR.VALUE_INOUT).toBe(facts.TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT);
    expect(PARAM_ATTR.MEMREF_INPUT).toBe(facts.TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT);
    expect(PARAM_ATTR.MEMREF_INOUT).toBe(facts.TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT);
    expect(PARAM_ATTR.VALUE_OUTPUT).toBe(facts.TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT);
  });
});

/** Reads a little-endian unsigned field of `size` bytes at `off`. */
function le(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

describe('struct layouts against the kernel header', () => {
  it('sizes', () => {
    expect(SIZES.versionData).toBe(facts['sizeof tee_ioctl_version_data']);
    expect(SIZES.shmAllocData).toBe(facts['sizeof tee_ioctl_shm_alloc_data']);
    expect(SIZES.bufData).toBe(facts['sizeof tee_ioctl_buf_data']);
    expect(SIZES.param).toBe(facts['sizeof tee_ioctl_param']);
    expect(SIZES.openSessionArg).toBe(facts['sizeof tee_ioctl_open_session_arg']);
    expect(SIZES.invokeArg).toBe(facts['sizeof tee_ioctl_invoke_arg']);
    expect(SIZES.cancelArg).toBe(facts['sizeof tee_ioctl_cancel_arg']);
    expect(SIZES.closeSessionArg).toBe(facts['sizeof tee_ioctl_close_session_arg']);
    expect(facts['sizeof mmc_ioc_cmd']).toBe(72);
    expect(facts['sizeof mmc_ioc_multi_cmd']).toBe(8);
  });

  it('every field of an encoded open_session / invoke / version / shm_alloc lands at the kernel offset', () => {
    const v = encodeVersionData({ implId: 0x11111111, implCaps: 0x22222222, genCaps: 0x33333333 });
    expect(le(v, facts['tee_ioctl_version_data.impl_id']!, 4)).toBe(0x11111111n);
    expect(le(v, facts['tee_ioctl_version_data.impl_caps']!, 4)).toBe(0x22222222n);
    expect(le(v, facts['tee_ioctl_version_data.gen_caps']!, 4)).toBe(0x33333333n);
    const s = encodeShmAllocData({ size: 0x0102030405n, flags: 0x66, id: 0x77 });
    expect(le(s, facts['tee_ioctl_shm_alloc_data.size']!, 8)).toBe(0x0102030405n);
    expect(le(s, facts['tee_ioctl_shm_alloc_data.flags']!, 4)).toBe(0x66n);
    expect(le(s, facts['tee_ioctl_shm_alloc_data.id']!, 4)).toBe(0x77n);

    const uuid = uuidToOctets(TEE_UUID.PTA_STMM);
    const o = encodeOpenSessionArg({
      uuid,
      clntUuid: new Uint8Array(16).fill(0xcc),
      clntLogin: 0xa1,
      cancelId: 0xa2,
      session: 0xa3,
      ret: 0xa4,
      retOrigin: 0xa5,
      params: [{ attr: 7, a: 0xb1n, b: 0xb2n, c: 0xb3n }],
    });
    const f = (k: string) => facts[`tee_ioctl_open_session_arg.${k}`]!;
    expect(hex(o.subarray(f('uuid'), f('uuid') + 16))).toBe('ed32d53399e642099cc02d72cdd998a7');
    expect(o[f('clnt_uuid')]).toBe(0xcc);
    expect(le(o, f('clnt_login'), 4)).toBe(0xa1n);
    expect(le(o, f('cancel_id'), 4)).toBe(0xa2n);
    expect(le(o, f('session'), 4)).toBe(0xa3n);
    expect(le(o, f('ret'), 4)).toBe(0xa4n);
    expect(le(o, f('ret_origin'), 4)).toBe(0xa5n);
    expect(le(o, f('num_params'), 4)).toBe(1n);
    const p0 = f('params');
    expect(le(o, p0 + facts['tee_ioctl_param.attr']!, 8)).toBe(7n);
    expect(le(o, p0 + facts['tee_ioctl_param.a']!, 8)).toBe(0xb1n);
    expect(le(o, p0 + facts['tee_ioctl_param.b']!, 8)).toBe(0xb2n);
    expect(le(o, p0 + facts['tee_ioctl_param.c']!, 8)).toBe(0xb3n);
    expect(decodeOpenSessionArg(o).params[0]).toEqual({ attr: 7, a: 0xb1n, b: 0xb2n, c: 0xb3n });

    const iv = encodeInvokeArg({ func: 0x101, session: 9, cancelId: 8, ret: 7, retOrigin: 6, params: [{ attr: 3, a: 5n, b: 4n, c: 0n }] });
    const g = (k: string) => facts[`tee_ioctl_invoke_arg.${k}`]!;
    expect(le(iv, g('func'), 4)).toBe(0x101n);
    expect(le(iv, g('session'), 4)).toBe(9n);
    expect(le(iv, g('cancel_id'), 4)).toBe(8n);
    expect(le(iv, g('ret'), 4)).toBe(7n);
    expect(le(iv, g('ret_origin'), 4)).toBe(6n);
    expect(le(iv, g('num_params'), 4)).toBe(1n);
    expect(le(iv, g('params') + 8, 8)).toBe(5n);
    expect(iv.length).toBe(SIZES.invokeArg + SIZES.param);
    expect(decodeInvokeArg(iv).func).toBe(0x101);
  });

  it('every field of an encoded mmc_ioc_cmd lands at the kernel offset', () => {
    const c = mmcCmd({
      writeFlag: 0x01020304,
      isAcmd: 0x05,
      opcode: 0x19,
      arg: 0x0a0b,
      response: [1, 2, 3, 4],
      flags: 0x35,
      blksz: 512,
      blocks: 3,
      postsleepMinUs: 20000,
      postsleepMaxUs: 50000,
      dataTimeoutNs: 0x77,
      cmdTimeoutMs: 0x88,
      dataPtr: 0x1122334455667788n,
    });
    const m = encodeMultiCmd([c]);
    const base = facts['mmc_ioc_multi_cmd.cmds']!;
    const f = (k: string) => base + facts[`mmc_ioc_cmd.${k}`]!;
    expect(le(m, facts['mmc_ioc_multi_cmd.num_of_cmds']!, 8)).toBe(1n);
    expect(le(m, f('write_flag'), 4)).toBe(0x01020304n);
    expect(le(m, f('is_acmd'), 4)).toBe(5n);
    expect(le(m, f('opcode'), 4)).toBe(0x19n);
    expect(le(m, f('arg'), 4)).toBe(0x0a0bn);
    expect(le(m, f('response') + 12, 4)).toBe(4n);
    expect(le(m, f('flags'), 4)).toBe(0x35n);
    expect(le(m, f('blksz'), 4)).toBe(512n);
    expect(le(m, f('blocks'), 4)).toBe(3n);
    expect(le(m, f('postsleep_min_us'), 4)).toBe(20000n);
    expect(le(m, f('postsleep_max_us'), 4)).toBe(50000n);
    expect(le(m, f('data_timeout_ns'), 4)).toBe(0x77n);
    expect(le(m, f('cmd_timeout_ms'), 4)).toBe(0x88n);
    expect(le(m, f('data_ptr'), 8)).toBe(0x1122334455667788n);
    expect(decodeMultiCmd(m)[0]).toEqual(c);
  });
});

describe('UUIDs', () => {
  it('go to the kernel in RFC 4122 octet order (libteec uuid_to_octets)', () => {
    expect(hex(uuidToOctets(TEE_UUID.FTPM_TA))).toBe('bc50d971d4c942c482cb343fb7f37896');
    expect(hex(uuidToOctets(TEE_UUID.TS_ITS))).toBe('dc1eef48b17a4ccfac8bdfcff7711b14');
    expect(octetsToUuid(uuidToOctets(TEE_UUID.TS_PS))).toBe(TEE_UUID.TS_PS);
    expect(() => uuidToOctets('ed32d533-99e6-4209-9cc0')).toThrow(/not a UUID/);
  });
});

describe('RPMB command sequences (tee-supplicant rpmb_data_req)', () => {
  it('authenticated write: CMD25 reliable with the frames, CMD25 result-read request, CMD18 one frame', () => {
    const p = planRpmbSequence(1, RpmbReq.DATA_WRITE, 0);
    expect(p.steps.map((s) => [s.cmd.opcode, s.cmd.blocks, s.cmd.writeFlag >>> 0, s.buffer])).toEqual([
      [MMC_OPCODE.WRITE_MULTIPLE_BLOCK, 1, (1 | MMC_CMD23_ARG_REL_WR) >>> 0, 'request'],
      [MMC_OPCODE.WRITE_MULTIPLE_BLOCK, 1, 1, 'result-read'],
      [MMC_OPCODE.READ_MULTIPLE_BLOCK, 1, 0, 'response'],
    ]);
    expect(p.steps.every((s) => s.cmd.flags === MMC_FLAGS_R1_ADTC && s.cmd.flags === 0x35 && s.cmd.blksz === 512)).toBe(true);
    expect([p.steps[0]!.cmd.postsleepMinUs, p.steps[0]!.cmd.postsleepMaxUs]).toEqual([20000, 50000]);
  });

  it('key programming is sent like a write; reads are CMD25 one frame then CMD18 N frames', () => {
    expect(planRpmbSequence(1, RpmbReq.KEY_PROGRAM, 0).steps).toHaveLength(3);
    const r = planRpmbSequence(1, RpmbReq.DATA_READ, 4);
    expect(r.steps.map((s) => [s.cmd.opcode, s.cmd.blocks, s.cmd.writeFlag])).toEqual([
      [25, 1, 1],
      [18, 4, 0],
    ]);
    expect(planRpmbSequence(1, RpmbReq.COUNTER_READ, 0).responseFrames).toBe(1);
  });

  it('refuses what tee-supplicant refuses', () => {
    expect(() => planRpmbSequence(2, RpmbReq.DATA_READ, 2)).toThrow(/exactly one request frame/);
    expect(() => planRpmbSequence(1, RpmbReq.DATA_READ, 0)).toThrow(/number of frames to read/);
    expect(() => planRpmbSequence(1, 0x0100, 1)).toThrow(/not an RPMB request type/);
  });

  it('rpmb_req header: u16 cmd, u16 dev_id, u16 block_count, little-endian, frames at byte 6', () => {
    const b = encodeRpmbReq({ cmd: 0, devId: 1, blockCount: 2 }, [new Uint8Array(512)]);
    expect(hex(b.subarray(0, 6))).toBe('000001000200');
    expect(decodeRpmbReq(b).blockCount).toBe(2);
    expect(() => decodeRpmbReq(b.subarray(0, 100))).toThrow(/whole number of 512-byte frames/);
  });
});
