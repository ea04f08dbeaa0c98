// fwsec list: the checks (id, suite, title, spec, clause, level,
// requirement, capabilities, destructive), as text or JSON.
import type { CheckInfo } from '../reports/model.js';
import { SUITES, selectChecks } from '../suites/index.js';
import { parse } from './args.js';

export const LIST_HELP = `usage: fwsec list [--suite NAME]... [--grep TEXT] [--id ID]... [--json] [--capabilities]

  --json          a JSON array, one object per check
  --capabilities  the profile capabilities each suite reads, with their meaning`;

export async function cmdList(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    suite: { type: 'string', multiple: true },
    grep: { type: 'string' },
    id: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    capabilities: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(LIST_HELP);
    return 0;
  }
  const { suites, checks } = selectChecks({ suites: v.suite, grep: v.grep, ids: v.id });
  if (v.capabilities) {
    const caps = suites.flatMap((s) => Object.entries(s.capabilities).map(([name, d]) => ({ suite: s.name, name, ...d })));
    caps.push({ suite: '(harness)', name: 'target.reset', type: 'boolean', description: 'derived from the profile: it names a reset method' });
    if (v.json) console.log(JSON.stringify(caps, null, 2));
    else for (const c of caps) console.log(`${c.name.padEnd(28)} ${c.type.padEnd(8)} ${c.suite.padEnd(12)} ${c.description}`);
    return 0;
  }
  const infos: CheckInfo[] = checks.map(({ run: _r, timeoutMs: _t, ...info }) => info);
  if (v.json) {
    console.log(JSON.stringify(infos, null, 2));
    return 0;
  }
  for (const s of suites.length ? suites : SUITES) {
    const mine = infos.filter((c) => c.suite === s.name);
    if (!mine.length) continue;
    console.log(`${s.name}: ${s.title} (${mine.length} checks)`);
    for (const c of mine) {
      const flags = [c.level, c.kind !== 'check' ? c.kind : '', c.destructive ? 'destructive' : ''].filter(Boolean).join(' ');
      console.log(`  ${c.id.padEnd(56)} ${flags.padEnd(20)} ${c.clause}`);
    }
  }
  return 0;
}
