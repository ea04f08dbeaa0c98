// junit.xml for GitLab, Jenkins and friends: one <testsuite> per fwsec suite,
// one <testcase> per check, named by its stable id; spec, clause, level and
// requirement as properties; waivers and skip reasons as messages.
import type { CheckResult, Report } from './model.js';
import { detailLines } from './text.js';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function caseXml(r: CheckResult, strict: boolean): string {
  const classname = r.id.split('.').slice(0, 2).join('.');
  const props = [
    ['spec', r.spec],
    ['clause', r.clause],
    ['level', r.level],
    ['requirement', r.requirement],
    ['verdict', r.verdict],
    ...(r.property ? [['seed', String(r.property.seed)]] : []),
  ]
    .map(([k, v]) => `        <property name="${k}" value="${xmlEscape(v!)}"/>`)
    .join('\n');
  const detail = xmlEscape(detailLines(r).join('\n'));
  const msg = (prefix: string) => xmlEscape(`${prefix}${r.message ? `: ${r.message}` : ''}`);
  let body = '';
  switch (r.verdict) {
    case 'FAIL':
      body = `      <failure type="FAIL" message="${msg('FAIL')}">${detail}</failure>\n`;
      break;
    case 'XPASS':
      body = `      <failure type="XPASS" message="${msg('XPASS')}">${detail}</failure>\n`;
      break;
    case 'NON-STRICT':
      body = strict
        ? `      <failure type="NON-STRICT" message="${msg('NON-STRICT')}">${detail}</failure>\n`
        : `      <system-out>${detail}</system-out>\n`;
      break;
    case 'ERROR':
      body = `      <error type="ERROR" message="${msg('ERROR')}">${detail}</error>\n`;
      break;
    case 'SKIP':
    case 'UNSUPPORTED':
      body = `      <skipped message="${msg(r.verdict)}"/>\n`;
      break;
    case 'WAIVED': {
      const e = r.expectation;
      const why = e ? `waived: ${e.reason}${e.link ? ` (${e.link})` : ''}` : `waived${r.message ? `: ${r.message}` : ''}`;
      body = `      <skipped message="${xmlEscape(`WAIVED (${r.outcome}) ${why}`)}"/>\n      <system-out>${detail}</system-out>\n`;
      break;
    }
    case 'PASS':
      break;
  }
  return `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(r.id)}" time="${secs(r.durationMs)}">
      <properties>
${props}
      </properties>
${body}    </testcase>`;
}

function tally(rs: CheckResult[], strict: boolean) {
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const r of rs) {
    if (r.verdict === 'FAIL' || r.verdict === 'XPASS' || (strict && r.verdict === 'NON-STRICT')) failures++;
    else if (r.verdict === 'ERROR') errors++;
    else if (r.verdict === 'SKIP' || r.verdict === 'UNSUPPORTED' || r.verdict === 'WAIVED') skipped++;
  }
  return { tests: rs.length, failures, errors, skipped, time: rs.reduce((a, r) => a + r.durationMs, 0) };
}

export function renderJunit(report: Report): string {
  const strict = report.run.strict;
  const bySuite = new Map<string, CheckResult[]>();
  for (const r of report.results) {
    const list = bySuite.get(r.suite) ?? [];
    list.push(r);
    bySuite.set(r.suite, list);
  }
  const all = tally(report.results, strict);
  const suites = [...bySuite.entries()].map(([name, rs]) => {
    const t = tally(rs, strict);
    return `  <testsuite name="${xmlEscape(name)}" package="${xmlEscape(name)}" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${secs(t.time)}" timestamp="${report.run.startedAt}" hostname="${xmlEscape(report.run.host.hostname)}">
    <properties>
      <property name="profile" value="${xmlEscape(report.run.profile.name)}"/>
      <property name="seed" value="${report.run.seed}"/>
      <property name="run" value="${xmlEscape(report.run.id)}"/>
    </properties>
${rs.map((r) => caseXml(r, strict)).join('\n')}
  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="fwsec" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="${all.skipped}" time="${secs(report.summary.durationMs)}">
${suites.join('\n')}
</testsuites>
`;
}
