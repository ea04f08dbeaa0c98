// Malformed commands at the byte level (Part 3, 5 Command Processing; Part 1,
// 18 TPM Command/Response Structure): random bytes, random parameter areas of
// read-only commands, random session areas and truncated valid commands. The
// TPM must answer each with a well-formed response (an error response is a
// bare 10-byte TPM_ST_NO_SESSIONS header), never succeed on a truncated
// command, and keep answering (TPM2_GetRandom afterwards).
import fc from 'fast-check';
import { CAP, CC } from '../../protocol/tpm2/constants.js';
import { RC, rcName } from '../../protocol/tpm2/rc.js';
import { checkProp } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { P3, Tx, concat, hex, rawCmd, u16, u32 } from './common.js';

const PROCESSING = '5 Command Processing';

/** Commands that change no TPM state whatever their parameters (no auth handles, no objects created). */
const SAFE: { cc: number; name: string; valid: Uint8Array }[] = [
  { cc: CC.GetRandom, name: 'TPM2_GetRandom', valid: u16(16) },
  { cc: CC.GetCapability, name: 'TPM2_GetCapability', valid: concat(u32(CAP.TPM_PROPERTIES), u32(0x100), u32(8)) },
  { cc: CC.PCR_Read, name: 'TPM2_PCR_Read', valid: concat(u32(1), u16(0x000b), new Uint8Array([3, 0xff, 0, 0])) },
  { cc: CC.Hash, name: 'TPM2_Hash', valid: concat(u16(5), Uint8Array.from([1, 2, 3, 4, 5]), u16(0x000b), u32(0x40000007)) },
  { cc: CC.TestParms, name: 'TPM2_TestParms', valid: concat(u16(0x0023), u16(0x0010), u16(0x0010), u16(0x0003), u16(0x0010)) },
  { cc: CC.GetTestResult, name: 'TPM2_GetTestResult', valid: new Uint8Array(0) },
  { cc: CC.ReadPublic, name: 'TPM2_ReadPublic', valid: u32(0x80ffffff) },
  { cc: CC.NV_ReadPublic, name: 'TPM2_NV_ReadPublic', valid: u32(0x01ffffff) },
];

/** Judges a response to a malformed command: well-formed, and the TPM still answers. */
async function judge(t: CheckContext, x: Tx, what: string, resp: Uint8Array, mustFail: boolean): Promise<void> {
  if (resp.length < 10) t.fail(`${what}: a ${resp.length}-byte answer, shorter than a response header`, { expected: '≥ 10 bytes', actual: hex(resp) });
  const dv = new DataView(resp.buffer, resp.byteOffset, resp.length);
  const tag = dv.getUint16(0);
  const size = dv.getUint32(2);
  const rc = dv.getUint32(6);
  if (size !== resp.length) t.fail(`${what}: responseSize ${size} but ${resp.length} bytes came`, { expected: String(resp.length), actual: String(size) });
  if (tag !== 0x8001 && tag !== 0x8002) t.fail(`${what}: response tag 0x${tag.toString(16)}`, { expected: 'TPM_ST_NO_SESSIONS (0x8001) or TPM_ST_SESSIONS (0x8002)', actual: `0x${tag.toString(16)}` });
  if (rc !== RC.SUCCESS && (resp.length !== 10 || tag !== 0x8001)) {
    t.fail(`${what}: the error response ${rcName(rc)} is ${resp.length} bytes with tag 0x${tag.toString(16)}`, { expected: 'a 10-byte TPM_ST_NO_SESSIONS header', actual: hex(resp, 32) });
  }
  if (mustFail && rc === RC.SUCCESS) t.fail(`${what} answered TPM_RC_SUCCESS`, { expected: 'an error response code', actual: rcName(rc) });
  const alive = await x.c.getRandom(8);
  if (alive.rc !== RC.SUCCESS) t.fail(`TPM2_GetRandom after ${what} answered ${rcName(alive.rc)}`, { expected: rcName(RC.SUCCESS), actual: rcName(alive.rc) });
}

async function started(t: CheckContext): Promise<Tx> {
  const x = new Tx(t);
  await x.ensureStarted();
  return x;
}

