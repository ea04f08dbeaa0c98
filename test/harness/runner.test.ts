// The harness: verdicts by level and capability, destructive gating,
// expectations (WAIVED / XPASS), hung and dead targets (ERROR, the run goes
// on), exit codes, and properties with pinned seeds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import { SERVICES } from '../../protocol/services.js';
import { exitCodeFor, emptyCounts } from '../../reports/model.js';
import { check, checkProp, defineSuite } from '../../suites/harness/check.js';
import { Expectations, applyExpectation } from '../../suites/harness/expectations.js';
import { overrideTarget, loadProfile, runOwnsTarget } from '../../suites/harness/profile.js';
import { runChecks, checkSeedFor } from '../../suites/harness/runner.js';
import type { CheckDef } from '../../suites/harness/types.js';
import { StorageClient } from '../../clients/psa-storage.js';
import { registerFault } from '../helpers/faults.js';
import { TransportError } from '../../transports/types.js';
import { profileFor } from '../helpers/run.js';

const base = { spec: 'Test spec 1.0', clause: '1.1 Things', requirement: 'Things work.', services: ['its' as const] };

function runDefs(checks: CheckDef[], opts: Partial<Parameters<typeof runChecks>[0]> = {}) {
  return runChecks({
    profile: opts.profile ?? loadProfile('reference'),
    checks,
    seed: 1,
    strict: false,
    allowDestructive: false,
    argv: [],
    selection: { suites: ['t'] },
    onEvent: () => {},
    ...opts,
  });
}

const pass = check({ ...base, id: 't.a.pass', title: 'passes', level: 'MUST', run: async () => {} });
const mustFail = check({ ...base, id: 't.a.must-fail', title: 'fails', level: 'MUST', run: async (t) => t.fail('broken', { expected: 'A', actual: 'B' }) });
const shouldFail = check({ ...base, id: 't.a.should-fail', title: 'should', level: 'SHOULD', run: async (t) => t.fail('meh') });
const nonStrict = check({ ...base, id: 't.a.non-strict', title: 'ns', level: 'MUST', run: async (t) => t.nonStrict('allowed but discouraged') });
const unsupported = check({ ...base, id: 't.a.unsupported', title: 'u', level: 'MUST', run: async (t) => t.unsupported('no such feature') });
const crashes = check({ ...base, id: 't.a.crashes', title: 'bug', level: 'MUST', run: async () => { throw new TypeError('oops'); } });
const destructive = check({ ...base, id: 't.a.destructive', title: 'd', level: 'MUST', destructive: true, run: async () => {} });
const needsCap = check({ ...base, id: 't.a.cap', title: 'c', level: 'MUST', capabilities: ['ps.set-extended'], run: async () => {} });
const optional = check({ ...base, id: 't.a.optional', title: 'o', level: 'MUST', run: async (t) => t.optional('ps.set-extended', true, 'psa_ps_create answered NOT_SUPPORTED') });

describe('verdicts', () => {
  it('maps outcomes to verdicts by level, and exceptions to ERROR', async () => {
    const o = await runDefs([pass, mustFail, shouldFail, nonStrict, unsupported, crashes]);
    expect(o.results.map((r) => r.verdict)).toEqual(['PASS', 'FAIL', 'NON-STRICT', 'NON-STRICT', 'UNSUPPORTED', 'ERROR']);
    const f = o.results[1]!;
    expect(f).toMatchObject({ message: 'broken', expected: 'A', actual: 'B', requirement: 'Things work.', clause: '1.1 Things' });
    expect(o.results[5]!.message).toMatch(/internal error in the check: TypeError: oops/);
    expect(o.summary.exitCode).toBe(1);
  });

  it('a request the transport cannot carry makes the check UNSUPPORTED with the reason; other transport errors are ERROR', async () => {
    const cannot = check({ ...base, id: 't.a.cannot-carry', title: 'x', level: 'MUST', run: async () => { throw new TransportError('unsupported', 'tpm:///dev/tpmrm0 carries tpm2 opcode 0 (SUBMIT) only, not opcode 0x1'); } });
    const broken = check({ ...base, id: 't.a.broken-link', title: 'y', level: 'MUST', run: async () => { throw new TransportError('disconnected', 'peer closed'); } });
    const o = await runDefs([cannot, broken]);
    expect(o.results.map((r) => r.verdict)).toEqual(['UNSUPPORTED', 'ERROR']);
    expect(o.results[0]!.message).toBe('the transport cannot carry what this check sends: tpm:///dev/tpmrm0 carries tpm2 opcode 0 (SUBMIT) only, not opcode 0x1');
    expect(o.summary.exitCode).toBe(2);
  });

  it('gates destructive checks on profile and command line for a target the run does not own', async () => {
    const owned = loadProfile('reference');
    expect(runOwnsTarget(owned)).toBe(true);
    expect(runOwnsTarget(loadProfile('reference-tcp'))).toBe(true);
    expect((await runDefs([destructive], { profile: owned })).results[0]!.verdict).toBe('PASS');
    const board = profileFor('tcp://127.0.0.1:9', ['its'], { timeouts: { callMs: 200 } });
    expect(runOwnsTarget(board)).toBe(false);
    expect(runOwnsTarget(overrideTarget(loadProfile('reference-tcp'), 'tcp://127.0.0.1:9'))).toBe(false);
    const noFlag = await runDefs([destructive], { profile: board });
    expect(noFlag.results[0]).toMatchObject({ verdict: 'SKIP', message: expect.stringMatching(/pass --allow-destructive/) });
    expect((await runDefs([destructive], { profile: board, allowDestructive: true })).results[0]!.verdict).toBe('PASS');
    const notAllowed = await runDefs([destructive], { profile: { ...board, allowDestructive: false }, allowDestructive: true });
    expect(notAllowed.results[0]).toMatchObject({ verdict: 'SKIP', message: expect.stringMatching(/does not set allowDestructive/) });
  });

  it('turns a capability declared false into UNSUPPORTED without running, and a declared-present optional feature into FAIL', async () => {
    const p = loadProfile('reference');
    const off = await runDefs([needsCap, optional], { profile: { ...p, capabilities: { ...p.capabilities, 'ps.set-extended': false } } });
    expect(off.results.map((r) => [r.verdict, r.message])).toEqual([
      ['UNSUPPORTED', 'profile declares ps.set-extended = false'],
      ['UNSUPPORTED', 'psa_ps_create answered NOT_SUPPORTED'],
    ]);
    const on = await runDefs([optional]);
    expect(on.results[0]).toMatchObject({ verdict: 'FAIL', message: expect.stringMatching(/declares ps.set-extended = true, but psa_ps_create answered NOT_SUPPORTED/) });
  });

  it('skips checks whose service the profile does not map', async () => {
    const itsOnly = profileFor('inproc:', ['its']);
    const o = await runDefs([check({ ...base, services: ['tpm2'], id: 't.a.tpm', title: 't', level: 'MUST', run: async () => {} })], { profile: itsOnly });
    expect(o.results[0]).toMatchObject({ verdict: 'SKIP', message: 'profile test maps no transport for tpm2' });
  });
});

