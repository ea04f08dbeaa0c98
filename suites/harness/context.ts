// The CheckContext a check runs with: recorded channels, capabilities,
// cleanup, reset, and the expectation helpers that produce findings whose
// messages name statuses, expected and actual values.
import { bytesEqual, hex } from '../../protocol/bytes.js';
import type { PropertyInfo, WireEntry } from '../../reports/model.js';
import { TransportError, type CallOptions, type Channel, type ServiceResponse } from '../../transports/types.js';
import type { PropertyHost } from './check.js';
import { CheckFailure, SkipSignal, UnsupportedSignal, type FailureDetail, type StatusDomain } from './signals.js';
import { statusNameFor } from './status-names.js';
import type { Target } from './target.js';
import type { CheckContext, ServiceKey } from './types.js';

const WIRE_KEEP = 40;
const HEX_MAX = 512;

export interface ContextOptions {
  id: string;
  runSeed: number;
  checkSeed: number;
  runNonce: number;
  target: Target;
  counter: { next: number };
  runs?: number;
  replayPath?: string;
  replayCommands?: string;
  replayCommand(path?: string, commandsPath?: string): string;
}

export class Context implements CheckContext, PropertyHost {
  readonly id: string;
  readonly runSeed: number;
  readonly checkSeed: number;
  readonly runNonce: number;
  readonly profileName: string;
  readonly replayPath?: string;
  readonly replayCommands?: string;
  readonly abort = new AbortController();
  readonly notes: string[] = [];
  readonly nonStrictFindings: CheckFailure[] = [];
  readonly deferred: (() => unknown)[] = [];
  wire: WireEntry[] = [];
  wireOmitted = 0;
  property?: PropertyInfo;
  cleaning = false;
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly o: ContextOptions) {
    this.id = o.id;
    this.runSeed = o.runSeed;
    this.checkSeed = o.checkSeed;
    this.runNonce = o.runNonce;
    this.profileName = o.target.profile.name;
    this.replayPath = o.replayPath;
    this.replayCommands = o.replayCommands;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  channel(service: ServiceKey | 'control'): Channel {
    let c = this.channels.get(service);
    if (!c) {
      const base = this.o.target.channel(service);
      c = {
        uri: base.uri,
        service: base.service,
        call: (opcode, body, opts) => this.recordedCall(base, opcode, body, opts),
        carries: base.carries?.bind(base),
      };
      this.channels.set(service, c);
    }
    return c;
  }

  private record(e: WireEntry): void {
    this.wire.push(e);
    if (this.wire.length > WIRE_KEEP) {
      this.wire.shift();
      this.wireOmitted += 1;
    }
  }

  private async recordedCall(base: Channel, opcode: number, body: Uint8Array, opts?: CallOptions): Promise<ServiceResponse> {
    if (this.abort.signal.aborted && !this.cleaning) {
      throw new TransportError('closed', `check ${this.id} ran out of time; no further calls`);
    }
    const started = performance.now();
    const entry: WireEntry = {
      service: base.service,
      opcode,
      label: opts?.label,
      request: hex(body, HEX_MAX),
      requestLength: body.length,
      ms: 0,
    };
    try {
      const r = await base.call(opcode, body, opts);
      entry.status = r.status;
      entry.statusName = statusNameFor(base.service, r.status);
      entry.response = hex(r.body, HEX_MAX);
      entry.responseLength = r.body.length;
      return r;
    } catch (e) {
      entry.error = (e as Error).message;
      throw e;
    } finally {
      entry.ms = Math.round((performance.now() - started) * 1000) / 1000;
      this.record(entry);
    }
  }

  clearWire(): void {
    this.wire = [];
    this.wireOmitted = 0;
  }

  recordProperty(info: PropertyInfo): void {
    this.property = info;
  }

  replayCommand(path?: string, commandsPath?: string): string {
    return this.o.replayCommand(path, commandsPath);
  }

  cap(name: string): boolean | number | string | undefined {
    return this.o.target.profile.capabilities[name];
  }

  capNumber(name: string): number | undefined {
    const v = this.cap(name);
    return typeof v === 'number' ? v : undefined;
  }

  unique(): number {
    return this.o.counter.next++;
  }

  defer(fn: () => unknown): void {
    this.deferred.push(fn);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get canReset(): boolean {
    return this.o.target.canReset;
  }

  async reset(): Promise<void> {
    if (!this.canReset) this.unsupported(`profile ${this.profileName} declares no reset method`);
    const started = performance.now();
    await this.o.target.reset();
    this.record({ service: 'control', opcode: 0, label: `target reset (${this.o.target.profile.reset?.method})`, request: '', requestLength: 0, ms: Math.round(performance.now() - started) });
  }

  numRuns(defaultRuns: number): number {
    return this.o.runs ?? defaultRuns;
  }

  fail(message: string, detail?: FailureDetail): never {
    throw new CheckFailure(message, detail);
  }

  nonStrict(message: string, detail?: FailureDetail): void {
    this.nonStrictFindings.push(new CheckFailure(message, detail, 'NON-STRICT'));
  }

  unsupported(reason: string): never {
    throw new UnsupportedSignal(reason);
  }

  skip(reason: string): never {
    throw new SkipSignal(reason);
  }

  optional(capability: string, absent: boolean, reason: string): void {
    if (!absent) return;
    if (this.cap(capability) === true) {
      this.fail(`the profile declares ${capability} = true, but ${reason}`, { expected: `${capability} implemented`, actual: reason });
    }
    this.unsupported(reason);
  }

  expectStatus(domain: StatusDomain, actual: number, expected: number | readonly number[], what: string): void {
    const list = typeof expected === 'number' ? [expected] : expected;
    if (list.includes(actual)) return;
    this.fail(`${what}: returned ${domain.name(actual)}`, {
      expected: list.map((s) => domain.name(s)).join(' or '),
      actual: domain.name(actual),
    });
  }

  expectEqual<T>(actual: T, expected: T, what: string, format: (v: T) => string = (v) => String(v)): void {
    if (Object.is(actual, expected)) return;
    this.fail(`${what}: got ${format(actual)}, expected ${format(expected)}`, {
      expected: format(expected),
      actual: format(actual),
    });
  }

  expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
    if (bytesEqual(actual, expected)) return;
    let first = 0;
    while (first < actual.length && first < expected.length && actual[first] === expected[first]) first++;
    this.fail(`${what}: ${actual.length} byte(s) differ from the ${expected.length} expected (first difference at byte ${first})`, {
      expected: `${expected.length} bytes: ${hex(expected, 64)}`,
      actual: `${actual.length} bytes: ${hex(actual, 64)}`,
    });
  }

  assert(condition: unknown, message: string, detail?: FailureDetail): void {
    if (!condition) this.fail(message, detail);
  }
}
