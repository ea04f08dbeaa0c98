// Check builders. A check is one requirement: stable id, spec, clause, level,
// the requirement sentence, the services and capabilities it needs, and a
// run function. checkProp() and checkModel() run fast-check properties with
// the seed the run pins, and report a shrunk counterexample with a replay
// command.
import fc from 'fast-check';
import type { CheckKind, PropertyInfo } from '../../reports/model.js';
import { TransportError } from '../../transports/types.js';
import { CheckFailure, SkipSignal, UnsupportedSignal } from './signals.js';
import type { CheckContext, CheckDef, CheckSpec, SuiteDef, CapabilityDoc } from './types.js';

const ID_RE = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/;

/** Harness-only services offered to property runners. */
export interface PropertyHost {
  /** fast-check path to replay (from --replay), if any. */
  readonly replayPath?: string;
  /** fc.commands replayPath (from --replay-commands), if any. */
  readonly replayCommands?: string;
  recordProperty(info: PropertyInfo): void;
  /** Clears the wire log (before re-running a counterexample to capture its calls). */
  clearWire(): void;
  replayCommand(path?: string, commandsPath?: string): string;
}

type Runner = (t: CheckContext & PropertyHost) => Promise<void>;

function build(spec: CheckSpec, kind: CheckKind, run: Runner): CheckDef {
  if (!ID_RE.test(spec.id)) throw new Error(`check id ${JSON.stringify(spec.id)} is not of the form suite.section.name`);
  for (const f of ['title', 'spec', 'clause', 'requirement'] as const) {
    if (!spec[f]?.trim()) throw new Error(`check ${spec.id}: ${f} is empty`);
  }
  return {
    id: spec.id,
    suite: spec.id.split('.')[0]!,
    title: spec.title,
    spec: spec.spec,
    clause: spec.clause,
    level: spec.level,
    requirement: spec.requirement,
    services: [...spec.services],
    capabilities: [...(spec.capabilities ?? [])],
    destructive: spec.destructive ?? false,
    kind,
    timeoutMs: spec.timeoutMs,
    run: run as (t: CheckContext) => Promise<void>,
  };
}

export function check(spec: CheckSpec & { run(t: CheckContext): Promise<void> }): CheckDef {
  return build(spec, 'check', spec.run);
}

export interface PropSpec<T> extends CheckSpec {
  numRuns?: number;
  arbitrary(t: CheckContext): fc.Arbitrary<T>;
  /** Throws (t.fail) when the property does not hold for `value`. */
  predicate(t: CheckContext, value: T): Promise<void>;
  /** How a generated value prints in reports (default fc.stringify). */
  show?(value: T): string;
}

/** A property: fast-check generates values, shrinks failures, reports seed + path. */
export function checkProp<T>(spec: PropSpec<T>): CheckDef {
  return build(spec, 'property', (t) => runProperty(t, spec, 'property'));
}

