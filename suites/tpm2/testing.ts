// Part 3, 10 Testing and 16 Random Number Generator. Field cases: a
// self test answering TPM_RC_TESTING (the harness retries it), GetRandom
// capped below TPM_PT_MAX_DIGEST (tpm2-pkcs11#288, flightctl#3126).
import { ALG, CC, ST } from '../../protocol/tpm2/constants.js';
import { RC, rcP } from '../../protocol/tpm2/rc.js';
import { P3, concat, rawCmd, tpmCheck, u16, u32 } from './common.js';

export default [
  tpmCheck({
    id: 'tpm2.testing.selftest-full',
    title: 'TPM2_SelfTest(fullTest = YES) completes',
    spec: P3,
    clause: '10.2 TPM2_SelfTest',
    level: 'MUST',
    requirement: 'TPM2_SelfTest(YES) tests all functions and returns TPM_RC_SUCCESS (or TPM_RC_TESTING while it runs in the background, which the harness retries); afterwards TPM2_GetTestResult reports TPM_RC_SUCCESS.',
    run: async (x) => {
      x.rc((await x.c.selfTest(true)).rc, RC.SUCCESS, 'TPM2_SelfTest(YES)');
      const r = await x.c.getTestResult();
      x.rc(r.rc, RC.SUCCESS, 'TPM2_GetTestResult');
      x.rc(r.testResult!, RC.SUCCESS, 'testResult after TPM2_SelfTest(YES)');
    },
  }),
  tpmCheck({
    id: 'tpm2.testing.selftest-partial',
    title: 'TPM2_SelfTest(fullTest = NO) completes',
    spec: P3,
    clause: '10.2 TPM2_SelfTest',
    level: 'MUST',
    requirement: 'TPM2_SelfTest(NO) tests the functions not yet tested and returns TPM_RC_SUCCESS (TPM_RC_TESTING is retried).',
    run: async (x) => {
      x.rc((await x.c.selfTest(false)).rc, RC.SUCCESS, 'TPM2_SelfTest(NO)');
    },
  }),
  tpmCheck({
    id: 'tpm2.testing.test-result',
    title: 'TPM2_GetTestResult answers outData and TPM_RC_SUCCESS on a healthy TPM',
    spec: P3,
    clause: '10.4 TPM2_GetTestResult',
    level: 'MUST',
    requirement: 'TPM2_GetTestResult returns a TPM2B_MAX_BUFFER outData and testResult; on a TPM not in failure mode testResult is TPM_RC_SUCCESS (or TPM_RC_TESTING / TPM_RC_NEEDS_TEST before testing completed).',
    run: async (x) => {
      const r = await x.c.getTestResult();
      x.rc(r.rc, RC.SUCCESS, 'TPM2_GetTestResult');
      x.rc(r.testResult!, [RC.SUCCESS, RC.TESTING, RC.NEEDS_TEST], 'testResult');
      x.t.assert(r.outData!.length <= (await x.prop(0x10d)), 'outData is larger than TPM_PT_INPUT_BUFFER', { expected: 'a TPM2B_MAX_BUFFER', actual: `${r.outData!.length} bytes` });
    },
  }),
  tpmCheck({
    id: 'tpm2.testing.incremental-empty',
    title: 'TPM2_IncrementalSelfTest with an empty list succeeds',
    spec: P3,
    clause: '10.3 TPM2_IncrementalSelfTest',
    level: 'MUST',
    requirement: 'TPM2_IncrementalSelfTest with an empty toTest list returns TPM_RC_SUCCESS and a TPML_ALG toDoList (possibly empty).',
    run: async (x) => {
      const r = await x.c.command(CC.IncrementalSelfTest, [], [], u32(0), { label: 'TPM2_IncrementalSelfTest([])' });
      x.rc(r.rc, RC.SUCCESS, 'TPM2_IncrementalSelfTest([])');
      const count = new DataView(r.params.buffer, r.params.byteOffset).getUint32(0);
      x.t.expectEqual(r.params.length, 4 + 2 * count, 'toDoList size against its count');
    },
  }),
  tpmCheck({
    id: 'tpm2.testing.incremental-sha256',
    title: 'TPM2_IncrementalSelfTest of SHA-256 succeeds',
    spec: P3,
    clause: '10.3 TPM2_IncrementalSelfTest',
    level: 'MUST',
    requirement: 'TPM2_IncrementalSelfTest([TPM_ALG_SHA256]) returns TPM_RC_SUCCESS (TPM_RC_TESTING is retried).',
    run: async (x) => {
      const r = await x.c.command(CC.IncrementalSelfTest, [], [], concat(u32(1), u16(ALG.SHA256)), { label: 'TPM2_IncrementalSelfTest([SHA256])' });
      x.rc(r.rc, RC.SUCCESS, 'TPM2_IncrementalSelfTest([SHA256])');
    },
  }),
  // ---------------------------------------------------------------- random
  tpmCheck({
    id: 'tpm2.random.length',
    title: 'TPM2_GetRandom returns exactly the bytes requested up to TPM_PT_MAX_DIGEST',
    spec: P3,
    clause: '16.1 TPM2_GetRandom',
    level: 'MUST',
    requirement: 'TPM2_GetRandom(bytesRequested) returns randomBytes of exactly bytesRequested octets when bytesRequested does not exceed the largest digest (TPM_PT_MAX_DIGEST): checked for 1, 16, 32 and TPM_PT_MAX_DIGEST.',
    run: async (x) => {
      const max = await x.prop(0x120);
      for (const n of [1, 16, 32, max]) {
        const r = await x.c.getRandom(n);
        x.rc(r.rc, RC.SUCCESS, `TPM2_GetRandom(${n})`);
        x.t.expectEqual(r.bytes!.length, n, `bytes returned for TPM2_GetRandom(${n})`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.random.over-max-digest',
    title: 'TPM2_GetRandom above TPM_PT_MAX_DIGEST returns TPM_PT_MAX_DIGEST bytes',
    spec: P3,
    clause: '16.1 TPM2_GetRandom',
    level: 'MUST',
    requirement: 'If bytesRequested is more than fits in a TPM2B_DIGEST, no error is returned and the TPM returns as much as fits: exactly TPM_PT_MAX_DIGEST bytes for a request of 1000 (a TPM that returns fewer while reporting a larger TPM_PT_MAX_DIGEST misleads callers such as tpm2_getrandom).',
    run: async (x) => {
      const max = await x.prop(0x120);
      const r = await x.c.getRandom(1000);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_GetRandom(1000)');
      x.t.expectEqual(r.bytes!.length, max, `bytes returned for 1000 requested (TPM_PT_MAX_DIGEST = ${max})`);
    },
  }),
  tpmCheck({
    id: 'tpm2.random.zero',
    title: 'TPM2_GetRandom(0) returns an empty buffer',
    spec: P3,
    clause: '16.1 TPM2_GetRandom',
    level: 'MUST',
    requirement: 'TPM2_GetRandom with bytesRequested 0 succeeds with an Empty Buffer.',
    run: async (x) => {
      const r = await x.c.getRandom(0);
      x.rc(r.rc, RC.SUCCESS, 'TPM2_GetRandom(0)');
      x.t.expectEqual(r.bytes!.length, 0, 'bytes returned');
    },
  }),
  tpmCheck({
    id: 'tpm2.random.distinct',
    title: 'successive TPM2_GetRandom outputs differ',
    spec: P3,
    clause: '16.1 TPM2_GetRandom',
    level: 'MUST',
    requirement: 'The RNG output is not repeated: 64 successive 32-byte TPM2_GetRandom results are pairwise different (a repeat has probability 2^-245 for a working RNG).',
    run: async (x) => {
      const seen = new Set<string>();
      for (let i = 0; i < 64; i++) {
        const r = await x.c.getRandom(32);
        x.rc(r.rc, RC.SUCCESS, `TPM2_GetRandom(32) #${i + 1}`);
        const k = Buffer.from(r.bytes!).toString('hex');
        x.t.assert(!seen.has(k), `TPM2_GetRandom returned the same 32 bytes twice (call ${i + 1})`, { expected: 'fresh random bytes', actual: k });
        seen.add(k);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.random.monobit',
    title: 'TPM2_GetRandom output passes the SP 800-22 frequency (monobit) test',
    spec: P3,
    clause: '16.1 TPM2_GetRandom',
    level: 'MUST',
    requirement: 'The proportion of one bits in 16384 bits of TPM2_GetRandom output lies within 4.89 standard deviations of one half (NIST SP 800-22 frequency test at a false-alarm rate of 1e-6): a stuck or biased RNG fails.',
    run: async (x) => {
      let ones = 0;
      let bits = 0;
      while (bits < 16384) {
        const r = await x.c.getRandom(32);
        x.rc(r.rc, RC.SUCCESS, 'TPM2_GetRandom(32)');
        for (const b of r.bytes!) {
          let v = b;
          while (v) {
            ones += v & 1;
            v >>= 1;
          }
        }
        bits += r.bytes!.length * 8;
      }
      const z = Math.abs(2 * ones - bits) / Math.sqrt(bits);
      x.t.assert(z < 4.89, `frequency test statistic ${z.toFixed(2)} (ones ${ones} of ${bits} bits)`, { expected: '|S_n| / sqrt(n) < 4.89', actual: z.toFixed(2) });
    },
  }),
  tpmCheck({
    id: 'tpm2.random.stir',
    title: 'TPM2_StirRandom accepts additional entropy',
    spec: P3,
    clause: '16.2 TPM2_StirRandom',
    level: 'MUST',
    requirement: 'TPM2_StirRandom with up to 128 bytes of inData (TPM2B_SENSITIVE_DATA) returns TPM_RC_SUCCESS and the RNG keeps working.',
    run: async (x) => {
      x.rc((await x.c.stirRandom(new Uint8Array(128).fill(0x5a))).rc, RC.SUCCESS, 'TPM2_StirRandom(128 bytes)');
      x.rc((await x.c.stirRandom(new Uint8Array(0))).rc, RC.SUCCESS, 'TPM2_StirRandom(0 bytes)');
      x.rc((await x.c.getRandom(16)).rc, RC.SUCCESS, 'TPM2_GetRandom after stirring');
    },
  }),
  tpmCheck({
    id: 'tpm2.random.stir-too-large',
    title: 'TPM2_StirRandom with more than 128 bytes answers TPM_RC_SIZE',
    spec: P3,
    clause: '16.2 TPM2_StirRandom',
    level: 'MUST',
    requirement: 'inData is a TPM2B_SENSITIVE_DATA (at most 128 bytes); 129 bytes fail to unmarshal with TPM_RC_SIZE + TPM_RC_P + TPM_RC_1 (0x1D5).',
    run: async (x) => {
      const r = await x.c.rawRc(rawCmd(ST.NO_SESSIONS, CC.StirRandom, concat(u16(129), new Uint8Array(129))), 'TPM2_StirRandom(129 bytes)');
      x.rc(r.rc, rcP(RC.SIZE, 1), 'TPM2_StirRandom with 129 bytes');
    },
  }),
];
