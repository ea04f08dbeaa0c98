// summary.md: counts, per-suite table, then every finding with its details.
import { VERDICTS, type Report } from './model.js';
import { detailLines, isFinding } from './text.js';

export function renderMarkdown(report: Report): string {
  const { run, summary } = report;
  const out: string[] = [];
  const verdictLine = VERDICTS.filter((v) => summary.counts[v] > 0)
    .map((v) => `${v} ${summary.counts[v]}`)
    .join(' · ');
  out.push(`# fwsec run ${run.id}`, '');
  out.push(`- Profile: **${run.profile.name}** (${run.profile.source})`);
  for (const [svc, uri] of Object.entries(run.profile.services)) out.push(`  - ${svc}: \`${uri}\``);
  out.push(`- Seed: ${run.seed} · strict: ${run.strict} · destructive checks: ${run.destructiveAllowed ? 'allowed' : 'not run'}`);
  out.push(`- Started ${run.startedAt}, ${(summary.durationMs / 1000).toFixed(1)} s, exit code ${summary.exitCode}`);
  if (summary.incomplete) out.push(`- **Incomplete:** ${summary.incomplete}`);
  out.push('', `**${summary.total} checks:** ${verdictLine || 'none'}`, '');
  out.push(`| Suite | ${VERDICTS.join(' | ')} |`, `|---|${VERDICTS.map(() => '---:').join('|')}|`);
  for (const [suite, c] of Object.entries(summary.bySuite)) {
    out.push(`| ${suite} | ${VERDICTS.map((v) => c[v] || '').join(' | ')} |`);
  }
  const findings = report.results.filter((r) => isFinding(r, run.strict) || r.verdict === 'NON-STRICT' || r.verdict === 'WAIVED');
  if (findings.length) {
    out.push('', '## Findings', '');
    for (const r of findings) {
      out.push(`### ${r.verdict} \`${r.id}\``, '', r.title, '', '```', ...detailLines(r), '```', '');
    }
  }
  return `${out.join('\n')}\n`;
}
