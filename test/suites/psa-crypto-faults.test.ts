// Fault-injected PSA Crypto targets (test/helpers/crypto-faults.ts), each
// modelled on a real bug: the suite must FAIL exactly the checks written
// against the broken requirement. Only the listed ids run, to keep this fast.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../suites/harness/profile.js';
import { CRYPTO_FAULTS } from '../helpers/crypto-faults.js';
import { registerFault, registerVolatileTarget } from '../helpers/faults.js';
import { profileFor, run, verdicts, withVerdict } from '../helpers/run.js';

const reference = loadProfile('reference');
const profile = (uri: string) => profileFor(uri, ['crypto'], { capabilities: reference.capabilities, reset: { method: 'control' } });
const URIS = new Map(CRYPTO_FAULTS.map((c) => [c.name, registerFault(`crypto-${c.name}`, c.fault)]));

describe('fault-injected crypto targets are caught', () => {
  it('has at least ten faults, each with checks to catch it', () => {
    expect(CRYPTO_FAULTS.length).toBeGreaterThanOrEqual(10);
    for (const c of CRYPTO_FAULTS) expect(c.mustFail.length, c.name).toBeGreaterThan(0);
  });

  for (const c of CRYPTO_FAULTS) {
    it(`${c.name}: ${c.models}`, async () => {
      const o = await run({ profile: profile(URIS.get(c.name)!), ids: c.mustFail });
      const v = verdicts(o);
      expect(o.results.map((r) => r.id).sort()).toEqual([...c.mustFail].sort());
      for (const id of c.mustFail) expect(`${id}: ${v.get(id)}`).toBe(`${id}: FAIL`);
      expect(o.summary.exitCode).toBe(1);
    });
  }

  it('the same checks pass against the unbroken reference', async () => {
    const ids = [...new Set(CRYPTO_FAULTS.flatMap((c) => c.mustFail))];
    const o = await run({ profile: profile('inproc:'), ids });
    expect(o.results.length).toBe(ids.length);
    expect(o.results.filter((r) => r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} — ${r.message}`)).toEqual([]);
  });

  it('ram-only key store: persistent keys lost at reset fail the persistence checks, and only those', async () => {
    // a key store in RAM only: persistent keys are lost at reset
    const uri = registerVolatileTarget('crypto-ram-only');
    const o = await run({ profile: profile(uri), grep: 'psa-crypto.lifetimes.' });
    expect(o.results.length).toBeGreaterThan(5);
    expect(withVerdict(o, 'FAIL').map((r) => r.id).sort()).toEqual([
      'psa-crypto.lifetimes.persistent-key-pair-usable-after-reset',
      'psa-crypto.lifetimes.persistent-survives-reset',
    ]);
    // a destroyed persistent key is still absent when everything was lost: that check rightly passes
    expect(verdicts(o).get('psa-crypto.lifetimes.destroyed-persistent-stays-destroyed')).toBe('PASS');
  });

  it('a failing model-based check reports a shrunk counterexample and a replay that reproduces it', async () => {
    const uri = URIS.get('aead-tag-not-checked')!;
    const id = 'psa-crypto.multipart.aead-model';
    const o = await run({ profile: profile(uri), ids: [id] });
    const r = o.results[0]!;
    expect(r.verdict).toBe('FAIL');
    expect(r.property?.counterexample).toMatch(/psa_aead_verify\(op=#\d, wrong tag\)/);
    expect(r.message).toMatch(/PSA_SUCCESS \(0\); the state machine expects PSA_ERROR_INVALID_SIGNATURE/);
    const path = /--replay '([^']+)'/.exec(r.property!.replay)![1]!;
    const commands = /--replay-commands '([^']+)'/.exec(r.property!.replay)?.[1];
    const again = (await run({ profile: profile(uri), ids: [id], replay: { path, commands } })).results[0]!;
    expect(again.verdict).toBe('FAIL');
    expect(again.property?.counterexample).toBe(r.property?.counterexample);
  });
});
