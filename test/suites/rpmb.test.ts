import { describe, expect, it } from 'vitest';
import { notPassing, run, verdicts } from '../helpers/run.js';

describe('rpmb suite', () => {
  it('passes every check against the in-process reference', async () => {
    const o = await run({ suites: ['rpmb'] });
    expect(o.results.length).toBeGreaterThanOrEqual(60);
    expect(notPassing(o)).toEqual([]);
    expect(o.summary.exitCode).toBe(0);
  });

  it('gives the same verdicts over TCP against fwsec serve (reference-tcp)', async () => {
    const inproc = await run({ suites: ['rpmb'] });
    const tcp = await run({ profile: 'reference-tcp', suites: ['rpmb'] });
    expect(notPassing(tcp)).toEqual([]);
    expect(verdicts(tcp)).toEqual(verdicts(inproc));
  });

  it('skips the destructive checks when the run may not destroy anything', async () => {
    const o = await run({ profile: 'reference-tcp', target: 'tcp://127.0.0.1:1', suites: ['rpmb'], ids: ['rpmb.key.program', 'rpmb.expiry.write-refused'] });
    expect([...verdicts(o).values()]).toEqual(['SKIP', 'SKIP']);
  });
});
