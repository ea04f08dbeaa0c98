// Authenticated device configuration (eMMC 5.1 secure write protection;
// request types 0x0006 write and 0x0007 read, the configuration byte in
// data[255], as mmc-utils `rpmb secure-wp-*` sends them). Optional: a
// device without it answers General Failure and the checks are UNSUPPORTED
// unless the profile declares rpmb.device-config.
import { BLOCK_SIZE, OFF, RpmbReq, RpmbResult, configReadRequest, configWriteRequest, decodeFrame } from '../../protocol/rpmb/frame.js';
import { check } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import {
  CAP,
  CL,
  JEDEC,
  counter,
  expectMac,
  expectNonce,
  expectResult,
  expectType,
  flip,
  freshDevice,
  nonce,
  programKey,
  rpmb,
  writeFrames,
  type Answer,
  type Device,
} from './common.js';

async function configRead(t: CheckContext, d: Device): Promise<Answer & { nonce: Uint8Array }> {
  const n = nonce(t);
  const r = await rpmb(t).opteeDataRequest(d.devId, [configReadRequest(n)], 0, 1);
  if (!r.frames.length) t.fail(`configuration read: the rpmb service answered ${r.status}`);
  return { raw: r.frames[0]!, f: decodeFrame(r.frames[0]!), nonce: n };
}

/** A programmed device with device configuration, or UNSUPPORTED. */
async function configDevice(t: CheckContext): Promise<Device> {
  const d = await freshDevice(t, { deviceConfig: true });
  const p = await programKey(t, d, d.key);
  expectResult(t, p.f, RpmbResult.OK, 'programming the key');
  const c = await configRead(t, d);
  t.optional(CAP.deviceConfig, (c.f.result & 0x7f) === RpmbResult.GENERAL_FAILURE, 'the device answers General Failure to an authenticated device configuration read');
  return d;
}

export default [
  check({
    id: 'rpmb.config.read',
    title: 'an authenticated configuration read answers 0x0700, signed, with the nonce',
    spec: JEDEC,
    clause: CL.config,
    level: 'MUST',
    requirement: 'An authenticated device configuration read (0x0007) answers response type 0x0700 with result OK, a copy of the nonce and a MAC over bytes 228..511; the configuration bytes are data[255] (SECURE_WP_MODE_ENABLE) and data[254] (SECURE_WP_MODE_CONFIG).',
    services: ['rpmb'],
    capabilities: [CAP.deviceConfig],
    destructive: true,
    run: async (t) => {
      const d = await configDevice(t);
      const c = await configRead(t, d);
      expectType(t, c.f, RpmbReq.CONFIG_READ, 'configuration read');
      expectResult(t, c.f, RpmbResult.OK, 'configuration read');
      expectNonce(t, c.f.nonce, c.nonce, 'configuration read');
      expectMac(t, d.key, [c.raw], 'configuration read');
    },
  }),
  check({
    id: 'rpmb.config.write',
    title: 'an authenticated configuration write is executed and counted',
    spec: JEDEC,
    clause: CL.config,
    level: 'MUST',
    requirement: 'An authenticated device configuration write (0x0006, address 1 = SECURE_WP_MODE_ENABLE, value in data[255], current counter, MAC) is executed like a data write: result OK in a 0x0600 response, the counter grows by one and a configuration read shows the value.',
    services: ['rpmb'],
    capabilities: [CAP.deviceConfig],
    destructive: true,
    run: async (t) => {
      const d = await configDevice(t);
      const c = await counter(t, d);
      const r = await writeFrames(t, d, [configWriteRequest(d.key, 1, c, 1)]);
      expectType(t, r.f, RpmbReq.CONFIG_WRITE, 'result read after a configuration write');
      expectResult(t, r.f, RpmbResult.OK, 'result read after a configuration write');
      t.expectEqual(await counter(t, d), c + 1, 'write counter after a configuration write');
      const rd = await configRead(t, d);
      t.expectEqual(rd.f.data[BLOCK_SIZE - 1], 1, 'SECURE_WP_MODE_ENABLE (data[255]) after writing 1');
    },
  }),
  check({
    id: 'rpmb.config.write-bad-mac',
    title: 'a configuration write with a wrong MAC changes nothing',
    spec: JEDEC,
    clause: CL.config,
    level: 'MUST',
    requirement: 'A device configuration write whose MAC does not verify is refused with Authentication Failure (0x0002); the configuration and the counter do not change.',
    services: ['rpmb'],
    capabilities: [CAP.deviceConfig],
    destructive: true,
    run: async (t) => {
      const d = await configDevice(t);
      const c = await counter(t, d);
      const before = await configRead(t, d);
      const r = await writeFrames(t, d, [flip(configWriteRequest(d.key, 1, c, 1), OFF.keyMac)]);
      expectResult(t, r.f, RpmbResult.AUTH_FAILURE, 'result read after a configuration write with a bad MAC');
      t.expectEqual(await counter(t, d), c, 'write counter');
      const after = await configRead(t, d);
      t.expectEqual(after.f.data[BLOCK_SIZE - 1], before.f.data[BLOCK_SIZE - 1], 'SECURE_WP_MODE_ENABLE after the refused write');
    },
  }),
];