describe('expectations', () => {
  const exp = Expectations.parse(
    {
      expectations: {
        't.a.must-fail': { verdict: 'FAIL', reason: 'vendor bug 12', link: 'https://bugs.example/12' },
        't.a.pass': { verdict: 'FAIL', reason: 'fixed in fw 2.1?' },
        't.a.cras*': { verdict: ['ERROR', 'PASS'], reason: 'flaky UART' },
        't.a.destructive': { skip: true, reason: 'resets the board' },
      },
    },
    'inline',
  );

  it('waives listed failures, flags unexpected passes, honours skips and globs', async () => {
    const o = await runDefs([mustFail, pass, crashes, destructive], { expectations: exp });
    expect(o.results.map((r) => [r.id, r.verdict, r.outcome])).toEqual([
      ['t.a.must-fail', 'WAIVED', 'FAIL'],
      ['t.a.pass', 'XPASS', 'PASS'],
      ['t.a.crashes', 'WAIVED', 'ERROR'],
      ['t.a.destructive', 'SKIP', 'SKIP'],
    ]);
    expect(o.results[0]!.expectation).toEqual({ verdicts: ['FAIL'], reason: 'vendor bug 12', link: 'https://bugs.example/12' });
    expect(o.results[1]!.message).toBe('listed as FAIL (fixed in fw 2.1?) but passed: remove the expectation');
    expect(o.results[3]!.message).toBe('expectations: resets the board');
    expect(o.summary.exitCode).toBe(1); // XPASS
  });

  it('leaves an outcome that does not match the expectation alone', () => {
    const e = exp.lookup('t.a.must-fail');
    expect(applyExpectation('ERROR', e)).toEqual({ verdict: 'ERROR', message: 'listed as FAIL (vendor bug 12), got ERROR' });
    expect(applyExpectation('PASS', exp.lookup('t.a.crashes'))).toEqual({ verdict: 'PASS' });
  });

  it('rejects a malformed expectations file naming the field', () => {
    expect(() => Expectations.parse({ expectations: { 'x.y': { verdict: 'BROKEN', reason: 'r' } } }, 'e.json')).toThrow(/\/expectations\/x.y\/verdict: must be one of/);
    expect(() => Expectations.parse({ expectations: { 'x.y': { verdict: 'FAIL' } } }, 'e.json')).toThrow(/\/expectations\/x.y\/reason: required field missing/);
  });
});

describe('exit codes', () => {
  it('is 1 for findings, else 2 for errors or an incomplete run, else 0', () => {
    const c = emptyCounts();
    expect(exitCodeFor(c, false)).toBe(0);
    expect(exitCodeFor({ ...c, 'NON-STRICT': 1 }, false)).toBe(0);
    expect(exitCodeFor({ ...c, 'NON-STRICT': 1 }, true)).toBe(1);
    expect(exitCodeFor({ ...c, ERROR: 1 }, false)).toBe(2);
    expect(exitCodeFor({ ...c, ERROR: 1, FAIL: 1 }, false)).toBe(1);
    expect(exitCodeFor({ ...c, WAIVED: 3, UNSUPPORTED: 1, SKIP: 2 }, false)).toBe(0);
    expect(exitCodeFor(c, false, true)).toBe(2);
  });
});

