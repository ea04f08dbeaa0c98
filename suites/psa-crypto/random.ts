// 10.10 Other cryptographic services: psa_generate_random.
import { PSA } from '../../protocol/psa/status.js';
import { hex } from '../../protocol/bytes.js';
import { check } from '../harness/check.js';
import type { CheckDef } from '../harness/types.js';
import { SPEC, client, expectPsa } from './common.js';

export default [
  check({
    id: 'psa-crypto.random.sizes',
    title: 'psa_generate_random returns exactly the bytes asked for',
    spec: SPEC,
    clause: '10.10.1 psa_generate_random',
    level: 'MUST',
    requirement: 'On PSA_SUCCESS the output contains output_size bytes of generated random data: 0, 1, 32 and 1024 bytes.',
    services: ['crypto'],
    run: async (t) => {
      for (const n of [0, 1, 32, 1024]) {
        const r = await client(t).generateRandom(n);
        expectPsa(t, r.status, PSA.SUCCESS, `psa_generate_random(${n})`);
        t.expectEqual(r.value!.length, n, `output length of psa_generate_random(${n})`);
      }
    },
  }),
  check({
    id: 'psa-crypto.random.distinct',
    title: 'two random outputs differ',
    spec: SPEC,
    clause: '10.10.1 psa_generate_random',
    level: 'MUST',
    requirement: 'psa_generate_random generates random bytes: two successive 32-byte outputs are different (equal outputs have probability 2^-256 for a working generator).',
    services: ['crypto'],
    run: async (t) => {
      const a = await client(t).generateRandom(32);
      const b = await client(t).generateRandom(32);
      expectPsa(t, a.status, PSA.SUCCESS, 'psa_generate_random(32)');
      expectPsa(t, b.status, PSA.SUCCESS, 'psa_generate_random(32) again');
      t.assert(hex(a.value!) !== hex(b.value!), `psa_generate_random returned ${hex(a.value!)} twice`, { expected: 'different outputs', actual: 'identical outputs' });
    },
  }),
  check({
    id: 'psa-crypto.random.not-degenerate',
    title: 'random output is not constant, and every bit position varies',
    spec: SPEC,
    clause: '10.10.1 psa_generate_random',
    level: 'MUST',
    requirement: 'Generated random data is not degenerate: in 4096 bytes every byte value does not dominate (no value above 100 occurrences, expected 16) and each of the 8 bit positions is set between 1800 and 2300 times (expected 2048; the bounds fail with probability below 10^-12 for a working generator).',
    services: ['crypto'],
    run: async (t) => {
      const r = await client(t).generateRandom(4096);
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_generate_random(4096)');
      const counts = new Array<number>(256).fill(0);
      const bits = new Array<number>(8).fill(0);
      for (const v of r.value!) {
        counts[v]! += 1;
        for (let b = 0; b < 8; b++) if (v & (1 << b)) bits[b]! += 1;
      }
      const max = Math.max(...counts);
      t.assert(max <= 100, `one byte value occurs ${max} times in 4096 random bytes`, { expected: '<= 100', actual: String(max) });
      for (let b = 0; b < 8; b++) {
        t.assert(bits[b]! >= 1800 && bits[b]! <= 2300, `bit ${b} is set in ${bits[b]} of 4096 random bytes`, { expected: '1800..2300', actual: String(bits[b]) });
      }
    },
  }),
] satisfies CheckDef[];
