// Mutation sweep: shows that every check can FAIL. The reference stack is
// wrapped so that, inside every check, exactly one answer -- the k-th call
// the check makes to a service -- is altered by one operator, and the check
// is run again. A check is killed when it then answers FAIL or NON-STRICT
// (not ERROR: a check that only chokes on the altered bytes has shown
// nothing). Calls are attributed to checks by the runner's result events,
// so a kill counts only for the check the mutation happened in.
//
// This is the falsifiability half of the fault story (docs/fault-coverage.md):
// the modelled real-world bugs in test/**/*faults* show that a check catches
// the bug its requirement is about; the sweep shows that no check passes
// whatever the target answers.
import { Writer } from '../../protocol/bytes.js';
import { SERVICES, serviceName, type ServiceResponse } from '../../protocol/services.js';
import { Tpm2Op } from '../../protocol/tpm2/platform.js';
import { RC } from '../../protocol/tpm2/rc.js';
import { EFI } from '../../protocol/smm-variable/status.js';
import { decodeCommBuffer } from '../../protocol/smm-variable/buffer.js';
import { FRAME_SIZE, OFF, RESULT_COUNTER_EXPIRED, RESULT_MASK, RpmbResult } from '../../protocol/rpmb/frame.js';
import { SERVICE_DEFS } from '../../reference/services.js';
import type { Verdict } from '../../reports/model.js';
import type { CheckDef } from '../../suites/harness/types.js';
import { loadProfile, overrideTarget } from '../../suites/harness/profile.js';
import { registerInprocTarget, bootReference } from '../../transports/inproc.js';
import { selectChecks } from '../../suites/index.js';
import { run } from './run.js';

/** The last clean answers to the same kind of request (same service, opcode, TPM command code or MM function) before this one. */
interface Earlier {
  any?: ServiceResponse;
  /** The last that reported success. */
  ok?: ServiceResponse;
}

/** Alters one answer; undefined when the operator has nothing to alter in it. */
type Operator = (service: number, opcode: number, res: ServiceResponse, earlier: Earlier) => ServiceResponse | undefined;

const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at] = c[at]! ^ 0x5a;
  return c;
};

/** The envelope status: success becomes the service's failure status, a failure becomes success. */
const status: Operator = (service, _op, res) => {
  const name = serviceName(service);
  const failure = name && name !== 'control' ? SERVICE_DEFS[name]?.failureStatus : undefined;
  if (res.status !== 0) return { status: 0, body: res.body };
  return failure === undefined ? undefined : { status: failure, body: new Uint8Array(0) };
};

/** Offset of the ReturnStatus of an MM buffer, or undefined when it is not one. */
function efiStatusOffset(body: Uint8Array): number | undefined {
  try {
    return decodeCommBuffer(body).header.headerSize + 8;
  } catch {
    return undefined;
  }
}

/** Bytes 6..9 of a TPM command or response: its command or response code. */
const tpmRc = (body: Uint8Array) => new DataView(body.buffer, body.byteOffset).getUint32(6);
const tpmHeader = (rc: number) => new Writer().u16be(0x8001).u32be(10).u32be(rc).finish();
const isTpmResponse = (service: number, op: number, body: Uint8Array) => service === SERVICES.tpm2 && op === Tpm2Op.SUBMIT && body.length >= 10;

/** Response frames of an RPMB answer (a whole number of 512-byte frames with a response type). */
function rpmbFrames(service: number, body: Uint8Array): number[] {
  if (service !== SERVICES.rpmb || body.length === 0 || body.length % FRAME_SIZE) return [];
  const at: number[] = [];
  for (let f = 0; f < body.length; f += FRAME_SIZE) if (body[f + OFF.reqResp] === 0x01) at.push(f);
  return at;
}

/**
 * The status a service reports inside its answer: a TPM response code, an
 * EFI_STATUS, an RPMB result. Success becomes a failure, a failure a
 * different failure (checks that pin the exact code must notice).
 */
const inner: Operator = (service, op, res) => {
  const b = res.body;
  if (isTpmResponse(service, op, b)) {
    const rc = tpmRc(b);
    return { status: res.status, body: tpmHeader(rc === 0 ? RC.FAILURE : rc === RC.FAILURE ? RC.INITIALIZE : RC.FAILURE) };
  }
  if (service === SERVICES['smm-variable']) {
    const at = efiStatusOffset(b);
    if (at === undefined) return undefined;
    const c = b.slice();
    const v = new DataView(c.buffer);
    const s = v.getBigUint64(at, true);
    v.setBigUint64(at, s === EFI.DEVICE_ERROR ? EFI.INVALID_PARAMETER : EFI.DEVICE_ERROR, true);
    return { status: res.status, body: c };
  }
  const frames = rpmbFrames(service, b);
  if (frames.length) {
    const c = b.slice();
    for (const f of frames) {
      const r = (c[f + OFF.result]! << 8) | c[f + OFF.result + 1]!;
      const next = (r & RESULT_MASK) === RpmbResult.OK ? RpmbResult.GENERAL_FAILURE : (r & RESULT_MASK) === RpmbResult.GENERAL_FAILURE ? RpmbResult.AUTH_FAILURE : RpmbResult.GENERAL_FAILURE;
      const v = (r & RESULT_COUNTER_EXPIRED) | next;
      c[f + OFF.result] = v >> 8;
      c[f + OFF.result + 1] = v & 0xff;
    }
    return { status: res.status, body: c };
  }
  return undefined;
};

