// Fault-injected RPMB devices, each modelled on a real bug, must be caught by
// exactly the rpmb checks that state the requirement they break; the
// neighbouring checks in each selection keep passing (the fault is specific).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '../../protocol/bytes.js';
import { FRAME_SIZE, OFF, RESULT_COUNTER_EXPIRED, RESULT_MASK, RpmbResult, computeMac, joinFrames, splitFrames } from '../../protocol/rpmb/frame.js';
import { OPTEE_TEST_KEY } from '../../protocol/rpmb/optee.js';
import { SERVICES } from '../../protocol/services.js';
import { registerFault } from '../helpers/faults.js';
import { loadProfile } from '../../suites/harness/profile.js';
import { RPMB_FAULTS, registerRpmbFaults } from '../helpers/rpmb-faults.js';
import { run, verdicts } from '../helpers/run.js';

const URIS = registerRpmbFaults();

const CASES: { fault: string; ids: string[]; fail: string[]; nonStrict?: string[] }[] = [
  {
    fault: 'counter-per-block',
    ids: ['rpmb.key.program', 'rpmb.counter.per-write', 'rpmb.counter.per-request-not-per-block', 'rpmb.write.two-blocks', 'rpmb.model.sequences'],
    fail: ['rpmb.counter.per-request-not-per-block', 'rpmb.model.sequences'],
  },
  {
    fault: 'counter-never-checked',
    ids: ['rpmb.key.program', 'rpmb.write.single-block', 'rpmb.write.stale-counter', 'rpmb.write.future-counter', 'rpmb.write.replay-rejected', 'rpmb.write.lost-response-resend', 'rpmb.result.after-counter-failure', 'rpmb.write.bad-mac'],
    fail: ['rpmb.write.stale-counter', 'rpmb.write.future-counter', 'rpmb.write.replay-rejected', 'rpmb.write.lost-response-resend', 'rpmb.result.after-counter-failure'],
  },
  {
    fault: 'nonce-not-echoed',
    ids: ['rpmb.key.program', 'rpmb.counter.response', 'rpmb.counter.nonce-echo', 'rpmb.read.single-block', 'rpmb.read.nonce-echo', 'rpmb.read.nonce-in-every-frame', 'rpmb.wire.optee-counter-read'],
    fail: ['rpmb.counter.nonce-echo', 'rpmb.read.nonce-echo', 'rpmb.wire.optee-counter-read'],
    nonStrict: ['rpmb.read.nonce-in-every-frame'],
  },
  {
    fault: 'mac-wrong-range',
    ids: ['rpmb.key.program', 'rpmb.counter.response', 'rpmb.counter.mac', 'rpmb.read.last-block', 'rpmb.write.single-block', 'rpmb.read.address-past-end'],
    fail: ['rpmb.key.program', 'rpmb.counter.mac', 'rpmb.read.last-block', 'rpmb.write.single-block'],
  },
  {
    fault: 'address-per-frame',
    ids: ['rpmb.key.program', 'rpmb.read.single-block', 'rpmb.read.multi-block', 'rpmb.read.address-in-every-frame'],
    fail: ['rpmb.read.address-in-every-frame'],
  },
  {
    fault: 'key-reprogrammable',
    ids: ['rpmb.key.program', 'rpmb.key.initial-counter', 'rpmb.key.second-program-refused'],
    fail: ['rpmb.key.second-program-refused'],
  },
  {
    fault: 'last-block-refused',
    ids: ['rpmb.key.program', 'rpmb.write.single-block', 'rpmb.write.last-block', 'rpmb.read.last-block', 'rpmb.write.last-block-16mib', 'rpmb.read.address-past-end'],
    fail: ['rpmb.write.last-block', 'rpmb.read.last-block', 'rpmb.write.last-block-16mib'],
  },
  {
    fault: 'shared-result-register',
    ids: ['rpmb.key.program', 'rpmb.vm.own-key', 'rpmb.vm.own-counter', 'rpmb.vm.result-isolation', 'rpmb.vm.interleavings'],
    fail: ['rpmb.vm.result-isolation', 'rpmb.vm.interleavings'],
  },
  {
    fault: 'guest-bounds-unchecked',
    ids: ['rpmb.key.program', 'rpmb.vm.own-counter', 'rpmb.vm.address-isolation', 'rpmb.vm.interleavings', 'rpmb.vm.survives-reset'],
    fail: ['rpmb.vm.address-isolation'],
  },
];

