// Plain-text rendering of one result, shared by the console, junit.xml and
// summary.md: the requirement, its clause, Expected / Actual, the calls on
// the wire and how to replay.
import type { CheckResult, WireEntry } from './model.js';

export function wireLine(w: WireEntry): string {
  const what = w.label ?? `${w.service} opcode 0x${w.opcode.toString(16)}`;
  const req = w.requestLength ? ` req[${w.requestLength}]=${w.request}` : '';
  const res = w.error
    ? ` -> ${w.error}`
    : ` -> ${w.statusName ?? w.status}${w.responseLength ? ` resp[${w.responseLength}]=${w.response}` : ''}`;
  return `${what}${req}${res} (${w.ms} ms)`;
}

/** The lines that explain a result that is not a plain PASS. */
export function detailLines(r: CheckResult): string[] {
  const out: string[] = [];
  out.push(`${r.level}: ${r.requirement}`);
  out.push(`Clause: ${r.spec}, ${r.clause}`);
  if (r.message) out.push(`${r.verdict === r.outcome ? 'Finding' : r.outcome}: ${r.message}`);
  if (r.expected !== undefined) out.push(`Expected: ${r.expected}`);
  if (r.actual !== undefined) out.push(`Actual:   ${r.actual}`);
  if (r.expectation) {
    out.push(`Expectation: ${r.expectation.verdicts.join(' or ')}: ${r.expectation.reason}${r.expectation.link ? ` (${r.expectation.link})` : ''}`);
  }
  for (const n of r.notes ?? []) out.push(`Note: ${n}`);
  if (r.property) {
    const p = r.property;
    out.push(`Property: seed ${p.seed}, ${p.runs} run(s)${p.path ? `, path ${p.path}` : ''}${p.shrinks !== undefined ? `, ${p.shrinks} shrink(s)` : ''}`);
    if (p.counterexample) out.push(`Counterexample: ${p.counterexample}`);
  }
  if (r.wire?.length) {
    out.push(`Wire (${r.wire.length} call(s)${r.wireOmitted ? `, ${r.wireOmitted} earlier omitted` : ''}):`);
    for (const w of r.wire) out.push(`  ${wireLine(w)}`);
  }
  if (r.property) out.push(`Replay: ${r.property.replay}`);
  return out;
}

export function isFinding(r: CheckResult, strict: boolean): boolean {
  return r.verdict === 'FAIL' || r.verdict === 'XPASS' || r.verdict === 'ERROR' || (strict && r.verdict === 'NON-STRICT');
}
