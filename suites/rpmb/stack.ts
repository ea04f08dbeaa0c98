// The secure-storage stack on RPMB, judged through PSA Protected Storage:
// PS files live where the normal world can copy, replace and delete them
// (the REE file system); their integrity and their anti-rollback root must
// make every such change visible (PSA Storage 1.0.4, 3.1 Protected Storage
// requirements 2, 4 and 6; 5.4.4 psa_ps_get). The normal world's access to
// those files is the reference's TEST_REE_* hooks (capability
// rpmb.test-hooks); a board agent can offer the same over /data/tee.
import { StorageClient } from '../../clients/psa-storage.js';
import { bytesEqual, hex, hexNum } from '../../protocol/bytes.js';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import { RpmbResult, counterReadRequest, decodeFrame } from '../../protocol/rpmb/frame.js';
import { TEEC } from '../../protocol/rpmb/optee.js';
import { check } from '../harness/check.js';
import { PSA_STATUS, TEEC_STATUS } from '../harness/status-names.js';
import type { CheckContext } from '../harness/types.js';
import { CAP, PSA_SPEC, RESULT, blockPattern, nonce, rpmb } from './common.js';

const REQS = '3.1 Protected Storage requirements';
const GET = '5.4.4 psa_ps_get';
const DETECTED = [PSA.ERROR_INVALID_SIGNATURE, PSA.ERROR_DATA_CORRUPT];
const OK = TEEC.SUCCESS | 0;

type Snapshot = Map<string, Uint8Array>;

function ps(t: CheckContext): StorageClient {
  return new StorageClient(t.channel('ps'), 'ps');
}

/** A PS uid no other check or run uses ("R" in the top byte); removed afterwards. */
function newUid(t: CheckContext): bigint {
  const uid = (0x52n << 56n) | (BigInt(t.runNonce) << 24n) | BigInt(t.unique() & 0xffffff);
  t.defer(() => ps(t).remove(uid));
  return uid;
}

function data(t: CheckContext, n: number, salt: number): Uint8Array {
  const out = new Uint8Array(n);
  const p = blockPattern(t, salt);
  for (let i = 0; i < n; i++) out[i] = p[i % p.length]! ^ (i >> 8);
  return out;
}

async function put(t: CheckContext, uid: bigint, v: Uint8Array): Promise<void> {
  const s = await ps(t).set(uid, v, 0);
  t.expectStatus(PSA_STATUS, s, PSA.SUCCESS, `precondition psa_ps_set(uid=${hexNum(uid)}, data_length=${v.length})`);
}

async function snapshot(t: CheckContext): Promise<Snapshot> {
  const c = rpmb(t);
  const l = await c.reeList('');
  t.optional(CAP.testHooks, l.status === (TEEC.ERROR_NOT_SUPPORTED | 0), 'the target gives no access to its REE file system (TEST_REE_LIST)');
  t.expectStatus(TEEC_STATUS, l.status, OK, 'TEST_REE_LIST');
  const out: Snapshot = new Map();
  for (const p of l.paths!) {
    const r = await c.reeRead(p);
    if (r.status === OK) out.set(p, r.data!);
  }
  return out;
}

/** Paths whose content differs between two snapshots (or that exist in only one). */
function changed(a: Snapshot, b: Snapshot): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => !a.has(p) || !b.has(p) || !bytesEqual(a.get(p)!, b.get(p)!)).sort();
}

/** Puts one path back as `snap` has it (deleting it when `snap` has no such file). */
async function restorePath(t: CheckContext, snap: Snapshot, p: string): Promise<void> {
  const c = rpmb(t);
  const v = snap.get(p);
  if (v) t.expectStatus(TEEC_STATUS, await c.reeWrite(p, v), OK, `TEST_REE_WRITE(${p})`);
  else await c.reeDelete(p);
}

/** Makes the REE file system look as `snap` did, for every path that changed since. */
async function restoreAll(t: CheckContext, snap: Snapshot): Promise<void> {
  const now = await snapshot(t);
  for (const p of changed(snap, now)) await restorePath(t, snap, p);
}

/** Files the PS service changed between two snapshots; none means PS data is not in the REE FS. */
function psFiles(t: CheckContext, a: Snapshot, b: Snapshot): string[] {
  const c = changed(a, b);
  if (!c.length) t.unsupported('psa_ps_set changed no file of the REE file system: PS data is not kept there');
  return c;
}

/**
 * Judges a psa_ps_get after tampering: the status the spec names for
 * corrupt or unauthentic data, or the latest data (the change had no
 * effect), never an older version and never anything else.
 */
function judge(t: CheckContext, r: { status: number; data: Uint8Array }, latest: Uint8Array, older: Uint8Array[], what: string): void {
  if (r.status === PSA.SUCCESS) {
    if (bytesEqual(r.data, latest)) return t.note(`${what}: the latest data was returned (the change had no effect)`);
    const i = older.findIndex((o) => bytesEqual(o, r.data));
    t.fail(`${what}: psa_ps_get returned ${i >= 0 ? 'an older version of the asset (rolled back)' : 'data that was never written'}`, {
      expected: `${DETECTED.map(psaStatusName).join(' or ')}, or the latest ${latest.length} bytes`,
      actual: `PSA_SUCCESS with ${r.data.length} bytes ${hex(r.data, 16)}`,
    });
  }
  t.expectStatus(PSA_STATUS, r.status, DETECTED, `${what}: psa_ps_get`);
}

