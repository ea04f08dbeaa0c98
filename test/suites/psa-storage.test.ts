import { describe, expect, it } from 'vitest';
import { notPassing, run, verdicts } from '../helpers/run.js';

describe('psa-storage suite', () => {
  it('passes every check against the in-process reference', async () => {
    const o = await run({ suites: ['psa-storage'] });
    expect(o.results.length).toBeGreaterThanOrEqual(60);
    expect(notPassing(o)).toEqual([]);
    expect(o.summary.exitCode).toBe(0);
  });

  it('gives the same verdicts over TCP against fwsec serve (reference-tcp)', async () => {
    const inproc = await run({ suites: ['psa-storage'] });
    const tcp = await run({ profile: 'reference-tcp', suites: ['psa-storage'] });
    expect(notPassing(tcp)).toEqual([]);
    expect(verdicts(tcp)).toEqual(verdicts(inproc));
  });
});
