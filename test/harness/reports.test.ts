// Reports rendered from a real run with every kind of verdict: report.json
// validates against its schema, junit.xml carries ids, clauses and waiver
// reasons, report.html is self-contained, events.jsonl rebuilds the report.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog, reportFromEvents } from '../../reports/events.js';
import type { Report, RunEvent } from '../../reports/model.js';
import { validateReport, writeReports } from '../../reports/render.js';
import { renderJunit } from '../../reports/junit.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { Expectations } from '../../suites/harness/expectations.js';
import { SERVICES } from '../../protocol/services.js';
import * as S from '../../protocol/psa/storage.js';
import { PSA } from '../../protocol/psa/status.js';
import { registerFault } from '../helpers/faults.js';
import { profileFor, run } from '../helpers/run.js';
import { loadProfile } from '../../suites/harness/profile.js';

// a target that ignores WRITE_ONCE, refuses NO_CONFIDENTIALITY (a SHOULD),
// hangs on get_info of uid 0 and accepts an unknown opcode
const uri = registerFault('reports-mixed', {
  service: SERVICES.its,
  handle: async (op, body, next) => {
    if (op === S.StorageOpcode.SET) {
      const r = S.decodeSet(body);
      if (r.flags & S.StorageFlag.NO_CONFIDENTIALITY) return { status: PSA.ERROR_NOT_SUPPORTED, body: new Uint8Array(0) };
      return next(op, S.encodeSet({ ...r, flags: r.flags & ~S.StorageFlag.WRITE_ONCE }));
    }
    if (op === S.StorageOpcode.GET_INFO && S.decodeUid(body, 'get_info') === 0n) return new Promise(() => {});
    if (op === 0x1ff) return { status: PSA.SUCCESS, body: new Uint8Array(0) };
    return next(op, body);
  },
});

async function mixedReport(): Promise<{ report: Report; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const ref = loadProfile('reference');
  const profile = profileFor(uri, ['its', 'ps'], { capabilities: { ...ref.capabilities, 'ps.set-extended': false }, timeouts: { callMs: 100 } });
  const expectations = Expectations.parse(
    { expectations: { 'psa-storage.its-set.write-once': { verdict: 'FAIL', reason: 'vendor bug <12> & "quotes"', link: 'https://bugs.example/12' }, 'psa-storage.its-get.whole': { verdict: 'FAIL', reason: 'was broken' } } },
    'inline',
  );
  const o = await run({ profile, suites: ['psa-storage'], ids: ['psa-storage.its-set.*', 'psa-storage.its-get.whole', 'psa-storage.ps-create.*', 'psa-storage.its-get-info.uid-zero', 'psa-storage.its-model.sequences', 'psa-storage.its-wire.unknown-opcode'], expectations, events });
  return { report: { schemaVersion: 1, ...o }, events };
}

describe('reports', () => {
  it('covers every verdict kind in one run and validates against the schema', async () => {
    const { report } = await mixedReport();
    const kinds = new Set(report.results.map((r) => r.verdict));
    for (const v of ['PASS', 'FAIL', 'WAIVED', 'XPASS', 'UNSUPPORTED', 'ERROR', 'NON-STRICT'] as const) expect(kinds).toContain(v);
    expect(validateReport(report)).toEqual([]);
    expect(validateReport({ ...report, summary: { ...report.summary, exitCode: 7 } })).toEqual(['/summary/exitCode: must be equal to one of the allowed values']);
  });

  it('writes junit.xml with stable names, clauses as properties and waiver reasons as messages', async () => {
    const { report } = await mixedReport();
    const xml = renderJunit(report);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(report.results.length);
    expect(xml).toContain('<testcase classname="psa-storage.its-set" name="psa-storage.its-set.write-once"');
    expect(xml).toContain('<property name="clause" value="5.3.3 psa_its_set"/>');
    expect(xml).toContain('<skipped message="WAIVED (FAIL) waived: vendor bug &lt;12&gt; &amp; &quot;quotes&quot; (https://bugs.example/12)"/>');
    expect(xml).toMatch(/<failure type="XPASS" message="XPASS: listed as FAIL \(was broken\) but passed: remove the expectation">/);
    expect(xml).toMatch(/<error type="ERROR" message="ERROR: [^"]*no answer within 100 ms/);
    expect(xml).toMatch(/<failure type="FAIL" message="FAIL: [^"]+: returned PSA_SUCCESS \(0\)">/);
    expect(xml).toMatch(/<testcase classname="psa-storage.its-set" name="psa-storage.its-set.no-confidentiality" time="[\d.]+">\n(.*\n){7}      <system-out>SHOULD: /);
    expect(xml).toContain('Expected: PSA_ERROR_NOT_PERMITTED (-133)');
    expect(xml).toMatch(/<skipped message="UNSUPPORTED: profile declares ps.set-extended = false"\/>/);
    const counts = /<testsuites name="fwsec" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(xml)!;
    const c = report.summary.counts;
    expect(counts.slice(1).map(Number)).toEqual([report.summary.total, c.FAIL + c.XPASS, c.ERROR, c.SKIP + c.UNSUPPORTED + c.WAIVED]);
  });

  it('writes a self-contained report.html that expands findings with requirement, expected, actual and wire bytes', async () => {
    const { report } = await mixedReport();
    const html = renderHtml(report);
    expect(html).not.toMatch(/<(link|img)\b|\bsrc=|href="http|@import|url\(/);
    const fail = report.results.find((r) => r.verdict === 'FAIL')!;
    expect(html).toContain(`<details class="check FAIL" data-verdict="FAIL"`);
    expect(html).toContain(fail.requirement.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    expect(html).toContain('PSA_ERROR_NOT_PERMITTED (-133)');
    expect(html).toMatch(/req\[\d+\]=[0-9a-f]+/);
    expect(html).toContain('Replay');
    expect(html).toContain('vendor bug &lt;12&gt;');
  });

  it('summary.md lists the counts and every finding', async () => {
    const { report } = await mixedReport();
    const md = renderMarkdown(report);
    expect(md).toMatch(/\*\*\d+ checks:\*\* PASS \d+ · FAIL \d+/);
    expect(md).toContain('### FAIL `psa-storage.its-set.write-once-same-data`');
  });

  it('rebuilds the same report from events.jsonl, and an incomplete one from a log cut short', async () => {
    const { report, events } = await mixedReport();
    const dir = mkdtempSync(join(tmpdir(), 'fwsec-r-'));
    const log = new EventLog(join(dir, 'events.jsonl'));
    for (const e of events) log.write(e);
    expect(reportFromEvents(log.path)).toEqual(report);
    writeReports(report, dir);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).toEqual(report);
    expect(readFileSync(join(dir, 'results.txt'), 'utf8')).toMatch(/^psa-storage\.its-set\.round-trip pass$/m);
    // a run killed in the middle: last line cut, no run-end
    const lines = readFileSync(log.path, 'utf8').split('\n').filter(Boolean);
    writeFileSync(log.path, `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 20)}`);
    const partial = reportFromEvents(log.path);
    expect(partial.results.length).toBe(3);
    expect(partial.summary.incomplete).toMatch(/ends after 3 of \d+ checks/);
    expect(partial.summary.exitCode).not.toBe(0);
    expect(validateReport(partial)).toEqual([]);
  });
});
