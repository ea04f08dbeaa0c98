// Fault-injected TPMs (test/helpers/tpm2-faults.ts), each modelled on a bug
// seen in the field: the tpm2 checks for that requirement FAIL with exactly
// these ids, and nothing else in the selection does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as F from '../helpers/tpm2-faults.js';
import { profileFor, run, verdicts } from '../helpers/run.js';

async function failing(uri: string, ids: string[]): Promise<{ fail: string[]; other: string[]; all: Map<string, string> }> {
  const o = await run({ profile: profileFor(uri, ['tpm2']), ids, allowDestructive: true });
  expect(o.results.length).toBeGreaterThan(0);
  return {
    fail: o.results.filter((r) => r.verdict === 'FAIL').map((r) => r.id).sort(),
    other: o.results.filter((r) => r.verdict !== 'FAIL' && r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} ${r.message ?? ''}`),
    all: verdicts(o),
  };
}

describe('tpm2 checks catch fault-injected TPMs', () => {
  it('BAD_TAG answered as TPM 1.2 0x030 (edk2#10107)', async () => {
    const r = await failing(F.BAD_TAG_030, ['tpm2.command.*']);
    expect(r.fail).toEqual(['tpm2.command.bad-tag', 'tpm2.command.bad-tag-undefined']);
    expect(r.other).toEqual([]);
  });

  it('Startup(STATE) refused after Shutdown(STATE) (system76/firmware-open#427)', async () => {
    const r = await failing(F.RESUME_REFUSED, ['tpm2.startup.*']);
    expect(r.fail).toEqual(
      [
        'tpm2.startup.resume-after-shutdown-state',
        'tpm2.startup.resume-keeps-saved-pcrs',
        'tpm2.startup.resume-keeps-saved-session',
        'tpm2.startup.resume-loop',
        'tpm2.startup.resume-resets-unsaved-pcrs',
        'tpm2.startup.saved-state-used-once',
        'tpm2.startup.volatile-objects-lost',
      ].sort(),
    );
    expect(r.other).toEqual([]);
    expect(r.all.get('tpm2.startup.clear-after-init')).toBe('PASS');
  });

  it('TPM_PT_NV_BUFFER_MAX reported but not honoured (flightctl#3126)', async () => {
    const r = await failing(F.NV_BUFFER_LIES, ['tpm2.nv.*', 'tpm2.capability.*']);
    expect(r.fail).toEqual(['tpm2.nv.buffer-max-honoured']);
    expect(r.other).toEqual([]);
  });

  it('a command listed in TPM_CAP_COMMANDS answering TPM_RC_COMMAND_CODE (Dasharo/dasharo-issues#767)', async () => {
    const r = await failing(F.LISTED_NOT_IMPLEMENTED, ['tpm2.capability.*']);
    expect(r.fail).toEqual(['tpm2.capability.listed-commands-implemented']);
    expect(r.other).toEqual([]);
  });

  it('PCR 20 resettable from the wrong locality', async () => {
    const r = await failing(F.PCR20_RESET_ANY_LOCALITY, ['tpm2.pcr.*', 'tpm2.capability.*']);
    expect(r.fail).toEqual(['tpm2.capability.pcr-reset-l0-honest', 'tpm2.pcr.reset-locality-2']);
    expect(r.other).toEqual([]);
  });

  it('a wrong response HMAC (ESAPI TSS2_ESYS_RC_RSP_AUTH_FAILED)', async () => {
    const r = await failing(F.BAD_RESPONSE_HMAC, ['tpm2.session.*', 'tpm2.context.*', 'tpm2.object.*', 'tpm2.hierarchy.*']);
    expect(r.fail).toEqual(
      [
        'tpm2.context.session-roundtrip',
        'tpm2.hierarchy.change-auth-hmac-response',
        'tpm2.object.unseal',
        'tpm2.session.bound-to-entity',
        'tpm2.session.hmac-authorizes',
        'tpm2.session.salted-ecc',
        'tpm2.session.salted-rsa',
      ].sort(),
    );
    expect(r.other).toEqual([]);
  });

  it('RETRY and TESTING warnings are retried, reported in the notes, and the checks pass (tpm2-tss#1585, libtpms#497)', async () => {
    const o = await run({ profile: profileFor(F.RETRY_AND_TESTING, ['tpm2']), ids: ['tpm2.nv.write-read', 'tpm2.nv.index-auth', 'tpm2.hash.digest'], allowDestructive: true });
    expect(o.results.map((r) => `${r.id} ${r.verdict}`)).toEqual(['tpm2.hash.digest PASS', 'tpm2.nv.write-read PASS', 'tpm2.nv.index-auth PASS']);
    const notes = (id: string) => (o.results.find((r) => r.id === id)!.notes ?? []).join('\n');
    expect(notes('tpm2.nv.write-read')).toMatch(/TPM2_NV_Write.*TPM_RC_RETRY \(0x922\) — retried \(attempt 1\)/);
    expect(notes('tpm2.hash.digest')).toMatch(/TPM2_Hash.*TPM_RC_TESTING \(0x90a\) — retried \(attempt 1\)/);
  });

  it('NV_Write ignoring its offset, caught by the fixed checks and shrunk by the NV model', async () => {
    const o = await run({ profile: profileFor(F.NV_WRITE_OFFSET_IGNORED, ['tpm2']), ids: ['tpm2.nv.*', 'tpm2.model.nv-sequences'], allowDestructive: true });
    expect(o.results.filter((r) => r.verdict !== 'PASS').map((r) => `${r.id} ${r.verdict}`).sort()).toEqual(['tpm2.model.nv-sequences FAIL', 'tpm2.nv.write-range FAIL', 'tpm2.nv.write-read FAIL']);
    const model = o.results.find((r) => r.id === 'tpm2.model.nv-sequences')!;
    expect(model.message).toMatch(/counterexample/);
    expect(model.message).toMatch(/TPM2_NV_Write\(#\d, \d+ bytes at [1-9]/);
  });

  it('PCR_Extend extending only the first bank, caught by the extend checks and the PCR model', async () => {
    const r = await failing(F.PCR_EXTEND_FIRST_BANK_ONLY, ['tpm2.pcr.*', 'tpm2.model.pcr-sequences']);
    expect(r.fail).toEqual(['tpm2.model.pcr-sequences', 'tpm2.pcr.extend-all-banks', 'tpm2.pcr.extend-too-many-digests']);
    expect(r.other).toEqual([]);
  });

  // Response-code and resource bugs that touch many commands: every check they break FAILs, and the
  // exact sets are in tpm2-fault-sets.json (FWSEC_FAULT_PROBE=1 prints what a run found). Some of a
  // fault's failures are consequences, not detections: a TPM that never flushes runs out of object and
  // session slots, and later checks fail their preconditions (docs/fault-coverage.md).
  const SETS = JSON.parse(readFileSync(new URL('./tpm2-fault-sets.json', import.meta.url), 'utf8')) as Record<string, string[]>;
  const WIDE: [keyof typeof SETS, string, string][] = [
    ['PARAM_NUMBER_OFF', F.PARAM_NUMBER_OFF, 'format-one parameter numbers off by one (TPM_RC_VALUE + P1 answered as + P2)'],
    ['HANDLE_NUMBER_SWAPPED', F.HANDLE_NUMBER_SWAPPED, 'format-one handle numbers 1 and 2 swapped'],
    ['SESSION_NUMBER_DROPPED', F.SESSION_NUMBER_DROPPED, 'session errors without the session number (0x9a2 answered as 0x0a2)'],
    ['GETRANDOM_SHORT', F.GETRANDOM_SHORT, 'TPM2_GetRandom answering half the bytes asked'],
    ['FLUSH_IGNORED', F.FLUSH_IGNORED, 'TPM2_FlushContext acknowledged, the object or session kept (the leak tpm2-tss looks for)'],
  ];
  for (const [key, uri, what] of WIDE) {
    it(`${what}: exactly the recorded checks FAIL, nothing ERRORs`, async () => {
      const o = await run({ profile: profileFor(uri, ['tpm2']), ids: ['tpm2.*'], allowDestructive: true });
      const fail = o.results.filter((r) => r.verdict === 'FAIL').map((r) => r.id).sort();
      if (process.env.FWSEC_FAULT_PROBE) console.log(`PROBE ${key} ${JSON.stringify(fail)}`);
      expect(fail).toEqual(SETS[key]);
      expect(o.results.filter((r) => r.verdict === 'ERROR').map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    });
  }

  it('a TPM that never flushes is reported by the leak check itself, naming what was left', async () => {
    const o = await run({ profile: profileFor(F.FLUSH_IGNORED, ['tpm2']), ids: ['tpm2.command.transient-not-loaded', 'tpm2.capability.handles-moredata'], allowDestructive: true });
    expect(o.results.map((r) => r.verdict)).toEqual(['FAIL', 'FAIL']);
    expect(o.results[1]!.message).toMatch(/transient objects left over after the check: transient 0x80/);
  });
});
