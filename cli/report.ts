// fwsec report: rebuild every report file from events.jsonl (after a crash
// or a kill), and fwsec diff: what changed between two runs, by check id.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { reportFromEvents } from '../reports/events.js';
import type { Report, Verdict } from '../reports/model.js';
import { writeReports } from '../reports/render.js';
import { UsageError } from '../suites/harness/profile.js';
import { parse } from './args.js';

export const REPORT_HELP = `usage: fwsec report --from DIR [--out DIR]
  Rebuilds report.json, junit.xml, summary.md, report.html and results.txt from DIR/events.jsonl.`;

export const DIFF_HELP = `usage: fwsec diff BEFORE AFTER
  Compares two runs (report.json files or result directories) check by check.
  Exit status 1 when a check got worse (e.g. PASS -> FAIL), else 0.`;

export async function cmdReport(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { from: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    console.log(REPORT_HELP);
    return 0;
  }
  if (!v.from) throw new UsageError('fwsec report needs --from DIR (a directory holding events.jsonl)');
  const events = join(resolve(v.from), 'events.jsonl');
  if (!existsSync(events)) throw new UsageError(`no events.jsonl in ${v.from}`);
  const report = reportFromEvents(events);
  const out = resolve(v.out ?? v.from);
  writeReports(report, out);
  console.log(`${report.results.length} results${report.summary.incomplete ? ` (${report.summary.incomplete})` : ''}; reports written to ${out}`);
  return 0;
}

function loadReport(p: string): Report {
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'report.json') : p;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch (e) {
    throw new UsageError(`cannot read report ${file}: ${(e as Error).message}`);
  }
}

const RANK: Record<Verdict, number> = { PASS: 0, WAIVED: 1, UNSUPPORTED: 1, SKIP: 1, 'NON-STRICT': 2, ERROR: 3, XPASS: 3, FAIL: 4 };

export async function cmdDiff(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } }, true);
  if (v.help) {
    console.log(DIFF_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('fwsec diff needs two reports: BEFORE AFTER');
  const [a, b] = positionals.map(loadReport) as [Report, Report];
  const before = new Map(a.results.map((r) => [r.id, r]));
  const after = new Map(b.results.map((r) => [r.id, r]));
  let worse = 0;
  const lines: string[] = [];
  for (const [id, r] of after) {
    const old = before.get(id);
    if (!old) lines.push(`+ ${id}: ${r.verdict} (new check)`);
    else if (old.verdict !== r.verdict) {
      const w = RANK[r.verdict] > RANK[old.verdict];
      if (w) worse++;
      lines.push(`${w ? '!' : '~'} ${id}: ${old.verdict} -> ${r.verdict}${r.message ? ` — ${r.message}` : ''}`);
    }
  }
  for (const id of before.keys()) if (!after.has(id)) lines.push(`- ${id}: no longer run`);
  console.log(`${a.run.id} (${a.run.profile.name}) -> ${b.run.id} (${b.run.profile.name}): ${lines.length} change(s), ${worse} worse`);
  for (const l of lines.sort()) console.log(l);
  return worse > 0 ? 1 : 0;
}