/**
 * A failure becomes success (a service that claims to have done what it
 * refused), with the answer of the last success of that kind where the
 * answer carries more than a status.
 */
const accept: Operator = (service, op, res, earlier) => {
  const b = res.body;
  if (isTpmResponse(service, op, b)) return tpmRc(b) === 0 ? undefined : (earlier.ok ?? { status: res.status, body: tpmHeader(0) });
  if (service === SERVICES['smm-variable']) {
    const at = efiStatusOffset(b);
    if (at === undefined) return undefined;
    const v = new DataView(b.buffer, b.byteOffset);
    if (v.getBigUint64(at, true) === EFI.SUCCESS) return undefined;
    const c = b.slice();
    new DataView(c.buffer).setBigUint64(at, EFI.SUCCESS, true);
    return { status: res.status, body: c };
  }
  const frames = rpmbFrames(service, b);
  if (frames.some((f) => (b[f + OFF.result + 1]! & RESULT_MASK) !== 0)) {
    const c = b.slice();
    for (const f of frames) c[f + OFF.result + 1] = c[f + OFF.result + 1]! & ~RESULT_MASK;
    return { status: res.status, body: c };
  }
  if (res.status !== 0 && earlier.ok && isPsa(service)) return earlier.ok;
  return undefined;
};

const isPsa = (service: number) => service === SERVICES.its || service === SERVICES.ps || service === SERVICES.crypto;

/** Whether an answer reports success, at the layer the service reports it. */
function succeeded(service: number, op: number, res: ServiceResponse): boolean {
  if (res.status !== 0) return false;
  if (isTpmResponse(service, op, res.body)) return tpmRc(res.body) === 0;
  if (service === SERVICES['smm-variable']) {
    const at = efiStatusOffset(res.body);
    return at !== undefined && new DataView(res.body.buffer, res.body.byteOffset).getBigUint64(at, true) === EFI.SUCCESS;
  }
  return rpmbFrames(service, res.body).every((f) => (res.body[f + OFF.result + 1]! & RESULT_MASK) === 0);
}

/** One byte of a successful answer's payload, in its middle, altered. */
const body: Operator = (service, op, res) => {
  const b = res.body;
  if (res.status !== 0 || b.length === 0) return undefined;
  if (isTpmResponse(service, op, b)) return b.length > 10 && tpmRc(b) === 0 ? { status: 0, body: flip(b, 10 + ((b.length - 10) >> 1)) } : undefined;
  if (service === SERVICES['smm-variable']) {
    const at = efiStatusOffset(b);
    if (at === undefined || b.length <= at + 8) return undefined;
    return { status: 0, body: flip(b, at + 8 + ((b.length - at - 8) >> 1)) };
  }
  const frames = rpmbFrames(service, b);
  if (frames.length) return { status: 0, body: flip(b, frames[0]! + OFF.data + 17) };
  return { status: 0, body: flip(b, b.length >> 1) };
};

/**
 * A stale answer: the last answer to the same kind of request, well formed
 * but not this request's (a cached response, a status without the work, a
 * success where the earlier request succeeded).
 */
const replay: Operator = (_service, _op, res, earlier) => {
  const e = earlier.any;
  if (!e) return undefined;
  const same = e.status === res.status && e.body.length === res.body.length && e.body.every((x, i) => x === res.body[i]);
  return same ? undefined : e;
};

export const OPERATORS: Record<string, Operator> = { replay, body, inner, accept, status };

/** What makes two requests of a service the same kind, for `replay`. */
function kindOf(service: number, opcode: number, req: Uint8Array): string {
  if (service === SERVICES.tpm2 && opcode === Tpm2Op.SUBMIT && req.length >= 10) return `${service}:${opcode}:${tpmRc(req)}`;
  if (service === SERVICES['smm-variable']) {
    try {
      return `${service}:${opcode}:${decodeCommBuffer(req).fn}`;
    } catch {
      /* not an MM buffer: by opcode */
    }
  }
  return `${service}:${opcode}`;
}

interface Plan {
  op: Operator;
  /** Which call of each check (0-based) is altered. */
  k: number;
  /** The checks it is altered in (the others run clean). */
  in: Set<string>;
}

/** The sweep's target: the reference with a plan that the sweep swaps between runs. */
class MutantTarget {
  plan?: Plan;
  /** The check now running (the runner's order; advanced by its result events). */
  current?: string;
  calls = 0;
  applied = false;
  private readonly earlier = new Map<string, Earlier>();