const txCache = new WeakMap<CheckContext, Tx>();
async function tx(t: CheckContext): Promise<Tx> {
  let x = txCache.get(t);
  if (!x) {
    x = await started(t);
    txCache.set(t, x);
  }
  return x;
}

export default [
  checkProp<Uint8Array>({
    id: 'tpm2.wire.fuzz-random-bytes',
    title: 'random bytes get a well-formed error response and the TPM keeps answering',
    spec: P3,
    clause: PROCESSING,
    level: 'MUST',
    requirement: 'Whatever bytes arrive as a command (10-64 random octets: at least a header, since stream transports such as swtpm\'s socket wait for a complete header), the TPM answers with a well-formed response whose responseSize is its length, an error response is a 10-byte TPM_ST_NO_SESSIONS header, and the next TPM2_GetRandom succeeds.',
    services: ['tpm2'],
    numRuns: 80,
    arbitrary: () => fc.uint8Array({ minLength: 10, maxLength: 64 }),
    show: (v) => hex(v),
    predicate: async (t, bytes) => {
      const x = await tx(t);
      await judge(t, x, `command bytes ${hex(bytes, 24)}`, await x.c.raw(bytes, `fuzz ${bytes.length} bytes`), false);
    },
  }),
  checkProp<{ i: number; sessions: boolean; body: Uint8Array }>({
    id: 'tpm2.wire.fuzz-parameters',
    title: 'random parameter and session areas of read-only commands get well-formed responses',
    spec: P3,
    clause: PROCESSING,
    level: 'MUST',
    requirement: 'A command with a correct header (tag, commandSize, a read-only command code such as TPM2_GetRandom, TPM2_GetCapability, TPM2_PCR_Read, TPM2_Hash, TPM2_TestParms, TPM2_ReadPublic, TPM2_NV_ReadPublic) and random handle, session and parameter bytes gets a well-formed response (errors as a 10-byte header), and the TPM keeps answering.',
    services: ['tpm2'],
    numRuns: 80,
    arbitrary: () => fc.record({ i: fc.nat({ max: SAFE.length - 1 }), sessions: fc.boolean(), body: fc.uint8Array({ maxLength: 48 }) }),
    show: (v) => `${SAFE[v.i]!.name} tag ${v.sessions ? 'SESSIONS' : 'NO_SESSIONS'} body ${hex(v.body)}`,
    predicate: async (t, v) => {
      const x = await tx(t);
      const c = SAFE[v.i]!;
      const cmd = rawCmd(v.sessions ? 0x8002 : 0x8001, c.cc, v.body);
      await judge(t, x, `${c.name} with body ${hex(v.body, 24)}`, await x.c.raw(cmd, `${c.name} fuzzed`), false);
    },
  }),
  checkProp<{ i: number; cut: number }>({
    id: 'tpm2.wire.truncated-never-succeeds',
    title: 'a valid command cut short never succeeds',
    spec: P3,
    clause: PROCESSING,
    level: 'MUST',
    requirement: 'A valid command whose parameter area is truncated (commandSize adjusted to the shorter length) fails to unmarshal (TPM_RC_INSUFFICIENT or another error) and is answered with a 10-byte error header; it never succeeds on partial parameters.',
    services: ['tpm2'],
    numRuns: 40,
    arbitrary: () => fc.nat({ max: SAFE.length - 1 }).filter((i) => SAFE[i]!.valid.length > 0).chain((i) => fc.record({ i: fc.constant(i), cut: fc.nat({ max: SAFE[i]!.valid.length - 1 }) })),
    show: (v) => `${SAFE[v.i]!.name} with ${v.cut} of ${SAFE[v.i]!.valid.length} parameter bytes`,
    predicate: async (t, v) => {
      const x = await tx(t);
      const c = SAFE[v.i]!;
      const cmd = rawCmd(0x8001, c.cc, c.valid.subarray(0, v.cut));
      await judge(t, x, `${c.name} with ${v.cut} of its ${c.valid.length} parameter bytes`, await x.c.raw(cmd, `${c.name} truncated`), true);
    },
  }),
];
