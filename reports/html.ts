// report.html: one self-contained file (no external assets). Summary per
// suite, every check in a table, findings expanded with requirement,
// clause, Expected / Actual, the calls on the wire and the replay command.
import { VERDICTS, type CheckResult, type Report, type Verdict } from './model.js';
import { wireLine } from './text.js';

export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS: Record<Verdict, string> = {
  PASS: '#1a7f37',
  FAIL: '#cf222e',
  'NON-STRICT': '#bf8700',
  UNSUPPORTED: '#6e7781',
  SKIP: '#8c959f',
  ERROR: '#8250df',
  WAIVED: '#0969da',
  XPASS: '#d1242f',
};

const badge = (v: Verdict) => `<span class="v" style="background:${COLORS[v]}">${v}</span>`;

function row(label: string, value: string | undefined, cls = ''): string {
  return value === undefined ? '' : `<tr><th>${label}</th><td class="${cls}">${htmlEscape(value)}</td></tr>`;
}

function details(r: CheckResult, open: boolean): string {
  const wire = r.wire?.length
    ? `<tr><th>Wire</th><td><pre>${htmlEscape(
        (r.wireOmitted ? `(${r.wireOmitted} earlier call(s) omitted)\n` : '') + r.wire.map(wireLine).join('\n'),
      )}</pre></td></tr>`
    : '';
  const p = r.property;
  const exp = r.expectation;
  return `<details class="check ${r.verdict}" data-verdict="${r.verdict}" data-text="${htmlEscape(`${r.id} ${r.title}`.toLowerCase())}"${open ? ' open' : ''}>
<summary>${badge(r.verdict)} <code>${htmlEscape(r.id)}</code> ${htmlEscape(r.title)} <span class="ms">${r.durationMs} ms</span></summary>
<table>
${row('Requirement', `${r.level}: ${r.requirement}`)}
${row('Clause', `${r.spec}, ${r.clause}`)}
${r.outcome !== r.verdict ? row('Outcome', r.outcome) : ''}
${row('Finding', r.message)}
${row('Expected', r.expected, 'mono')}
${row('Actual', r.actual, 'mono')}
${exp ? row('Expectation', `${exp.verdicts.join(' or ')}: ${exp.reason}${exp.link ? ` (${exp.link})` : ''}`) : ''}
${(r.notes ?? []).map((n) => row('Note', n)).join('\n')}
${p ? row('Property', `seed ${p.seed}, ${p.runs} run(s)${p.path ? `, path ${p.path}` : ''}${p.shrinks !== undefined ? `, ${p.shrinks} shrink(s)` : ''}`) : ''}
${p?.counterexample ? row('Counterexample', p.counterexample, 'mono') : ''}
${wire}
${p ? row('Replay', p.replay, 'mono') : ''}
${row('Capabilities', r.capabilities.length ? r.capabilities.join(', ') : undefined)}
</table>
</details>`;
}

export function renderHtml(report: Report): string {
  const { run, summary } = report;
  const strict = run.strict;
  const openFor = (r: CheckResult) =>
    r.verdict === 'FAIL' || r.verdict === 'XPASS' || r.verdict === 'ERROR' || (strict && r.verdict === 'NON-STRICT');
  const suites = Object.entries(summary.bySuite)
    .map(
      ([s, c]) =>
        `<tr><td>${htmlEscape(s)}</td>${VERDICTS.map((v) => `<td class="n">${c[v] ? `<span style="color:${COLORS[v]}">${c[v]}</span>` : ''}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const services = Object.entries(run.profile.services)
    .map(([k, v]) => `${htmlEscape(k)} → <code>${htmlEscape(v)}</code>`)
    .join('<br>');
  const bySuite = new Map<string, CheckResult[]>();
  for (const r of report.results) bySuite.set(r.suite, [...(bySuite.get(r.suite) ?? []), r]);
  const sections = [...bySuite.entries()]
    .map(([s, rs]) => `<h2>${htmlEscape(s)}</h2>\n${rs.map((r) => details(r, openFor(r))).join('\n')}`)
    .join('\n');
  const buttons = VERDICTS.filter((v) => summary.counts[v] > 0)
    .map((v) => `<label><input type="checkbox" data-v="${v}" checked> ${badge(v)} ${summary.counts[v]}</label>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>fwsec ${htmlEscape(run.id)}: ${htmlEscape(run.profile.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1f2328}
code,.mono,pre{font-family:ui-monospace,monospace;font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-all;margin:0}
.v{color:#fff;border-radius:3px;padding:0 5px;font-size:11.5px;font-weight:600}
table{border-collapse:collapse}
th{text-align:left;vertical-align:top;padding:2px 10px 2px 0;color:#57606a;font-weight:500;white-space:nowrap}
td{padding:2px 8px 2px 0;vertical-align:top}
td.n{text-align:right;min-width:4.5em}
.summary td,.summary th{border-bottom:1px solid #d0d7de;padding:3px 8px}
details.check{border:1px solid #d0d7de;border-radius:4px;margin:3px 0;padding:3px 8px}
details.check[open]{background:#f6f8fa}
summary{cursor:pointer}
.ms{color:#8c959f;font-size:12px}
#filters label{margin-right:10px;cursor:pointer}
</style></head><body>
<h1>fwsec conformance report</h1>
<table>
<tr><th>Run</th><td>${htmlEscape(run.id)} · ${htmlEscape(run.startedAt)} · ${(summary.durationMs / 1000).toFixed(1)} s · exit code ${summary.exitCode}</td></tr>
<tr><th>Profile</th><td>${htmlEscape(run.profile.name)} (${htmlEscape(run.profile.source)})</td></tr>
<tr><th>Services</th><td>${services}</td></tr>
<tr><th>Seed</th><td>${run.seed} · strict: ${strict} · destructive: ${run.destructiveAllowed ? 'allowed' : 'not run'}</td></tr>
<tr><th>Tool</th><td>${htmlEscape(run.tool.name)} ${htmlEscape(run.tool.version)} · node ${htmlEscape(run.host.node)} · ${htmlEscape(run.host.hostname)}</td></tr>
${summary.incomplete ? `<tr><th>Incomplete</th><td style="color:#cf222e">${htmlEscape(summary.incomplete)}</td></tr>` : ''}
</table>
<h2>Summary: ${summary.total} checks</h2>
<table class="summary"><tr><th>Suite</th>${VERDICTS.map((v) => `<th>${badge(v)}</th>`).join('')}</tr>
${suites}
</table>
<p id="filters">${buttons} <input id="q" placeholder="filter by id or title" size="30"></p>
${sections}
<script>
(function(){
  var boxes=document.querySelectorAll('#filters input[data-v]'),q=document.getElementById('q');
  function apply(){
    var on={};boxes.forEach(function(b){on[b.dataset.v]=b.checked});
    var t=q.value.toLowerCase();
    document.querySelectorAll('details.check').forEach(function(d){
      d.style.display=(on[d.dataset.verdict]&&d.dataset.text.indexOf(t)>=0)?'':'none';
    });
  }
  boxes.forEach(function(b){b.addEventListener('change',apply)});q.addEventListener('input',apply);
})();
</script>
</body></html>
`;
}
