// Runs checks programmatically, the way `fwsec run` does, for tests.
import type { CheckResult, RunEvent, Verdict } from '../../reports/model.js';
import { Expectations } from '../../suites/harness/expectations.js';
import { loadProfile, overrideTarget, parseProfile, type Profile } from '../../suites/harness/profile.js';
import { runChecks, type RunOutcome } from '../../suites/harness/runner.js';
import { selectChecks } from '../../suites/index.js';
import type { CheckDef } from '../../suites/harness/types.js';

export interface RunSpec {
  /** Built-in name, file path, or a parsed Profile (default: reference). */
  profile?: string | Profile;
  /** --target URI */
  target?: string;
  suites?: string[];
  ids?: string[];
  grep?: string;
  seed?: number;
  runs?: number;
  strict?: boolean;
  allowDestructive?: boolean;
  expectations?: Expectations;
  replay?: { path?: string; commands?: string };
  events?: RunEvent[];
  onEvent?: (e: RunEvent) => void;
  /** Run these checks instead of a selection from the registered suites. */
  checks?: CheckDef[];
}

export async function run(spec: RunSpec = {}): Promise<RunOutcome> {
  let profile = typeof spec.profile === 'object' ? spec.profile : loadProfile(spec.profile ?? 'reference');
  if (spec.target) profile = overrideTarget(profile, spec.target);
  const { suites, checks } = spec.checks
    ? { suites: [], checks: spec.checks.filter((c) => !spec.ids || spec.ids.includes(c.id)) }
    : selectChecks({ suites: spec.suites, ids: spec.ids, grep: spec.grep }, profile);
  return runChecks({
    profile,
    checks,
    seed: spec.seed ?? 1,
    strict: spec.strict ?? false,
    allowDestructive: spec.allowDestructive ?? false,
    expectations: spec.expectations,
    runs: spec.runs,
    replay: spec.replay,
    argv: ['test'],
    selection: { suites: suites.map((s) => s.name) },
    onEvent: (e) => {
      spec.events?.push(e);
      spec.onEvent?.(e);
    },
  });
}

/** A profile built in the test: `services` maps every service to `uri`. */
export function profileFor(uri: string, services: string[], extra: Record<string, unknown> = {}): Profile {
  return parseProfile(
    { name: 'test', services: Object.fromEntries(services.map((s) => [s, uri])), allowDestructive: true, ...extra },
    'test',
    process.cwd(),
  );
}

export function verdicts(o: RunOutcome): Map<string, Verdict> {
  return new Map(o.results.map((r) => [r.id, r.verdict]));
}

export function withVerdict(o: RunOutcome, v: Verdict): CheckResult[] {
  return o.results.filter((r) => r.verdict === v);
}

/** `id: VERDICT — message` lines of everything not PASS, for readable assertion failures. */
export function notPassing(o: RunOutcome): string[] {
  return o.results.filter((r) => r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} — ${r.message ?? ''}`);
}
