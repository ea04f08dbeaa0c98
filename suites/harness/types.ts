import type { CheckInfo, Level } from '../../reports/model.js';
import type { Channel } from '../../transports/types.js';
import type { FailureDetail, StatusDomain } from './signals.js';

export type ServiceKey = 'its' | 'ps' | 'crypto' | 'smm-variable' | 'tpm2' | 'rpmb';

/** What a check sees of the run and the target. */
export interface CheckContext {
  readonly id: string;
  /** The run seed (`--seed`) and this check's seed derived from it and the id. */
  readonly runSeed: number;
  readonly checkSeed: number;
  /** A random 32-bit value per run, for names and ids that must not collide across runs. */
  readonly runNonce: number;
  readonly profileName: string;
  /** Aborted when the check overruns its time budget. */
  readonly signal: AbortSignal;

  /** A channel to `service` whose calls are recorded in the wire log of this check. */
  channel(service: ServiceKey | 'control'): Channel;
  /** The profile's declared value of a capability, or undefined when it says nothing. */
  cap(name: string): boolean | number | string | undefined;
  /** A number-valued capability, or undefined. */
  capNumber(name: string): number | undefined;
  /** A counter unique within the run (1, 2, 3, ...). */
  unique(): number;
  /** Runs `fn` after the check, whatever its outcome (cleanup). */
  defer(fn: () => unknown): void;
  note(text: string): void;

  readonly canReset: boolean;
  /** Resets the target (reboot); UNSUPPORTED when the profile gives no way to. */
  reset(): Promise<void>;

  /** Number of runs for a property check (the check's default unless --runs). */
  numRuns(defaultRuns: number): number;

  fail(message: string, detail?: FailureDetail): never;
  /** Records a SHOULD-level deviation; the check ends NON-STRICT unless it fails. */
  nonStrict(message: string, detail?: FailureDetail): void;
  unsupported(reason: string): never;
  skip(reason: string): never;
  /**
   * For optional features: when `absent` is true the check is UNSUPPORTED,
   * unless the profile declared `capability` present, which makes it FAIL.
   */
  optional(capability: string, absent: boolean, reason: string): void;

  expectStatus(domain: StatusDomain, actual: number, expected: number | readonly number[], what: string): void;
  expectEqual<T>(actual: T, expected: T, what: string, format?: (v: T) => string): void;
  expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void;
  assert(condition: unknown, message: string, detail?: FailureDetail): void;
}

export interface CheckSpec {
  id: string;
  title: string;
  spec: string;
  clause: string;
  level: Level;
  requirement: string;
  services: ServiceKey[];
  capabilities?: string[];
  destructive?: boolean;
  /** Overrides the profile's per-check time budget. */
  timeoutMs?: number;
}

export interface CheckDef extends CheckInfo {
  timeoutMs?: number;
  run(t: CheckContext): Promise<void>;
}

export interface CapabilityDoc {
  type: 'boolean' | 'number' | 'string';
  description: string;
}

export interface SuiteDef {
  name: string;
  title: string;
  /** The service whose presence in a profile selects this suite by default. */
  service: ServiceKey;
  checks: CheckDef[];
  /** Capabilities the suite's checks read, with their meaning (documented in `fwsec list --capabilities`). */
  capabilities: Record<string, CapabilityDoc>;
}
