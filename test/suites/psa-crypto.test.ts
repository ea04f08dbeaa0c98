import { describe, expect, it } from 'vitest';
import { notPassing, run, verdicts } from '../helpers/run.js';

describe('psa-crypto suite', () => {
  it('passes every check against the in-process reference', async () => {
    const o = await run({ suites: ['psa-crypto'] });
    expect(o.results.length).toBeGreaterThanOrEqual(300);
    expect(notPassing(o)).toEqual([]);
    expect(o.summary.exitCode).toBe(0);
  });

  it('gives the same verdicts over TCP against fwsec serve (reference-tcp)', async () => {
    const inproc = await run({ suites: ['psa-crypto'] });
    const tcp = await run({ profile: 'reference-tcp', suites: ['psa-crypto'] });
    expect(notPassing(tcp)).toEqual([]);
    expect(verdicts(tcp)).toEqual(verdicts(inproc));
  });
});
