// LAVA: result lines in the Linaro test-definitions format (results.txt:
// "name result"), and the serial signal a LAVA test shell understands.
import type { CheckResult, Verdict } from './model.js';

export function lavaResult(v: Verdict, strict: boolean): 'pass' | 'fail' | 'skip' | 'unknown' {
  switch (v) {
    case 'PASS':
    case 'WAIVED':
      return 'pass';
    case 'NON-STRICT':
      return strict ? 'fail' : 'pass';
    case 'FAIL':
    case 'XPASS':
      return 'fail';
    case 'SKIP':
    case 'UNSUPPORTED':
      return 'skip';
    case 'ERROR':
      return 'unknown';
  }
}

/** Check ids are already URL-safe ([a-z0-9.-]). */
export function lavaLine(r: CheckResult, strict: boolean): string {
  return `${r.id} ${lavaResult(r.verdict, strict)}`;
}

export function lavaSignal(r: CheckResult, strict: boolean): string {
  return `<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=${r.id} RESULT=${lavaResult(r.verdict, strict)}>`;
}
