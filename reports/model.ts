// The report model: what a run records per check and for the whole run.
// report.json follows reports/report.schema.json; every writer renders from
// these types (or from events.jsonl, which carries the same objects).

export const VERDICTS = ['PASS', 'FAIL', 'NON-STRICT', 'UNSUPPORTED', 'SKIP', 'ERROR', 'WAIVED', 'XPASS'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const LEVELS = ['MUST', 'SHOULD', 'MAY'] as const;
export type Level = (typeof LEVELS)[number];

export type CheckKind = 'check' | 'property' | 'model';

/** What `fwsec list --json` prints per check, and what every result repeats. */
export interface CheckInfo {
  id: string;
  suite: string;
  title: string;
  spec: string;
  clause: string;
  level: Level;
  requirement: string;
  services: string[];
  capabilities: string[];
  destructive: boolean;
  kind: CheckKind;
}

/** One call on the wire, as a check made it. Bytes in hex. */
export interface WireEntry {
  service: string;
  opcode: number;
  label?: string;
  request: string;
  requestLength: number;
  status?: number;
  statusName?: string;
  response?: string;
  responseLength?: number;
  error?: string;
  ms: number;
}

export interface PropertyInfo {
  seed: number;
  runs: number;
  path?: string;
  counterexample?: string;
  shrinks?: number;
  replay: string;
}

export interface CheckResult extends CheckInfo {
  verdict: Verdict;
  /** The verdict before expectations were applied (differs for WAIVED / XPASS). */
  outcome: Verdict;
  startedAt: string;
  durationMs: number;
  /** What went wrong, or why the check did not run. */
  message?: string;
  expected?: string;
  actual?: string;
  expectation?: { verdicts: Verdict[]; reason: string; link?: string };
  notes?: string[];
  property?: PropertyInfo;
  /** The calls of the check (the last ones, for long checks); kept for non-passing verdicts. */
  wire?: WireEntry[];
  wireOmitted?: number;
}

export interface RunInfo {
  id: string;
  tool: { name: string; version: string };
  startedAt: string;
  argv: string[];
  cwd: string;
  profile: { name: string; source: string; services: Record<string, string> };
  seed: number;
  strict: boolean;
  destructiveAllowed: boolean;
  selection: { suites: string[]; grep?: string; ids?: string[] };
  host: { node: string; platform: string; arch: string; hostname: string };
  /** What the target said about itself (control HELLO), per transport URI. */
  target?: Record<string, unknown>;
}

export type Counts = Record<Verdict, number>;

export interface Summary {
  total: number;
  counts: Counts;
  bySuite: Record<string, Counts>;
  durationMs: number;
  finishedAt: string;
  exitCode: number;
  /** Set when the run stopped before every selected check had a result. */
  incomplete?: string;
}

export interface Report {
  schemaVersion: 1;
  run: RunInfo;
  results: CheckResult[];
  summary: Summary;
}

export type RunEvent =
  | { event: 'run-start'; run: RunInfo; planned: number }
  | { event: 'result'; result: CheckResult }
  | { event: 'run-end'; summary: Summary };

export function emptyCounts(): Counts {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Counts;
}

/**
 * Exit code of a run: 1 when a finding needs attention (FAIL, XPASS,
 * NON-STRICT under --strict), else 2 when a check could not be judged
 * (ERROR) or the run is incomplete, else 0.
 */
export function exitCodeFor(counts: Counts, strict: boolean, incomplete = false): number {
  if (counts.FAIL > 0 || counts.XPASS > 0 || (strict && counts['NON-STRICT'] > 0)) return 1;
  if (counts.ERROR > 0 || incomplete) return 2;
  return 0;
}

export function summarize(
  results: CheckResult[],
  strict: boolean,
  startedAt: number,
  incomplete?: string,
): Summary {
  const counts = emptyCounts();
  const bySuite: Record<string, Counts> = {};
  for (const r of results) {
    counts[r.verdict] += 1;
    (bySuite[r.suite] ??= emptyCounts())[r.verdict] += 1;
  }
  return {
    total: results.length,
    counts,
    bySuite,
    durationMs: Date.now() - startedAt,
    finishedAt: new Date().toISOString(),
    exitCode: exitCodeFor(counts, strict, Boolean(incomplete)),
    ...(incomplete ? { incomplete } : {}),
  };
}
