// What the reference TPM keeps in non-volatile memory, stored in its own
// partition of the reference ITS (`env.its('tpm2')`), so it survives
// ReferenceStack.reboot() (= _TPM_Init) and, under --state, process restarts:
//   uid 1                      permanent data (seeds, proofs, hierarchy
//                              auths and policies, DA state, orderly state,
//                              the state saved by TPM2_Shutdown(STATE))
//   uid 0x1_00000000 | index   one NV index (public area, auth, data)
//   uid 0x2_00000000 | handle  one persistent (evict) object
import { DecodeError } from '../../protocol/bytes.js';
import { TpmReader, TpmWriter } from '../../protocol/tpm2/marshal.js';
import { marshalNvPublic, marshalPublic, readNvPublic, readPublic, type NvPublic, type TpmtPublic } from '../../protocol/tpm2/structures.js';
import type { AssetStore } from '../storage/asset-store.js';

export const ORDERLY_NONE = 0xffff;

export interface Policy {
  alg: number;
  digest: Uint8Array;
}

export interface Permanent {
  eps: Uint8Array;
  sps: Uint8Array;
  pps: Uint8Array;
  ehProof: Uint8Array;
  shProof: Uint8Array;
  phProof: Uint8Array;
  ownerAuth: Uint8Array;
  endorsementAuth: Uint8Array;
  lockoutAuth: Uint8Array;
  ownerPolicy: Policy;
  endorsementPolicy: Policy;
  lockoutPolicy: Policy;
  disableClear: boolean;
  lockoutAuthEnabled: boolean;
  phEnableNV: boolean;
  tpmEstablished: boolean;
  failedTries: number;
  maxTries: number;
  recoveryTime: number;
  lockoutRecovery: number;
  /** TPM_SU of the last orderly shutdown, or ORDERLY_NONE. */
  orderlyState: number;
  resetCount: number;
  totalResetCount: number;
  clock: bigint;
  /** Largest count of any counter index that was undefined (a new counter starts there). */
  maxCounter: bigint;
  /** State saved by TPM2_Shutdown(STATE) (opaque to the store), empty otherwise. */
  savedState: Uint8Array;
}

export interface NvRecord {
  pub: NvPublic;
  auth: Uint8Array;
  data: Uint8Array;
}

export interface PersistentRecord {
  hierarchy: number;
  pub: TpmtPublic;
  /** Marshalled TPMT_SENSITIVE. */
  sensitive: Uint8Array;
}

const PERM_UID = 1n;
const NV_BASE = 0x1_0000_0000n;
const PERSIST_BASE = 0x2_0000_0000n;

function writePolicy(w: TpmWriter, p: Policy): void {
  w.u16(p.alg).tpm2b(p.digest);
}
function readPolicy(r: TpmReader): Policy {
  return { alg: r.u16(), digest: r.tpm2b() };
}

export function encodePermanent(p: Permanent): Uint8Array {
  const w = new TpmWriter(512);
  w.u8(1);
  for (const b of [p.eps, p.sps, p.pps, p.ehProof, p.shProof, p.phProof, p.ownerAuth, p.endorsementAuth, p.lockoutAuth]) w.tpm2b(b);
  writePolicy(w, p.ownerPolicy);
  writePolicy(w, p.endorsementPolicy);
  writePolicy(w, p.lockoutPolicy);
  w.u32((p.disableClear ? 1 : 0) | (p.lockoutAuthEnabled ? 2 : 0) | (p.phEnableNV ? 4 : 0) | (p.tpmEstablished ? 8 : 0));
  w.u32(p.failedTries).u32(p.maxTries).u32(p.recoveryTime).u32(p.lockoutRecovery);
  w.u16(p.orderlyState).u32(p.resetCount).u32(p.totalResetCount).u64(p.clock);
  w.tpm2b(p.savedState).u64(p.maxCounter);
  return w.finish();
}