/** v1, then v2 and v3 over it; snapshots after v1 and after v3. Cleanup restores the v3 files. */
async function threeVersions(t: CheckContext) {
  const uid = newUid(t);
  const v = [data(t, 40, 1), data(t, 50, 2), data(t, 60, 3)];
  await put(t, uid, v[0]!);
  const s1 = await snapshot(t);
  await put(t, uid, v[1]!);
  await put(t, uid, v[2]!);
  const s3 = await snapshot(t);
  t.defer(() => restoreAll(t, s3));
  return { uid, v, s1, s3, files: psFiles(t, s1, s3) };
}

export default [
  check({
    id: 'rpmb.stack.ps-rollback-all',
    title: 'PS detects the REE file system rolled back to an earlier state',
    spec: PSA_SPEC,
    clause: `${REQS} (6: replay protection); ${GET}`,
    level: 'MUST',
    requirement:
      'If writing to external storage, the Protected Storage service must provide replay protection by writing replay protection values through the ITS API: after every REE file is put back as it was two versions ago, psa_ps_get answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT (or the latest data), never the old version.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const { uid, v, s1 } = await threeVersions(t);
      await restoreAll(t, s1);
      judge(t, await ps(t).get(uid, 0, 100), v[2]!, [v[0]!, v[1]!], 'after rolling every REE file back');
    },
  }),
  check({
    id: 'rpmb.stack.ps-rollback-file',
    title: 'PS detects any single file rolled back',
    spec: PSA_SPEC,
    clause: `${REQS} (6: replay protection); ${GET}`,
    level: 'MUST',
    requirement:
      'Replay protection holds file by file: whichever single REE file PS changed is put back to its older copy (or removed if it did not exist), psa_ps_get answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT (or the latest data), never an older version.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const { uid, v, s1, s3, files } = await threeVersions(t);
      for (const p of files) {
        await restorePath(t, s1, p);
        judge(t, await ps(t).get(uid, 0, 100), v[2]!, [v[0]!, v[1]!], `after rolling back ${p}`);
        await restorePath(t, s3, p);
      }
    },
  }),
  check({
    id: 'rpmb.stack.ps-alteration',
    title: 'PS detects an altered file',
    spec: PSA_SPEC,
    clause: `${REQS} (4: integrity); ${GET}`,
    level: 'MUST',
    requirement:
      'If writing to external storage, the Protected Storage service must provide integrity protection: with one byte of any file it wrote changed, psa_ps_get answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT (or the data as written), never other data.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const uid = newUid(t);
      const v = data(t, 48, 4);
      const s0 = await snapshot(t);
      await put(t, uid, v);
      const s1 = await snapshot(t);
      t.defer(() => restoreAll(t, s1));
      for (const p of psFiles(t, s0, s1)) {
        const orig = s1.get(p);
        if (!orig?.length) continue;
        const bad = orig.slice();
        bad[Math.floor(bad.length / 2)]! ^= 0x10;
        await rpmb(t).reeWrite(p, bad);
        judge(t, await ps(t).get(uid, 0, 100), v, [], `after changing one byte of ${p}`);
        await restorePath(t, s1, p);
      }
    },
  }),
  check({
    id: 'rpmb.stack.ps-deletion',
    title: 'PS does not treat a deleted file as an absent asset',
    spec: PSA_SPEC,
    clause: `${REQS} (4, 6); ${GET}`,
    level: 'MUST',
    requirement:
      'Removing a file PS wrote is a rollback to "never written": psa_ps_get of the asset answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT (or the data as written), not PSA_ERROR_DOES_NOT_EXIST.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const uid = newUid(t);
      const v = data(t, 36, 5);
      const s0 = await snapshot(t);
      await put(t, uid, v);
      const s1 = await snapshot(t);
      t.defer(() => restoreAll(t, s1));
      for (const p of psFiles(t, s0, s1)) {
        if (!s1.has(p)) continue;
        await rpmb(t).reeDelete(p);
        judge(t, await ps(t).get(uid, 0, 100), v, [], `after deleting ${p}`);
        await restorePath(t, s1, p);
      }
    },
  }),
  check({
    id: 'rpmb.stack.ps-get-info-rollback',
    title: 'psa_ps_get_info also detects the rollback',
    spec: PSA_SPEC,
    clause: '5.4.5 psa_ps_get_info',
    level: 'MUST',
    requirement: 'After the REE files are rolled back, psa_ps_get_info answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT, or the latest size; never the size of the older version.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const { uid, v, s1 } = await threeVersions(t);
      await restoreAll(t, s1);
      const r = await ps(t).getInfo(uid);
      if (r.status === PSA.SUCCESS) {
        t.expectEqual(r.info!.size, BigInt(v[2]!.length), 'size reported after the rollback (the latest is 60, the rolled-back one 40)');
        return t.note('the latest size was returned (the rollback had no effect)');
      }
      t.expectStatus(PSA_STATUS, r.status, DETECTED, 'psa_ps_get_info after the rollback');
    },
  }),
  check({
    id: 'rpmb.stack.ps-rollback-after-reset',
    title: 'a rollback made while the target is off is detected after it boots',
    spec: PSA_SPEC,
    clause: `${REQS} (6: replay protection); ${GET}`,
    level: 'MUST',
    requirement: 'Replay protection survives a reboot: REE files rolled back and then a reset of the target, psa_ps_get answers PSA_ERROR_INVALID_SIGNATURE or PSA_ERROR_DATA_CORRUPT (or the latest data), never the old version.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks, 'target.reset'],
    run: async (t) => {
      const { uid, v, s1, s3 } = await threeVersions(t);
      await restoreAll(t, s1);
      await t.reset();
      judge(t, await ps(t).get(uid, 0, 100), v[2]!, [v[0]!, v[1]!], 'after the rollback and a reset');
      await restoreAll(t, s3);
      await t.reset();
    },
  }),
  check({
    id: 'rpmb.stack.ps-confidential',
    title: 'PS data is not readable in the REE file system',
    spec: PSA_SPEC,
    clause: `${REQS} (2: confidentiality)`,
    level: 'MUST',
    requirement: 'If writing to external storage, the Protected Storage service must provide confidentiality unless the caller requests integrity only: no REE file holds 16 consecutive bytes of an asset created with flags NONE.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.testHooks],
    run: async (t) => {
      const uid = newUid(t);
      const v = data(t, 96, 6);
      await put(t, uid, v);
      const files = await snapshot(t);
      const needle = hex(v.subarray(40, 56));
      for (const [p, content] of files) {
        if (hex(content).includes(needle)) t.fail(`REE file ${p} holds the asset's plaintext`, { expected: 'ciphertext only', actual: `bytes ${needle} in ${p}` });
      }
    },
  }),
  check({
    id: 'rpmb.stack.its-on-rpmb',
    title: 'an ITS write is an authenticated RPMB write',
    spec: PSA_SPEC,
    clause: '3.2 Internal Trusted Storage requirements (1, 9: protection from physical attackers, integrity)',
    level: 'MUST',
    requirement: 'On a target that declares its ITS kept on the RPMB of dev_id 0 (rpmb.backs-its), every psa_its_set that succeeds advances that device\'s write counter: the data went through an authenticated, replay-protected write.',
    services: ['its', 'rpmb'],
    capabilities: [CAP.backsIts],
    run: async (t) => {
      if (t.cap(CAP.backsIts) !== true) t.unsupported(`the profile does not declare ${CAP.backsIts}`);
      const c0 = await physicalCounter(t);
      const uid = (0x52n << 56n) | (BigInt(t.runNonce) << 24n) | BigInt(t.unique() & 0xffffff);
      const its = new StorageClient(t.channel('its'), 'its');
      t.defer(() => its.remove(uid));
      t.expectStatus(PSA_STATUS, await its.set(uid, data(t, 20, 7), 0), PSA.SUCCESS, 'psa_its_set');
      const c1 = await physicalCounter(t);
      t.assert(c1 > c0, `psa_its_set left the RPMB write counter of dev_id 0 at ${c1}`, { expected: `> ${c0}`, actual: String(c1) });
    },
  }),
  check({
    id: 'rpmb.stack.ps-root-on-rpmb',
    title: 'a PS write updates its replay-protection root on RPMB',
    spec: PSA_SPEC,
    clause: `${REQS} (6: replay protection through ITS)`,
    level: 'MUST',
    requirement: 'The Protected Storage service writes its replay protection values through ITS: on a target whose ITS is on RPMB (rpmb.backs-its), every psa_ps_set that succeeds advances the write counter of dev_id 0.',
    services: ['ps', 'rpmb'],
    capabilities: [CAP.backsIts],
    run: async (t) => {
      if (t.cap(CAP.backsIts) !== true) t.unsupported(`the profile does not declare ${CAP.backsIts}`);
      const uid = newUid(t);
      const c0 = await physicalCounter(t);
      await put(t, uid, data(t, 30, 8));
      const c1 = await physicalCounter(t);
      t.assert(c1 > c0, `psa_ps_set left the RPMB write counter of dev_id 0 at ${c1}`, { expected: `> ${c0}`, actual: String(c1) });
    },
  }),
];

/** The write counter of dev_id 0 as the device reports it (the MAC needs the secure world's key). */
async function physicalCounter(t: CheckContext): Promise<number> {
  const r = await rpmb(t).opteeDataRequest(0, [counterReadRequest(nonce(t))], 0, 1);
  t.expectStatus(TEEC_STATUS, r.status, OK, 'counter read of dev_id 0');
  const f = decodeFrame(r.frames[0]!);
  t.expectStatus(RESULT, f.result & 0x7f, RpmbResult.OK, 'counter read of dev_id 0');
  return f.writeCounter;
}
