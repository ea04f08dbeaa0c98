// The sweep itself can fail: a check that asserts nothing survives it, and
// is named; a check that asserts what it read is killed.
import { describe, expect, it } from 'vitest';
import { StorageClient } from '../../clients/psa-storage.js';
import { PSA } from '../../protocol/psa/status.js';
import { check } from '../../suites/harness/check.js';
import { PSA_STATUS } from '../../suites/harness/status-names.js';
import type { CheckSpec } from '../../suites/harness/types.js';
import { sweep } from '../helpers/mutants.js';

const spec = (id: string): CheckSpec => ({
  id,
  title: id,
  spec: 'test',
  clause: 'test',
  level: 'MUST',
  requirement: 'what was set is read back',
  services: ['its'],
});
const DATA = new Uint8Array([1, 2, 3, 4]);

const checks = [
  check({
    ...spec('meta.its.asserts'),
    run: async (t) => {
      const its = new StorageClient(t.channel('its'));
      t.expectStatus(PSA_STATUS, await its.set(7n, DATA), PSA.SUCCESS, 'set');
      const r = await its.get(7n, 0, 4);
      t.expectStatus(PSA_STATUS, r.status, PSA.SUCCESS, 'get');
      t.expectEqual(Buffer.from(r.data).toString('hex'), '01020304', 'data read back');
    },
  }),
  check({
    ...spec('meta.its.vacuous'),
    run: async (t) => {
      const its = new StorageClient(t.channel('its'));
      await its.set(8n, DATA);
      await its.get(8n, 0, 4);
    },
  }),
];

describe('mutation sweep', () => {
  it('kills a check that asserts, and names one that asserts nothing as a survivor', async () => {
    const r = await sweep('meta', { checks });
    expect([...r.killed.keys()]).toEqual(['meta.its.asserts']);
    expect(r.survivors).toEqual(['meta.its.vacuous']);
    expect(r.notPassing.size).toBe(0);
  });
});