describe('a hung or dead target', () => {
  const hangs = registerFault('hang-on-get-info', {
    service: SERVICES.its,
    handle: (op, body, next) => (op === S.StorageOpcode.GET_INFO ? new Promise(() => {}) : next(op, body)),
  });

  const infoCheck = (n: number) =>
    check({
      ...base,
      id: `t.h.info-${n}`,
      title: 'get_info',
      level: 'MUST',
      run: async (t) => {
        await new StorageClient(t.channel('its')).getInfo(1n);
      },
    });
  const setCheck = check({
    ...base,
    id: 't.h.set',
    title: 'set',
    level: 'MUST',
    run: async (t) => {
      t.expectEqual(await new StorageClient(t.channel('its')).set(77n, new Uint8Array(1)), PSA.SUCCESS, 'status');
    },
  });

  it('gives ERROR for each check that hangs and runs the others', async () => {
    const p = profileFor(hangs, ['its'], { timeouts: { callMs: 100 } });
    const o = await runDefs([infoCheck(1), setCheck, infoCheck(2)], { profile: p });
    expect(o.results.map((r) => r.verdict)).toEqual(['ERROR', 'PASS', 'ERROR']);
    expect(o.results[0]!.message).toMatch(/no answer within 100 ms/);
    expect(o.results[0]!.wire?.[0]?.label).toBe('psa_its_get_info(uid=0x1)');
    expect(o.summary.exitCode).toBe(2);
  });

  it('bounds a check that never finishes by its time budget', async () => {
    const stuck = check({ ...base, id: 't.h.stuck', title: 's', level: 'MUST', timeoutMs: 100, run: () => new Promise(() => {}) });
    const o = await runDefs([stuck, pass]);
    expect(o.results.map((r) => r.verdict)).toEqual(['ERROR', 'PASS']);
    expect(o.results[0]!.message).toMatch(/did not finish within 100 ms/);
  });

  it('stops trying a service that stopped answering after three transport errors', async () => {
    const p = profileFor('tcp://127.0.0.1:1', ['its'], { timeouts: { callMs: 200 } });
    const o = await runDefs([1, 2, 3, 4, 5].map(infoCheck), { profile: p });
    expect(o.results.map((r) => r.verdict)).toEqual(['ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
    expect(o.results[0]!.message).toMatch(/cannot connect/);
    expect(o.results[4]!.message).toMatch(/its unreachable: health probe after 3 consecutive transport errors failed/);
  });

  it('reports a target that never comes up as ERROR on every check, with the reason', async () => {
    const p = profileFor('inproc:no-such-target', ['its']);
    const o = await runDefs([pass, setCheck], { profile: p });
    expect(o.results.map((r) => r.verdict)).toEqual(['ERROR', 'ERROR']);
    expect(o.results[0]!.message).toMatch(/target unavailable: no in-process target named "no-such-target"/);
  });
});

describe('properties', () => {
  const seen: number[][] = [];
  const prop = checkProp({
    ...base,
    id: 't.p.sorted',
    title: 'p',
    level: 'MUST',
    numRuns: 30,
    arbitrary: () => fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 8 }),
    predicate: async (t, xs) => {
      seen.push(xs);
      if (xs.length >= 3 && xs[0]! > xs[1]!) t.fail(`unsorted ${xs}`, { expected: 'sorted', actual: String(xs) });
    },
  });

  it('derives a stable seed per check from the run seed, and replays the same values', async () => {
    expect(checkSeedFor(1, 't.p.sorted')).toBe(checkSeedFor(1, 't.p.sorted'));
    expect(checkSeedFor(1, 't.p.sorted')).not.toBe(checkSeedFor(2, 't.p.sorted'));
    const a = await runDefs([prop], { seed: 5 });
    const firstRun = seen.splice(0);
    const b = await runDefs([prop], { seed: 5 });
    expect(seen.splice(0)).toEqual(firstRun);
    expect(a.results[0]!.property).toEqual(b.results[0]!.property);
    const r = a.results[0]!;
    expect(r.verdict).toBe('FAIL');
    expect(r.property).toMatchObject({ seed: checkSeedFor(5, 't.p.sorted'), counterexample: expect.stringMatching(/^\[\d+,\d+,\d+\]$/) });
    expect(r.message).toMatch(/counterexample after \d+ run\(s\), \d+ shrink\(s\)/);
  });

  it('suite definitions refuse duplicate ids and undocumented capabilities', () => {
    expect(() => defineSuite({ name: 't', title: 't', service: 'its', checks: [pass, pass] })).toThrow(/duplicate check id t.a.pass/);
    expect(() => defineSuite({ name: 't', title: 't', service: 'its', checks: [needsCap] })).toThrow(/does not document/);
    expect(() => check({ ...base, id: 'Bad Id', title: 't', level: 'MUST', run: async () => {} })).toThrow(/not of the form/);
  });
});