export function decodePermanent(b: Uint8Array): Permanent {
  const r = new TpmReader(b, 'TPM permanent record');
  if (r.u8() !== 1) throw new DecodeError('TPM permanent record: unknown version');
  const [eps, sps, pps, ehProof, shProof, phProof, ownerAuth, endorsementAuth, lockoutAuth] = Array.from({ length: 9 }, () => r.tpm2b());
  const ownerPolicy = readPolicy(r);
  const endorsementPolicy = readPolicy(r);
  const lockoutPolicy = readPolicy(r);
  const flags = r.u32();
  return {
    eps: eps!,
    sps: sps!,
    pps: pps!,
    ehProof: ehProof!,
    shProof: shProof!,
    phProof: phProof!,
    ownerAuth: ownerAuth!,
    endorsementAuth: endorsementAuth!,
    lockoutAuth: lockoutAuth!,
    ownerPolicy,
    endorsementPolicy,
    lockoutPolicy,
    disableClear: (flags & 1) !== 0,
    lockoutAuthEnabled: (flags & 2) !== 0,
    phEnableNV: (flags & 4) !== 0,
    tpmEstablished: (flags & 8) !== 0,
    failedTries: r.u32(),
    maxTries: r.u32(),
    recoveryTime: r.u32(),
    lockoutRecovery: r.u32(),
    orderlyState: r.u16(),
    resetCount: r.u32(),
    totalResetCount: r.u32(),
    clock: r.u64(),
    savedState: r.tpm2b(),
    maxCounter: r.u64(),
  };
}

/** Thrown when the store cannot persist (the TPM enters failure mode). */
export class StoreError extends Error {}

export class TpmStore {
  constructor(private readonly its: AssetStore) {}

  private async get(uid: bigint): Promise<Uint8Array | undefined> {
    const info = await this.its.info(uid);
    if (info.status !== 0) return undefined;
    const r = await this.its.get(uid, 0n, info.value!.size);
    if (r.status !== 0) throw new StoreError(`ITS read of uid 0x${uid.toString(16)} failed with status ${r.status}`);
    return r.value!;
  }

  private async put(uid: bigint, data: Uint8Array): Promise<void> {
    const s = await this.its.set(uid, data, 0);
    if (s.status !== 0) throw new StoreError(`ITS write of uid 0x${uid.toString(16)} failed with status ${s.status}`);
  }

  private async remove(uid: bigint): Promise<void> {
    await this.its.remove(uid);
  }

  async loadPermanent(): Promise<Permanent | undefined> {
    const b = await this.get(PERM_UID);
    return b ? decodePermanent(b) : undefined;
  }

  savePermanent(p: Permanent): Promise<void> {
    return this.put(PERM_UID, encodePermanent(p));
  }

  async loadNv(): Promise<Map<number, NvRecord>> {
    const out = new Map<number, NvRecord>();
    for (const uid of await this.uids()) {
      if (uid < NV_BASE || uid >= PERSIST_BASE) continue;
      const b = await this.get(uid);
      if (!b) continue;
      const r = new TpmReader(b, 'NV record');
      const pub = r.sized('nvPublic', (x) => readNvPublic(x))!;
      out.set(pub.nvIndex, { pub, auth: r.tpm2b(), data: r.tpm2b() });
    }
    return out;
  }

  saveNv(rec: NvRecord): Promise<void> {
    const w = new TpmWriter(64 + rec.data.length);
    w.tpm2b(marshalNvPublic(rec.pub)).tpm2b(rec.auth).tpm2b(rec.data);
    return this.put(NV_BASE + BigInt(rec.pub.nvIndex >>> 0), w.finish());
  }

  deleteNv(index: number): Promise<void> {
    return this.remove(NV_BASE + BigInt(index >>> 0));
  }

  async loadPersistent(): Promise<Map<number, PersistentRecord>> {
    const out = new Map<number, PersistentRecord>();
    for (const uid of await this.uids()) {
      if (uid < PERSIST_BASE) continue;
      const b = await this.get(uid);
      if (!b) continue;
      const r = new TpmReader(b, 'persistent object record');
      const hierarchy = r.u32();
      const pub = r.sized('public', (x) => readPublic(x))!;
      out.set(Number(uid - PERSIST_BASE), { hierarchy, pub, sensitive: r.tpm2b() });
    }
    return out;
  }

  savePersistent(handle: number, rec: PersistentRecord): Promise<void> {
    const w = new TpmWriter(512);
    w.u32(rec.hierarchy).tpm2b(marshalPublic(rec.pub)).tpm2b(rec.sensitive);
    return this.put(PERSIST_BASE + BigInt(handle >>> 0), w.finish());
  }

  deletePersistent(handle: number): Promise<void> {
    return this.remove(PERSIST_BASE + BigInt(handle >>> 0));
  }

  private async uids(): Promise<bigint[]> {
    return this.its.backend.list();
  }
}