  register(name: string): string {
    registerInprocTarget(name, async (env, uri) => {
      const stack = await bootReference(env, uri);
      return {
        handle: async (service, opcode, req) => {
          const res = await stack.handle(service, opcode, req);
          if (service === SERVICES.control || !res) return res;
          const kind = kindOf(service, opcode, req);
          const earlier = this.earlier.get(kind) ?? {};
          this.earlier.set(kind, { any: res, ok: succeeded(service, opcode, res) ? res : earlier.ok });
          const k = this.calls++;
          const p = this.plan;
          if (!p || k !== p.k || this.current === undefined || !p.in.has(this.current)) return res;
          const m = p.op(service, opcode, res, earlier);
          if (m) this.applied = true;
          return m ?? res;
        },
      };
    });
    return `inproc:${name}`;
  }
}

export interface SweepResult {
  /** Checks the clean run did not PASS (they cannot be killed here), with their verdict. */
  notPassing: Map<string, Verdict>;
  /** Killed check -> `operator@k`. */
  killed: Map<string, string>;
  /** PASS on the clean run, never killed. */
  survivors: string[];
  /** Checks that do not PASS when run without the checks before them (run after those in the sweep). */
  orderDependent: string[];
  runs: number;
  ms: number;
}

const KILLS = new Set<Verdict>(['FAIL', 'NON-STRICT']);

/**
 * Runs `suite` clean, then for k = 0, 1, ... and each operator, runs the
 * checks not yet killed that make more than k calls, with their k-th answer
 * altered. A check that does not PASS clean without the checks before it
 * (a blank RPMB needs rpmb.key.program first) runs after all of them, which
 * run clean. Stops at `maxK` or when no survivor makes more calls.
 */
export async function sweep(suite: string, o: { maxK?: number; seed?: number; checks?: CheckDef[] } = {}): Promise<SweepResult> {
  const t0 = performance.now();
  const target = new MutantTarget();
  const uri = target.register(`mutant-${suite}`);
  const base = loadProfile('reference');
  const profile = { ...overrideTarget(base, uri), timeouts: { ...base.timeouts, checkMs: 10_000, propertyMs: 60_000 } };
  const seed = o.seed ?? 1;
  let runs = 0;

  /** Runs `ids` (all: undefined) in suite order; `onResult` sees each check with its call count and whether it was altered. */
  const pass = async (ids: string[] | undefined, plan: Plan | undefined, onResult: (id: string, v: Verdict, calls: number, applied: boolean) => void) => {
    const sel = ids ? new Set(ids) : undefined;
    const queue = sel ? order.filter((id) => sel.has(id)) : [...order];
    target.plan = plan;
    target.current = queue.shift();
    target.calls = 0;
    target.applied = false;
    runs++;
    await run({
      profile,
      suites: o.checks ? undefined : [suite],
      checks: o.checks,
      ids: ids ?? undefined,
      seed,
      allowDestructive: true,
      onEvent: (e) => {
        if (e.event !== 'result') return;
        if (e.result.id !== target.current) throw new Error(`mutation sweep: expected ${target.current} to finish, got ${e.result.id}`);
        onResult(e.result.id, e.result.verdict, target.calls, target.applied);
        target.current = queue.shift();
        target.calls = 0;
        target.applied = false;
      },
    });
  };

  const order = (o.checks ?? selectChecks({ suites: [suite] }).checks).map((c) => c.id);
  const calls = new Map<string, number>();
  const notPassing = new Map<string, Verdict>();
  await pass(undefined, undefined, (id, v, n) => {
    calls.set(id, n);
    if (v !== 'PASS') notPassing.set(id, v);
  });
  const killed = new Map<string, string>();
  const needsPrefix = new Set<string>();
  const alive = () => order.filter((id) => !notPassing.has(id) && !killed.has(id));
  /** The checks to run so that every one of `targets` runs as it did in the whole suite. */
  const withPrefixes = (targets: string[]): string[] => {
    const last = Math.max(-1, ...targets.filter((id) => needsPrefix.has(id)).map((id) => order.indexOf(id)));
    return [...new Set([...order.slice(0, last + 1), ...targets])];
  };
  const maxK = o.maxK ?? 64;
  for (let k = 0; k < maxK; k++) {
    const targets = alive().filter((id) => calls.get(id)! > k);
    if (!targets.length) break;
    // clean first: which of them need the checks before them
    const clean = new Set<string>();
    await pass(withPrefixes(targets), undefined, (id, v) => v === 'PASS' && clean.add(id));
    const fresh = targets.filter((id) => !clean.has(id) && !needsPrefix.has(id));
    if (fresh.length) {
      for (const id of fresh) needsPrefix.add(id);
      await pass(withPrefixes(targets), undefined, (id, v) => v === 'PASS' && clean.add(id));
    }
    const mutable = new Set(targets.filter((id) => clean.has(id)));
    for (const [name, op] of Object.entries(OPERATORS)) {
      const now = [...mutable].filter((id) => !killed.has(id));
      if (!now.length) break;
      await pass(withPrefixes(now), { op, k, in: new Set(now) }, (id, v, _n, applied) => {
        if (applied && KILLS.has(v) && mutable.has(id)) killed.set(id, `${name}@${k}`);
      });
    }
  }
  return { notPassing, killed, survivors: alive(), orderDependent: [...needsPrefix].sort(), runs, ms: Math.round(performance.now() - t0) };
}
