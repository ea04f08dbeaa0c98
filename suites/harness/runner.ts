// Runs selected checks against a target, one at a time, and turns each
// outcome into a verdict: finding (FAIL / NON-STRICT), precondition
// (UNSUPPORTED / SKIP), or infrastructure (ERROR). Results stream out as
// they finish; a hung or dead target costs one check its ERROR, not the run.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  summarize,
  type CheckResult,
  type RunEvent,
  type RunInfo,
  type Summary,
  type Verdict,
} from '../../reports/model.js';
import { TransportError } from '../../transports/types.js';
import { ControlClient } from '../../clients/control.js';
import { Context } from './context.js';
import { applyExpectation, Expectations } from './expectations.js';
import { runOwnsTarget, type Profile } from './profile.js';
import { CheckFailure, SkipSignal, UnsupportedSignal } from './signals.js';
import { Target } from './target.js';
import type { CheckDef } from './types.js';

export const TOOL = { name: 'fwsec', version: '0.1.0' };

/** FNV-1a of the run seed and the check id: each check gets its own stable seed. */
export function checkSeedFor(runSeed: number, id: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${runSeed >>> 0}:${id}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export interface RunOptions {
  profile: Profile;
  checks: CheckDef[];
  seed: number;
  strict: boolean;
  /** --allow-destructive was given. */
  allowDestructive: boolean;
  expectations?: Expectations;
  runs?: number;
  replay?: { path?: string; commands?: string };
  argv: string[];
  selection: RunInfo['selection'];
  onEvent(e: RunEvent): void;
  log?: (line: string) => void;
  /** A reason to stop before the next check (e.g. interrupted), or undefined. */
  shouldStop?(): string | undefined;
  /** Builds the replay command line for a check. */
  replayCommand?(id: string, path?: string, commands?: string): string;
}

export interface RunOutcome {
  run: RunInfo;
  results: CheckResult[];
  summary: Summary;
}

export function destructiveAllowed(profile: Profile, flag: boolean): boolean {
  return profile.allowDestructive && (flag || runOwnsTarget(profile));
}

const now = () => new Date().toISOString();

function baseResult(c: CheckDef): Omit<CheckResult, 'verdict' | 'outcome' | 'startedAt' | 'durationMs'> {
  const { run: _run, timeoutMs: _t, ...info } = c;
  return info;
}

function defaultReplay(o: RunOptions, id: string, path?: string, commands?: string): string {
  const parts = ['npx fwsec run', `--profile ${o.profile.source.replace(/^built-in:/, '')}`];
  if (o.profile.targetOverride) parts.push(`--target '${o.profile.targetOverride}'`);
  parts.push(`--id ${id}`, `--seed ${o.seed}`);
  if (o.runs) parts.push(`--runs ${o.runs}`);
  if (path) parts.push(`--replay '${path}'`);
  if (commands) parts.push(`--replay-commands '${commands}'`);
  return parts.join(' ');
}

export async function runChecks(o: RunOptions): Promise<RunOutcome> {
  const startedMs = Date.now();
  const log = o.log ?? (() => {});
  const expectations = o.expectations ?? Expectations.empty();
  const allowDestructive = destructiveAllowed(o.profile, o.allowDestructive);
  const run: RunInfo = {
    id: `${new Date(startedMs).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`,
    tool: TOOL,
    startedAt: new Date(startedMs).toISOString(),
    argv: o.argv,
    cwd: process.cwd(),
    profile: { name: o.profile.name, source: o.profile.source, services: { ...o.profile.services } as Record<string, string> },
    seed: o.seed,
    strict: o.strict,
    destructiveAllowed: allowDestructive,
    selection: o.selection,
    host: { node: process.version, platform: process.platform, arch: process.arch, hostname: hostname() },
  };
  const results: CheckResult[] = [];
  const emitResult = (r: CheckResult) => {
    results.push(r);
    o.onEvent({ event: 'result', result: r });
  };

  let target: Target;
  try {
    target = await Target.open(o.profile, { log });
  } catch (e) {
    // the target never came up: every check is ERROR, and says why
    o.onEvent({ event: 'run-start', run, planned: o.checks.length });
    for (const c of o.checks) {
      emitResult({ ...baseResult(c), verdict: 'ERROR', outcome: 'ERROR', startedAt: now(), durationMs: 0, message: `target unavailable: ${(e as Error).message}` });
    }
    const summary = summarize(results, o.strict, startedMs);
    o.onEvent({ event: 'run-end', summary });
    return { run, results, summary };
  }

  let incomplete: string | undefined;
  try {
    run.profile.services = target.serviceUris;
    run.target = await target.describe();
    o.onEvent({ event: 'run-start', run, planned: o.checks.length });
    const counter = { next: 1 };
    const runNonce = randomBytes(4).readUInt32BE(0);
    const down = new Map<string, string>(); // service -> why it is considered unreachable
    let streak = new Map<string, number>();

    for (const c of o.checks) {
      const stopWhy = o.shouldStop?.();
      if (stopWhy) {
        incomplete = stopWhy;
        break;
      }
      const startedAt = now();
      const t0 = performance.now();
      const finish = (outcome: Verdict, extra: Partial<CheckResult> = {}) => {
        const exp = expectations.lookup(c.id);
        const applied = applyExpectation(outcome, exp);
        const r: CheckResult = {
          ...baseResult(c),
          verdict: applied.verdict,
          outcome,
          startedAt,
          durationMs: Math.round(performance.now() - t0),
          ...extra,
        };
        if (exp && exp.verdicts.length) r.expectation = { verdicts: exp.verdicts as Verdict[], reason: exp.reason, link: exp.link };
        if (applied.verdict === 'XPASS') r.message = applied.message;
        else if (applied.message) r.notes = [...(r.notes ?? []), applied.message];
        emitResult(r);
      };

      const pre = precondition(c, o, target, expectations, allowDestructive, down);
      if (pre) {
        finish(pre.verdict, { message: pre.reason });
        continue;
      }

      const ctx = new Context({
        id: c.id,
        runSeed: o.seed,
        checkSeed: checkSeedFor(o.seed, c.id),
        runNonce,
        target,
        counter,
        runs: o.runs,
        replayPath: o.replay?.path,
        replayCommands: o.replay?.commands,
        replayCommand: (p, cmds) => (o.replayCommand ?? ((id, pp, cc) => defaultReplay(o, id, pp, cc)))(c.id, p, cmds),
      });
      const budget = c.timeoutMs ?? (c.kind === 'check' ? o.profile.timeouts.checkMs : o.profile.timeouts.propertyMs);
      let thrown: unknown;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.run(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              timedOut = true;
              ctx.abort.abort();
              reject(new TransportError('timeout', `check did not finish within ${budget} ms`));
            }, budget);
          }),
        ]);
      } catch (e) {
        thrown = e;
      } finally {
        clearTimeout(timer);
      }
      // cleanup runs whatever happened
      ctx.cleaning = true;
      for (const fn of ctx.deferred.reverse()) {
        try {
          await fn();
        } catch (e) {
          ctx.note(`cleanup failed: ${(e as Error).message}`);
        }
      }

      const extra: Partial<CheckResult> = {};
      if (ctx.notes.length) extra.notes = [...ctx.notes];
      if (ctx.property) extra.property = ctx.property;
      let outcome: Verdict;
      if (thrown === undefined) {
        if (ctx.nonStrictFindings.length) {
          outcome = 'NON-STRICT';
          const f = ctx.nonStrictFindings[0]!;
          extra.message = ctx.nonStrictFindings.map((x) => x.message).join('; ');
          extra.expected = f.detail.expected;
          extra.actual = f.detail.actual;
        } else outcome = 'PASS';
      } else if (thrown instanceof CheckFailure) {
        outcome = thrown.verdict ?? (c.level === 'MUST' ? 'FAIL' : 'NON-STRICT');
        extra.message = thrown.message;
        extra.expected = thrown.detail.expected;
        extra.actual = thrown.detail.actual;
        if (thrown.detail.notes?.length) extra.notes = [...(extra.notes ?? []), ...thrown.detail.notes];
      } else if (thrown instanceof UnsupportedSignal) {
        outcome = 'UNSUPPORTED';
        extra.message = thrown.reason;
      } else if (thrown instanceof SkipSignal) {
        outcome = 'SKIP';
        extra.message = thrown.reason;
      } else if (thrown instanceof TransportError && thrown.kind === 'unsupported') {
        // the path to the target cannot express what the check sends (a platform signal through
        // /dev/tpmrm0, a 32-bit opcode through tstee): not judged, and nothing is broken
        outcome = 'UNSUPPORTED';
        extra.message = `the transport cannot carry what this check sends: ${thrown.message}`;
      } else {
        outcome = 'ERROR';
        const err = thrown as Error;
        extra.message = err instanceof TransportError ? err.message : `internal error in the check: ${err?.stack ?? err}`;
        if (timedOut) extra.message = `${err.message} (time budget of the check; see timeouts in docs/profiles.md)`;
      }
      if (outcome !== 'PASS' && outcome !== 'UNSUPPORTED' && outcome !== 'SKIP') {
        extra.wire = ctx.wire;
        if (ctx.wireOmitted) extra.wireOmitted = ctx.wireOmitted;
      }
      finish(outcome, extra);

      // consecutive transport failures on a service: probe it before spending more time
      streak = trackHealth(streak, c, outcome === 'ERROR' && thrown instanceof TransportError);
      for (const svc of c.services) {
        if ((streak.get(svc) ?? 0) >= 3 && !down.has(svc)) {
          const why = await probe(target, svc, o.profile.timeouts.callMs);
          if (why) down.set(svc, why);
          else streak.set(svc, 0);
        }
      }
    }
  } finally {
    await target.close().catch((e) => log(`closing the target: ${(e as Error).message}`));
  }
  const summary = summarize(results, o.strict, startedMs, incomplete);
  o.onEvent({ event: 'run-end', summary });
  return { run, results, summary };
}

