import { describe, expect, it } from 'vitest';
import { notPassing, profileFor, run, verdicts } from '../helpers/run.js';
import referenceProfile from '../../profiles/reference.json' with { type: 'json' };

describe('smm-variable suite', () => {
  it('passes every check against the in-process reference and against fwsec serve over TCP, with the same verdicts', async () => {
    const inproc = await run({ suites: ['smm-variable'] });
    expect(inproc.results.length).toBeGreaterThanOrEqual(120);
    expect(notPassing(inproc)).toEqual([]);
    expect(inproc.summary.exitCode).toBe(0);
    const tcp = await run({ profile: 'reference-tcp', suites: ['smm-variable'] });
    expect(verdicts(tcp)).toEqual(verdicts(inproc));
  });

  it('never FAILs a service that answers as Trusted Services does where the two legitimately differ', async () => {
    // INVALID_PARAMETER instead of ACCESS_DENIED for malformed payloads, no v3 header
    const profile = profileFor('inproc:', ['smm-variable'], {
      capabilities: { ...referenceProfile.capabilities, 'smm-variable.mm-header-v3': false },
      reset: { method: 'control' },
      reference: { smmVariable: { malformedStatus: 'INVALID_PARAMETER', mmHeaderV3: false } },
    });
    const o = await run({ profile, suites: ['smm-variable'] });
    const bad = o.results.filter((r) => r.verdict === 'FAIL' || r.verdict === 'ERROR').map((r) => `${r.id}: ${r.verdict} ${r.message ?? ''}`);
    expect(bad).toEqual([]);
    expect(verdicts(o).get('smm-variable.mm.header-v3')).toBe('UNSUPPORTED');
    expect(verdicts(o).get('smm-variable.get.name-not-terminated')).toBe('PASS');
  });

  it('skips destructive Secure Boot checks on a target the run does not own unless allowed', async () => {
    const profile = profileFor('inproc:', ['smm-variable'], { capabilities: referenceProfile.capabilities, allowDestructive: false });
    const o = await run({ profile, suites: ['smm-variable'], ids: ['smm-variable.secure-boot.*'] });
    const v = verdicts(o);
    expect(v.get('smm-variable.secure-boot.pk-enrol')).toBe('SKIP');
    expect(v.get('smm-variable.secure-boot.mode-variables')).toBe('PASS');
  });
});
