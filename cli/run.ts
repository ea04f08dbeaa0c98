// fwsec run: select checks, run them against the profile's target, stream
// events.jsonl, write the reports, print findings, exit 0 / 1 / 2.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EventLog } from '../reports/events.js';
import { lavaSignal } from '../reports/lava.js';
import { VERDICTS, type CheckResult, type RunEvent } from '../reports/model.js';
import { writeReports } from '../reports/render.js';
import { detailLines, isFinding } from '../reports/text.js';
import { Expectations } from '../suites/harness/expectations.js';
import { loadProfile, overrideTarget, UsageError } from '../suites/harness/profile.js';
import { runChecks } from '../suites/harness/runner.js';
import { selectChecks } from '../suites/index.js';
import { parseTransportUri } from '../transports/index.js';
import { intOption, parse } from './args.js';

export const RUN_HELP = `usage: fwsec run [options]

  --profile NAME|FILE     target profile (default: reference; built-in: reference, reference-tcp)
  --target URI            send every service of the profile to this transport URI
  --suite NAME            run this suite (repeatable; default: every suite the profile serves)
  --grep TEXT             only checks whose id or title contains TEXT
  --id ID                 only this check id, * globs allowed (repeatable)
  --seed N|random         run seed for generated values (default 1; printed)
  --runs N                runs per property check (default: each check's own)
  --replay PATH           fast-check path to replay (with --id and --seed)
  --replay-commands PATH  fc.commands replay path of a model check
  --out DIR               report directory (default: fwsec-results)
  --expectations FILE     known deviations: WAIVED / XPASS (overrides the profile's)
  --strict                NON-STRICT findings fail the run
  --allow-destructive     run destructive checks on a target the run does not own
  --lava                  print LAVA test-case signals as checks finish
  --verbose               print transport diagnostics

exit status: 0 conformant, 1 FAIL / XPASS / NON-STRICT under --strict, 2 ERROR or usage`;

const DEFAULT_SEED = 1;

export async function cmdRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    profile: { type: 'string' },
    target: { type: 'string' },
    suite: { type: 'string', multiple: true },
    grep: { type: 'string' },
    id: { type: 'string', multiple: true },
    seed: { type: 'string' },
    runs: { type: 'string' },
    replay: { type: 'string' },
    'replay-commands': { type: 'string' },
    out: { type: 'string' },
    expectations: { type: 'string' },
    strict: { type: 'boolean' },
    'allow-destructive': { type: 'boolean' },
    lava: { type: 'boolean' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(RUN_HELP);
    return 0;
  }
  let profile = loadProfile(v.profile ?? 'reference');
  if (v.target) {
    parseTransportUri(v.target);
    profile = overrideTarget(profile, v.target);
  }
  const seed =
    v.seed === 'random' ? randomBytes(4).readInt32BE(0) >>> 1 : (intOption(v.seed, '--seed', 0) ?? DEFAULT_SEED);
  const runs = intOption(v.runs, '--runs', 1);
  const { suites, checks } = selectChecks({ suites: v.suite, grep: v.grep, ids: v.id }, profile);
  if (checks.length === 0) throw new UsageError('the selection matches no check (see `fwsec list`)');
  if ((v.replay || v['replay-commands']) && checks.length !== 1) {
    throw new UsageError('--replay needs a selection of exactly one check (--id ID)');
  }
  const expFile = v.expectations ?? profile.expectations;
  const expectations = expFile ? Expectations.load(expFile) : undefined;
  const outDir = resolve(v.out ?? 'fwsec-results');
  mkdirSync(outDir, { recursive: true });
  const events = new EventLog(resolve(outDir, 'events.jsonl'));

  const tty = Boolean(process.stdout.isTTY);
  const strict = v.strict ?? false;
  let done = 0;
  let planned = checks.length;
  let interrupted: string | undefined;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = 'interrupted (SIGINT): the check under way finished, the rest did not run';
    process.stderr.write('\nfwsec: stopping after the current check (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);

  const print = (line: string) => {
    if (tty) process.stdout.write('\r\x1b[2K');
    process.stdout.write(`${line}\n`);
  };
  const onEvent = (e: RunEvent) => {
    events.write(e);
    if (e.event === 'run-start') {
      planned = e.planned;
      print(`fwsec ${e.run.tool.version}: profile ${e.run.profile.name}, ${planned} checks from ${suites.map((s) => s.name).join(', ')}, seed ${seed}`);
      for (const [svc, uri] of Object.entries(e.run.profile.services)) print(`  ${svc.padEnd(12)} ${uri}`);
    } else if (e.event === 'result') {
      done += 1;
      const r: CheckResult = e.result;
      if (v.lava) print(lavaSignal(r, strict));
      if (isFinding(r, strict) || r.verdict === 'NON-STRICT') {
        print(`${r.verdict.padEnd(11)} ${r.id} — ${r.title}`);
        for (const l of detailLines(r)) print(`            ${l}`);
      } else if (!tty) {
        print(`${r.verdict.padEnd(11)} ${r.id}${r.verdict === 'PASS' ? '' : ` — ${r.message ?? ''}`} (${r.durationMs} ms)`);
      }
      if (tty) process.stdout.write(`\r\x1b[2K[${done}/${planned}] ${r.verdict} ${r.id}`);
    }
  };

  const outcome = await runChecks({
    profile,
    checks,
    seed,
    strict,
    allowDestructive: v['allow-destructive'] ?? false,
    expectations,
    runs,
    replay: v.replay || v['replay-commands'] ? { path: v.replay, commands: v['replay-commands'] } : undefined,
    argv: ['fwsec', 'run', ...argv],
    selection: { suites: suites.map((s) => s.name), ...(v.grep ? { grep: v.grep } : {}), ...(v.id ? { ids: v.id } : {}) },
    onEvent,
    log: v.verbose ? (l) => process.stderr.write(`[fwsec] ${l}\n`) : undefined,
    shouldStop: () => interrupted,
  });
  process.off('SIGINT', onSigint);
  const report = { schemaVersion: 1 as const, ...outcome };
  writeReports(report, outDir);
  const s = outcome.summary;
  if (tty) process.stdout.write('\r\x1b[2K');
  const counts = VERDICTS.filter((x) => s.counts[x]).map((x) => `${x} ${s.counts[x]}`).join(', ');
  print(`\n${s.total} checks in ${(s.durationMs / 1000).toFixed(1)} s: ${counts}${s.incomplete ? ` — INCOMPLETE: ${s.incomplete}` : ''}`);
  print(`seed ${seed}; reports in ${outDir} (report.html, report.json, junit.xml, summary.md, events.jsonl, results.txt)`);
  print(`exit status ${s.exitCode}`);
  return s.exitCode;
}
