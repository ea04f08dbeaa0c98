import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinProfileNames, loadProfile, overrideTarget, parseProfile } from '../../suites/harness/profile.js';

const parse = (raw: unknown) => parseProfile(raw, 'p.json', '/base');

describe('profiles', () => {
  it('loads the built-in profiles', () => {
    for (const name of builtinProfileNames()) {
      const p = loadProfile(name);
      expect(p.name).toBe(name);
      expect(Object.keys(p.services).length).toBeGreaterThan(0);
    }
    expect(loadProfile('reference').services.its).toBe('inproc:');
    expect(loadProfile('reference-tcp').launch).toEqual({ kind: 'fwsec-serve' });
  });

  it('names the field of every problem in a malformed profile', () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'x', servics: {} }, /\/servics: unknown field/],
      [{ name: 'x', servics: {} }, /\/services: required field missing/],
      [{ name: 'x', services: { its: 7 } }, /\/services\/its: must be string/],
      [{ name: 'x', services: { itss: 'inproc:' } }, /\/services\/itss: unknown field/],
      [{ name: 'x', services: { its: 'inproc:' }, capabilities: { 'Bad Name': true } }, /\/capabilities: field name "Bad Name" is not allowed/],
      [{ name: 'x', services: { its: 'inproc:' }, timeouts: { callMs: -1 } }, /\/timeouts\/callMs: must be >= 1/],
      [{ name: 'x', services: { its: 'inproc:' }, reset: { method: 'reboot' } }, /\/reset\/method: must be one of "control", "relaunch"/],
      [{ name: 'a b', services: { its: 'inproc:' } }, /\/name: must match pattern/],
    ];
    for (const [raw, re] of cases) expect(() => parse(raw)).toThrow(re);
  });

  it('explains a missing file and a file that is not JSON', () => {
    expect(() => loadProfile('nope')).toThrow(/no profile "nope": not a built-in profile \(reference, reference-tcp.*\) and no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'fwsec-p-'));
    writeFileSync(join(dir, 'bad.json'), '{ "name": ');
    expect(() => loadProfile(join(dir, 'bad.json'))).toThrow(/is not valid JSON/);
  });

  it('resolves the expectations file relative to the profile, and --target replaces every service and the launcher', () => {
    const p = parse({ name: 'x', services: { its: 'tcp://a:1', ps: { uri: 'tcp://b:2' } }, expectations: 'exp/x.json', launch: { kind: 'fwsec-serve' }, reset: { method: 'relaunch' } });
    expect(p.expectations).toBe('/base/exp/x.json');
    expect(p.services).toEqual({ its: 'tcp://a:1', ps: 'tcp://b:2' });
    const o = overrideTarget(p, 'serial:///dev/ttyUSB0');
    expect(o.services).toEqual({ its: 'serial:///dev/ttyUSB0', ps: 'serial:///dev/ttyUSB0' });
    expect(o.launch).toBeUndefined();
    expect(o.reset).toBeUndefined();
  });
});
