// Expectations: known deviations of a target, kept outside the suite. A
// listed failure becomes WAIVED (with its reason and link); a listed failure
// that passes becomes XPASS, so a fixed bug is noticed and its entry removed.
import { readFileSync } from 'node:fs';
import type { Verdict } from '../../reports/model.js';
import { UsageError, describeAjvErrors, schemaValidator } from './profile.js';

export interface Expectation {
  pattern: string;
  verdicts: Verdict[];
  skip: boolean;
  reason: string;
  link?: string;
}

export class Expectations {
  private constructor(
    readonly source: string,
    private readonly exact: Map<string, Expectation>,
    private readonly globs: { re: RegExp; e: Expectation }[],
  ) {}

  static empty(): Expectations {
    return new Expectations('(none)', new Map(), []);
  }

  static load(path: string): Expectations {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read expectations ${path}: ${(e as Error).message}`);
    }
    return Expectations.parse(raw, path);
  }

  static parse(raw: unknown, source: string): Expectations {
    const validate = schemaValidator('expectations.schema.json');
    if (!validate(raw)) throw new UsageError(`invalid expectations ${source}:\n  ${describeAjvErrors(validate.errors)}`);
    const exact = new Map<string, Expectation>();
    const globs: { re: RegExp; e: Expectation }[] = [];
    const entries = (raw as { expectations: Record<string, any> }).expectations;
    for (const [pattern, v] of Object.entries(entries)) {
      const e: Expectation = {
        pattern,
        verdicts: v.verdict === undefined ? [] : Array.isArray(v.verdict) ? v.verdict : [v.verdict],
        skip: v.skip === true,
        reason: v.reason,
        link: v.link,
      };
      if (pattern.includes('*')) {
        const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('.*')}$`);
        globs.push({ re, e });
      } else exact.set(pattern, e);
    }
    return new Expectations(source, exact, globs);
  }

  /** The entry for a check id: an exact entry wins over globs; the first matching glob otherwise. */
  lookup(id: string): Expectation | undefined {
    return this.exact.get(id) ?? this.globs.find((g) => g.re.test(id))?.e;
  }

  get size(): number {
    return this.exact.size + this.globs.length;
  }
}

const WAIVABLE: Verdict[] = ['FAIL', 'NON-STRICT', 'ERROR', 'UNSUPPORTED'];

/** Applies an expectation to the raw outcome of a check. */
export function applyExpectation(outcome: Verdict, e: Expectation | undefined): { verdict: Verdict; message?: string } {
  if (!e || e.verdicts.length === 0) return { verdict: outcome };
  const listed = e.verdicts.join(' or ');
  if (e.verdicts.includes(outcome)) {
    if (WAIVABLE.includes(outcome)) return { verdict: 'WAIVED', message: `expected ${listed}: ${e.reason}` };
    return { verdict: outcome };
  }
  if (outcome === 'PASS') {
    return { verdict: 'XPASS', message: `listed as ${listed} (${e.reason}) but passed: remove the expectation` };
  }
  return { verdict: outcome, message: `listed as ${listed} (${e.reason}), got ${outcome}` };
}
