// kill -9 of `fwsec serve --state DIR` at random points of write-heavy ITS
// and PS work; after each restart every asset is as before or as after the
// write in flight, and the RPMB write counter of the board's eMMC only grew.
// 30 trials here (FWSEC_CRASH_TRIALS to change); 500 in `npm run bench -- rpmb`.
import { describe, expect, it } from 'vitest';
import { runCrashTrials } from '../helpers/crash-trials.js';

const TRIALS = Number(process.env.FWSEC_CRASH_TRIALS ?? 30);

describe('power cut (SIGKILL) of fwsec serve during storage writes', () => {
  it(`keeps every asset before or after each write over ${TRIALS} trials`, async () => {
    const r = await runCrashTrials({ trials: TRIALS, seed: Number(process.env.FWSEC_TEST_SEED ?? 20261122) });
    expect(r.violations).toEqual([]);
    expect(r.trials).toBe(TRIALS);
    expect(r.internalErrors).toBe(0);
    // the kills really hit operations in flight, and the counter moved with the work
    expect(r.killedMidOperation).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 3));
    expect(r.operations).toBeGreaterThan(TRIALS);
    expect(r.counterLast).toBeGreaterThan(r.counterFirst);
  }, 600_000);
});