describe('fault-injected RPMB devices', () => {
  it('covers every registered fault', () => {
    expect(CASES.map((c) => c.fault).sort()).toEqual(Object.keys(RPMB_FAULTS).sort());
  });

  for (const c of CASES) {
    it(`${c.fault} (${RPMB_FAULTS[c.fault]!.bug}) fails exactly ${c.fail.join(', ')}`, async () => {
      const uri = URIS[c.fault]!;
      const base = loadProfile('reference');
      const o = await run({ profile: { ...base, services: { its: uri, ps: uri, rpmb: uri } }, suites: ['rpmb'], ids: c.ids });
      const v = verdicts(o);
      expect(v.size).toBe(c.ids.length);
      const failing = [...v].filter(([, x]) => x === 'FAIL').map(([id]) => id).sort();
      expect(failing).toEqual([...c.fail].sort());
      const nonStrict = [...v].filter(([, x]) => x === 'NON-STRICT').map(([id]) => id).sort();
      expect(nonStrict).toEqual([...(c.nonStrict ?? [])].sort());
      for (const [id, x] of v) if (!c.fail.includes(id) && !c.nonStrict?.includes(id)) expect(x, id).toBe('PASS');
    });
  }
});

// Result codes confused by the device, each signed with the key as a device that computes the wrong result
// would sign it, over the whole rpmb suite: exactly the recorded checks FAIL (rpmb-fault-sets.json;
// FWSEC_FAULT_PROBE=1 prints what a run found). Frames whose MAC does not verify with the profile's key
// (other devices, key programming) are left alone.
const SETS = JSON.parse(readFileSync(new URL('./rpmb-fault-sets.json', import.meta.url), 'utf8')) as Record<string, { fail: string[]; nonStrict: string[] }>;
const RESULT_CONFUSIONS: [string, number, number, string][] = [
  ['AUTH_FAILURE_AS_GENERAL_FAILURE', RpmbResult.AUTH_FAILURE, RpmbResult.GENERAL_FAILURE, 'a MAC mismatch reported as General Failure'],
  ['COUNTER_FAILURE_AS_AUTH_FAILURE', RpmbResult.COUNTER_FAILURE, RpmbResult.AUTH_FAILURE, 'a stale write counter reported as Authentication Failure'],
  ['ADDRESS_FAILURE_AS_GENERAL_FAILURE', RpmbResult.ADDRESS_FAILURE, RpmbResult.GENERAL_FAILURE, 'an address past the end reported as General Failure'],
  ['EXPIRED_BIT_NEVER_SET', RESULT_COUNTER_EXPIRED, 0, 'the counter-expired bit (0x80) never set'],
];

function confuse(body: Uint8Array, from: number, to: number): Uint8Array {
  if (body.length === 0 || body.length % FRAME_SIZE) return body;
  const frames = splitFrames(body.slice());
  const last = frames.at(-1)!;
  if (!bytesEqual(computeMac(OPTEE_TEST_KEY, frames), last.subarray(OFF.keyMac, OFF.keyMac + 32))) return body;
  let changed = false;
  for (const f of frames) {
    const r = (f[OFF.result]! << 8) | f[OFF.result + 1]!;
    const next = from === RESULT_COUNTER_EXPIRED ? r & ~RESULT_COUNTER_EXPIRED : (r & RESULT_MASK) === from ? (r & RESULT_COUNTER_EXPIRED) | to : r;
    if (next !== r) {
      f[OFF.result] = next >> 8;
      f[OFF.result + 1] = next & 0xff;
      changed = true;
    }
  }
  if (!changed) return body;
  last.set(computeMac(OPTEE_TEST_KEY, frames), OFF.keyMac);
  return joinFrames(frames);
}

describe('RPMB result codes confused by the device, over the whole suite', () => {
  for (const [key, from, to, what] of RESULT_CONFUSIONS) {
    const uri = registerFault(`rpmb-${key.toLowerCase().replace(/_/g, '-')}`, {
      service: SERVICES.rpmb,
      handle: async (op, body, next) => {
        const r = await next(op, body);
        return r && r.status === 0 ? { ...r, body: confuse(r.body, from, to) } : r;
      },
    });
    it(`${what}: exactly the recorded checks FAIL, nothing ERRORs`, async () => {
      const base = loadProfile('reference');
      const o = await run({ profile: { ...base, services: { its: uri, ps: uri, rpmb: uri } }, suites: ['rpmb'] });
      const by = (v: string) => o.results.filter((r) => r.verdict === v).map((r) => r.id).sort();
      if (process.env.FWSEC_FAULT_PROBE) console.log(`PROBE ${key} ${JSON.stringify(by('FAIL'))} ${JSON.stringify(by('NON-STRICT'))}`);
      expect(by('FAIL')).toEqual(SETS[key]!.fail);
      expect(by('NON-STRICT')).toEqual(SETS[key]!.nonStrict);
      expect(by('ERROR')).toEqual([]);
    });
  }
});
