// Fault-injected RPMB devices, each modelled on a real bug, must be caught by
// exactly the rpmb checks that state the requirement they break; the
// neighbouring checks in each selection keep passing (the fault is specific).
import { describe, expect, it } from 'vitest';
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