async function runProperty<T>(t: CheckContext & PropertyHost, spec: PropSpec<T>, kind: CheckKind): Promise<void> {
  const runs = t.numRuns(spec.numRuns ?? 100);
  const seed = t.checkSeed;
  // an error that is not a finding (transport failure, unsupported, skip)
  // stops the property: later runs fail fast instead of hammering a dead target
  let stop: unknown;
  const prop = fc.asyncProperty(spec.arbitrary(t), async (v: T) => {
    if (stop) throw stop;
    try {
      await spec.predicate(t, v);
    } catch (e) {
      if (!(e instanceof CheckFailure)) stop = e;
      throw e;
    }
  });
  const details = await fc.check(prop, {
    seed,
    numRuns: runs,
    ...(t.replayPath ? { path: t.replayPath, endOnFailure: true } : {}),
  });
  if (stop) throw stop;
  const info: PropertyInfo = { seed, runs: details.numRuns, replay: t.replayCommand() };
  if (!details.failed) {
    t.recordProperty(info);
    return;
  }
  const value = details.counterexample![0] as T;
  const shown = spec.show ? spec.show(value) : fc.stringify(value);
  const commandsPath = kind === 'model' ? /replayPath="([^"]*)"/.exec(shown)?.[1] : undefined;
  info.path = details.counterexamplePath ?? undefined;
  info.counterexample = shown.replace(/\s*\/\*replayPath="[^"]*"\*\/\s*/, '');
  info.shrinks = details.numShrinks;
  info.replay = t.replayCommand(info.path, commandsPath);
  t.recordProperty(info);
  const cause = details.errorInstance;
  if (cause instanceof UnsupportedSignal || cause instanceof SkipSignal || cause instanceof TransportError) throw cause;
  // run the shrunk counterexample once more so the wire log shows exactly its calls
  t.clearWire();
  let again: unknown;
  try {
    await spec.predicate(t, value);
  } catch (e) {
    again = e;
  }
  const failure = (again instanceof CheckFailure ? again : cause) as unknown;
  const base = failure instanceof CheckFailure ? failure : undefined;
  const notes = [...(base?.detail.notes ?? [])];
  if (!again) notes.push('the shrunk counterexample passed when run again: the target is not deterministic');
  throw new CheckFailure(
    `${base?.message ?? String((failure as Error)?.message ?? failure)} — counterexample after ${details.numRuns} run(s), ${details.numShrinks} shrink(s): ${info.counterexample}`,
    { expected: base?.detail.expected, actual: base?.detail.actual, notes },
    base?.verdict,
  );
}

export interface ModelSpec<M extends object, R> extends CheckSpec {
  numRuns?: number;
  maxCommands?: number;
  /** fast-check size of the command sequences (default: fast-check's, which favours short ones). */
  size?: fc.SizeForArbitrary;
  commands(t: CheckContext): fc.Arbitrary<fc.AsyncCommand<M, R>>[];
  /** Fresh model and real system for one command sequence. */
  setup(t: CheckContext): Promise<{ model: M; real: R }>;
  /** Cleanup after a sequence, whatever its outcome. */
  teardown?(t: CheckContext, real: R, model: M): Promise<void>;
}

/** Model-based: random command sequences against the target and an abstract model. */
export function checkModel<M extends object, R>(spec: ModelSpec<M, R>): CheckDef {
  return build(spec, 'model', (t) =>
    runProperty(
      t,
      {
        ...spec,
        numRuns: spec.numRuns ?? 200,
        arbitrary: (ctx) =>
          fc.commands(spec.commands(ctx), {
            maxCommands: spec.maxCommands ?? 24,
            ...(spec.size ? { size: spec.size } : {}),
            ...(t.replayCommands ? { replayPath: t.replayCommands } : {}),
          }),
        predicate: async (ctx, cmds) => {
          const s = await spec.setup(ctx);
          try {
            await fc.asyncModelRun(() => s, cmds);
          } finally {
            await spec.teardown?.(ctx, s.real, s.model);
          }
        },
        show: (cmds) => String(cmds),
      },
      'model',
    ),
  );
}

/** Collects a suite's checks; ids must start with the suite name and be unique. */
export function defineSuite(def: Omit<SuiteDef, 'capabilities'> & { capabilities?: Record<string, CapabilityDoc> }): SuiteDef {
  const seen = new Set<string>();
  for (const c of def.checks) {
    if (c.suite !== def.name) throw new Error(`check ${c.id} is not in suite ${def.name}`);
    if (seen.has(c.id)) throw new Error(`duplicate check id ${c.id}`);
    seen.add(c.id);
    for (const cap of c.capabilities) {
      if (!cap.startsWith('target.') && !def.capabilities?.[cap]) {
        throw new Error(`check ${c.id} needs capability ${cap}, which suite ${def.name} does not document`);
      }
    }
  }
  return { ...def, capabilities: def.capabilities ?? {} };
}
