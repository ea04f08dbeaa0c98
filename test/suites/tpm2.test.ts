import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../suites/harness/runner.js';
import { loadProfile } from '../../suites/harness/profile.js';
import { selectChecks } from '../../suites/index.js';
import { notPassing, profileFor, run, verdicts } from '../helpers/run.js';

describe('tpm2 suite', () => {
  let inproc: RunOutcome;

  it('lists at least 250 checks, each with a clause, a requirement and a level', () => {
    const { checks } = selectChecks({ suites: ['tpm2'] }, loadProfile('reference'));
    expect(checks.length).toBeGreaterThanOrEqual(250);
    for (const c of checks) {
      expect(c.id).toMatch(/^tpm2\.[a-z0-9-]+\.[a-z0-9-]+$/);
      expect(c.clause).toMatch(/^(\d+(\.\d+)* \S|[A-Z])/);
      expect(c.requirement.length).toBeGreaterThan(30);
    }
    const destructive = checks.filter((c) => c.destructive).map((c) => c.id);
    for (const id of ['tpm2.hierarchy.clear', 'tpm2.hierarchy.change-auth-owner', 'tpm2.da.lockout', 'tpm2.hierarchy.clear-control']) expect(destructive).toContain(id);
  });

  it('passes every check against the in-process reference', async () => {
    inproc = await run({ suites: ['tpm2'] });
    expect(inproc.results.length).toBeGreaterThanOrEqual(250);
    expect(notPassing(inproc)).toEqual([]);
    expect(inproc.summary.exitCode).toBe(0);
  });

  it('gives the same verdicts over TCP against fwsec serve (reference-tcp)', async () => {
    const tcp = await run({ profile: 'reference-tcp', suites: ['tpm2'] });
    expect(notPassing(tcp)).toEqual([]);
    expect(verdicts(tcp)).toEqual(verdicts(inproc));
  });

  it('does not run destructive checks where the profile does not allow them', async () => {
    const o = await run({ profile: profileFor('inproc:', ['tpm2'], { allowDestructive: false }), ids: ['tpm2.hierarchy.clear', 'tpm2.random.length'] });
    const v = verdicts(o);
    expect(v.get('tpm2.random.length')).toBe('PASS');
    expect(['SKIP', 'UNSUPPORTED', 'NOT_RUN']).toContain(v.get('tpm2.hierarchy.clear'));
  });
});
