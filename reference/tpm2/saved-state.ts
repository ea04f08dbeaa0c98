// The image TPM2_Shutdown(STATE) saves and TPM2_Startup reads back (TPM
// Resume restores all of it, TPM Restart the reset-state part): null
// hierarchy proof and seed, counters, saved session contexts, hierarchy
// enables, platformAuth/Policy and the state-saved PCRs.
import { DecodeError } from '../../protocol/bytes.js';
import { TpmReader, TpmWriter } from '../../protocol/tpm2/marshal.js';

export interface SavedState {
  nullProof: Uint8Array;
  nullSeed: Uint8Array;
  clearCount: number;
  restartCount: number;
  pcrCounter: number;
  contextCounter: bigint;
  savedSessions: [number, bigint][];
  clear: {
    shEnable: boolean;
    ehEnable: boolean;
    phEnable: boolean;
    platformAuth: Uint8Array;
    platformPolicy: { alg: number; digest: Uint8Array };
  };
  pcrs: [number, Uint8Array[]][];
}

export function encodeSavedState(s: SavedState): Uint8Array {
  const w = new TpmWriter(2048);
  w.u8(1).tpm2b(s.nullProof).tpm2b(s.nullSeed).u32(s.clearCount).u32(s.restartCount).u32(s.pcrCounter).u64(s.contextCounter);
  w.u32(s.savedSessions.length);
  for (const [h, seq] of s.savedSessions) w.u32(h).u64(seq);
  const c = s.clear;
  w.u8((c.shEnable ? 1 : 0) | (c.ehEnable ? 2 : 0) | (c.phEnable ? 4 : 0)).tpm2b(c.platformAuth).u16(c.platformPolicy.alg).tpm2b(c.platformPolicy.digest);
  w.u32(s.pcrs.length);
  for (const [alg, bank] of s.pcrs) {
    w.u16(alg).u32(bank.length);
    for (const v of bank) w.tpm2b(v);
  }
  return w.finish();
}

export function decodeSavedState(b: Uint8Array): SavedState {
  const r = new TpmReader(b, 'saved state');
  if (r.u8() !== 1) throw new DecodeError('saved state: unknown version');
  const nullProof = r.tpm2b();
  const nullSeed = r.tpm2b();
  const clearCount = r.u32();
  const restartCount = r.u32();
  const pcrCounter = r.u32();
  const contextCounter = r.u64();
  const n = r.u32();
  const savedSessions: [number, bigint][] = [];
  for (let i = 0; i < n; i++) savedSessions.push([r.u32(), r.u64()]);
  const f = r.u8();
  const clear = {
    shEnable: (f & 1) !== 0,
    ehEnable: (f & 2) !== 0,
    phEnable: (f & 4) !== 0,
    platformAuth: r.tpm2b(),
    platformPolicy: { alg: r.u16(), digest: r.tpm2b() },
  };
  const banks = r.u32();
  const pcrs: [number, Uint8Array[]][] = [];
  for (let i = 0; i < banks; i++) {
    const alg = r.u16();
    const count = r.u32();
    pcrs.push([alg, Array.from({ length: count }, () => r.tpm2b())]);
  }
  return { nullProof, nullSeed, clearCount, restartCount, pcrCounter, contextCounter, savedSessions, clear, pcrs };
}
