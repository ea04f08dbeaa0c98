// The tpm2 suite against the real swtpm (libtpms) started by the built-in
// swtpm profile: no ERROR, no unexplained FAIL — the only non-PASS verdicts are
// the libtpms deviations recorded in expectations/swtpm.json (WAIVED) and the
// checks whose preconditions swtpm's configuration does not meet.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Expectations } from '../../suites/harness/expectations.js';
import { loadProfile } from '../../suites/harness/profile.js';
import { run, withVerdict } from '../helpers/run.js';

describe('tpm2 suite against swtpm', () => {
  it('passes except the recorded libtpms deviations, and reports libtpms RETRY warnings as retried', async () => {
    const profile = loadProfile('swtpm');
    const o = await run({ profile, suites: ['tpm2'], expectations: Expectations.load(profile.expectations!) });
    expect(o.results.length).toBeGreaterThanOrEqual(250);
    const show = (v: 'FAIL' | 'ERROR') => withVerdict(o, v).map((r) => `${r.id}: ${r.message}`);
    expect(show('ERROR')).toEqual([]);
    expect(show('FAIL')).toEqual([]);
    const recorded = Object.keys((JSON.parse(readFileSync('expectations/swtpm.json', 'utf8')) as { expectations: Record<string, unknown> }).expectations).sort();
    expect(withVerdict(o, 'WAIVED').map((r) => r.id).sort()).toEqual(recorded);
    // swtpm allocates a PCR bank for every hash it implements, and lists PCRs 16 and 23 in TPM_PT_PCR_NO_INCREMENT
    expect(withVerdict(o, 'UNSUPPORTED').map((r) => r.id).sort()).toEqual(['tpm2.pcr.extend-unallocated-bank', 'tpm2.pcr.update-counter']);
    // libtpms (USE_DA_USED) answers TPM_RC_RETRY to the first DA-protected authorization of a power cycle
    const notes = o.results.flatMap((r) => r.notes ?? []);
    expect(notes.some((n) => n.includes('TPM_RC_RETRY (0x922)') && n.includes('retried'))).toBe(true);
  });
});
