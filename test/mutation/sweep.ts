// One vitest case per suite: every check that PASSes on the reference is
// killed by the mutation sweep (test/helpers/mutants.ts), and nothing on the
// reference fails to PASS. A new check that passes whatever the target
// answers turns this red, naming it.
import { describe, expect, it } from 'vitest';
import { sweep } from '../helpers/mutants.js';

export function describeSweep(suites: string[]): void {
  describe('mutation sweep: every check can FAIL', () => {
    for (const suite of suites) {
      it(`${suite}: one altered answer inside each check makes it FAIL`, async () => {
        const r = await sweep(suite);
        const byOp: Record<string, number> = {};
        for (const v of r.killed.values()) byOp[v.split('@')[0]!] = (byOp[v.split('@')[0]!] ?? 0) + 1;
        console.log(`${suite}: ${r.killed.size} checks killed in ${r.runs} runs, ${r.ms} ms; by operator ${JSON.stringify(byOp)}; run after their predecessors: ${r.orderDependent.length}`);
        expect([...r.notPassing].map(([id, v]) => `${id}: ${v}`)).toEqual([]);
        expect(r.survivors, 'checks that PASS whatever one answer of theirs is').toEqual([]);
        expect(r.killed.size).toBeGreaterThan(0);
      });
    }
  });
}
