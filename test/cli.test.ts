// The fwsec command as users run it: a child process, its exit status, the
// files it writes and the messages it prints.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateReport, REPORT_FILES } from '../reports/render.js';
import { FWSEC_BIN } from '../suites/harness/launchers.js';

function fwsec(args: string[], cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [FWSEC_BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'fwsec-cli-'));

describe('fwsec run', () => {
  it('runs the psa-storage suite against the reference, exits 0 and writes every report file', () => {
    const out = tmp();
    const r = fwsec(['run', '--suite', 'psa-storage', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/profile reference, \d+ checks from psa-storage, seed 1/);
    expect(r.stdout).toMatch(/exit status 0/);
    for (const f of REPORT_FILES) expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(validateReport(report)).toEqual([]);
    expect(report.summary.counts.PASS).toBe(report.summary.total);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(events.length).toBe(report.summary.total + 2);
  });

  it('exits 1 with the finding printed when the target breaks a requirement, and 0 once it is waived', () => {
    const dir = tmp();
    // a reference configured to refuse every create flag breaks the WRITE_ONCE requirements
    const profile = join(dir, 'broken.json');
    writeFileSync(profile, JSON.stringify({ name: 'broken', services: { its: 'inproc:', ps: 'inproc:' }, reference: { its: { supportedFlags: 0 } } }));
    const r = fwsec(['run', '--profile', profile, '--id', 'psa-storage.its-set.write-once', '--out', join(dir, 'a')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL        psa-storage.its-set.write-once');
    expect(r.stdout).toContain('MUST: If uid exists it must not have been created with PSA_STORAGE_FLAG_WRITE_ONCE');
    expect(r.stdout).toContain('Expected: PSA_SUCCESS (0)');
    expect(r.stdout).toContain('Actual:   PSA_ERROR_NOT_SUPPORTED (-134)');
    const exp = join(dir, 'exp.json');
    writeFileSync(exp, JSON.stringify({ expectations: { 'psa-storage.its-set.write-once': { verdict: 'FAIL', reason: 'flags unsupported on this build' } } }));
    const w = fwsec(['run', '--profile', profile, '--id', 'psa-storage.its-set.write-once', '--expectations', exp, '--out', join(dir, 'b')]);
    expect(w.status).toBe(0);
    expect(w.stdout).toMatch(/WAIVED 1/);
    // the two runs differ by one check, for the better
    const d = fwsec(['diff', join(dir, 'a'), join(dir, 'b')]);
    expect(d.status).toBe(0);
    expect(d.stdout).toContain('~ psa-storage.its-set.write-once: FAIL -> WAIVED');
    const back = fwsec(['diff', join(dir, 'b'), join(dir, 'a')]);
    expect(back.status).toBe(1);
  });

  it('prints LAVA signals with --lava and rebuilds reports from events.jsonl', () => {
    const out = tmp();
    const r = fwsec(['run', '--id', 'psa-storage.its-get.*', '--lava', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=psa-storage.its-get.whole RESULT=pass>');
    const rebuilt = fwsec(['report', '--from', out, '--out', join(out, 'again')]);
    expect(rebuilt.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'again', 'report.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
  });

  it('refuses usage errors with exit 2 and a message that names the problem', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', services: { its: 'inproc:' }, timeouts: { callMs: 'soon' } }));
    const badExp = join(dir, 'exp.json');
    writeFileSync(badExp, JSON.stringify({ expectations: { 'a.b': { verdict: 'FAILED', reason: 'x' } } }));
    const cases: [string[], RegExp][] = [
      [['run', '--bogus'], /Unknown option '--bogus'/],
      [['run', '--profile', bad], /invalid profile .*bad\.json:\n  \/timeouts\/callMs: must be integer/],
      [['run', '--suite', 'nope'], /unknown suite "nope" \(known: psa-storage/],
      [['run', '--seed', 'x'], /--seed expects an integer/],
      [['run', '--target', 'ftp://x'], /unknown transport scheme "ftp:"/],
      [['run', '--expectations', badExp], /\/expectations\/a.b\/verdict: must be one of/],
      [['run', '--id', 'no.such.check'], /the selection matches no check/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, re] of cases) {
      const r = fwsec([...args, '--out', join(dir, 'out')]);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(re);
    }
  });
});

describe('fwsec list', () => {
  it('lists at least 60 psa-storage checks as JSON, each with clause, level and requirement', () => {
    const r = fwsec(['list', '--json', '--suite', 'psa-storage']);
    expect(r.status).toBe(0);
    const checks = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(checks.length).toBeGreaterThanOrEqual(60);
    for (const c of checks) {
      expect(Object.keys(c).sort()).toEqual(['capabilities', 'clause', 'destructive', 'id', 'kind', 'level', 'requirement', 'services', 'spec', 'suite', 'title']);
      expect(c.clause).toMatch(/^\d+(\.\d+)* |protocols\//);
      expect(['MUST', 'SHOULD', 'MAY']).toContain(c.level);
      expect(String(c.requirement).length).toBeGreaterThan(30);
    }
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
  });

  it('documents the capabilities profiles may declare', () => {
    const r = fwsec(['list', '--capabilities']);
    expect(r.stdout).toMatch(/^its\.max-asset-size\s+number\s+psa-storage\s+largest ITS asset/m);
    expect(r.stdout).toMatch(/^target\.reset/m);
  });
});

describe('fwsec serve', () => {
  it('binds loopback by default, serves until SIGTERM and exits 0', async () => {
    const child = spawn(process.execPath, [FWSEC_BIN, 'serve', '--listen', 'tcp://:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    expect(line).toMatch(/^fwsec serve: listening on tcp:\/\/127\.0\.0\.1:\d+ \(state: memory; services: its, ps/);
    const port = /:(\d+) /.exec(line)![1];
    const r = fwsec(['run', '--target', `tcp://127.0.0.1:${port}`, '--id', 'psa-storage.ps-set.*', '--out', tmp()]);
    expect(r.status).toBe(0);
    child.kill('SIGTERM');
    expect(await new Promise((res) => child.once('exit', res))).toBe(0);
  });
});