function precondition(
  c: CheckDef,
  o: RunOptions,
  target: Target,
  expectations: Expectations,
  allowDestructive: boolean,
  down: Map<string, string>,
): { verdict: Verdict; reason: string } | undefined {
  for (const s of c.services) {
    if (!target.has(s as never)) return { verdict: 'SKIP', reason: `profile ${o.profile.name} maps no transport for ${s}` };
  }
  const exp = expectations.lookup(c.id);
  if (exp?.skip) return { verdict: 'SKIP', reason: `expectations: ${exp.reason}${exp.link ? ` (${exp.link})` : ''}` };
  if (c.destructive && !allowDestructive) {
    return {
      verdict: 'SKIP',
      reason: o.profile.allowDestructive
        ? 'destructive: this target is not owned by the run; pass --allow-destructive to run it'
        : `destructive: profile ${o.profile.name} does not set allowDestructive`,
    };
  }
  for (const cap of c.capabilities) {
    if (cap === 'target.reset') {
      if (!target.canReset) return { verdict: 'UNSUPPORTED', reason: `profile ${o.profile.name} declares no way to reset the target` };
      continue;
    }
    const v = o.profile.capabilities[cap];
    if (v === false) return { verdict: 'UNSUPPORTED', reason: `profile declares ${cap} = false` };
  }
  for (const s of c.services) {
    const why = down.get(s);
    if (why) return { verdict: 'ERROR', reason: `${s} unreachable: ${why}` };
  }
  return undefined;
}

function trackHealth(streak: Map<string, number>, c: CheckDef, transportError: boolean): Map<string, number> {
  for (const s of c.services) streak.set(s, transportError ? (streak.get(s) ?? 0) + 1 : 0);
  return streak;
}

/** Undefined when the service's transport answers a HELLO; the failure otherwise. */
async function probe(target: Target, service: string, callMs: number): Promise<string | undefined> {
  try {
    await new ControlClient(target.channel('control', service as never)).hello(Math.min(callMs, 5000));
    return undefined;
  } catch (e) {
    if (e instanceof TransportError && (e.kind === 'unsupported' || e.kind === 'remote')) return undefined;
    return `health probe after 3 consecutive transport errors failed: ${(e as Error).message}`;
  }
}
