// Configuration of the reference stack. A profile's `reference` section and
// `fwsec serve --config FILE` are deep-merged over these defaults. Each
// service owns one section; later services add theirs.
import { STORAGE_DEFINED_FLAGS } from '../protocol/psa/storage.js';
import { DEFAULT_MAX_BODY } from '../protocol/envelope.js';
import type { StoreLimits } from './storage/asset-store.js';

export interface ReferenceConfig {
  /** Largest request or response body the reference accepts or sends. */
  maxBody: number;
  /**
   * Limits of the normal-world ITS partition. backend "rpmb" (default): the
   * encrypted RPMB file store on the board's eMMC; "medium": plain records
   * on the medium (no RPMB, for comparison benchmarks).
   */
  its: StoreLimits & { supportedFlags: number; backend: 'rpmb' | 'medium' };
  /**
   * Limits of the normal-world PS partition; setExtended enables
   * psa_ps_create/psa_ps_set_extended. backend "ree" (default): encrypted,
   * MAC'd files in the REE file system with the anti-rollback root in ITS;
   * "medium": plain records on the medium.
   */
  ps: StoreLimits & { supportedFlags: number; setExtended: boolean; backend: 'ree' | 'medium' };
  /** The board's eMMC RPMB, the secure world's use of it, and the guests sharing it (docs/rpmb.md). */
  rpmb: RpmbConfig;
  /** Sections of other services (crypto, tpm2, rpmb, smmVariable), each validated by its owner. */
  [section: string]: unknown;
}

export interface RpmbConfig {
  /** Hardware unique key (16 bytes, hex) the RPMB key and the storage keys derive from. */
  huk: string;
  /** "huk": the RPMB key is derived from HUK and CID as OP-TEE does; "testkey": CFG_RPMB_TESTKEY. */
  keySource: 'huk' | 'testkey';
  /** The physical eMMC (dev_id 0). */
  device: { cid: string; sizeMult: number; relWrSecC: number; deviceConfig: boolean };
  /** Blocks of the physical device given to the secure world's own storage (ITS). */
  hostBlocks: number;
  /** Entry blocks of the ITS file store on RPMB: the most assets of all ITS partitions together (PS roots included). */
  itsDirEntries: number;
  /** Virtual machines sharing the device: each gets a virtual RPMB of sizeMult × 128 KiB (dev_id 0x100 + index). */
  guests: { guid: string; sizeMult: number }[];
  /** The reference-only test opcodes (fresh test devices, REE file access). */
  testHooks: boolean;
}

export function defaultRpmbConfig(): RpmbConfig {
  return {
    huk: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    keySource: 'huk',
    // MID 0x00, CBX 0x01, OID 0x00, PNM "FWSEC1", PRV 1.0, PSN 1, MDT 0x1a, CRC 0x01
    device: { cid: '00010046575345433110000000011a01', sizeMult: 128, relWrSecC: 8, deviceConfig: true },
    hostBlocks: 32768,
    itsDirEntries: 6144,
    guests: [
      { guid: '8f6a3c1e-2b4d-4e5f-9a0b-1c2d3e4f5a60', sizeMult: 2 },
      { guid: '0c7d9e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f', sizeMult: 1 },
      { guid: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6', sizeMult: 1 },
    ],
    testHooks: true,
  };
}

export function defaultReferenceConfig(): ReferenceConfig {
  return {
    maxBody: DEFAULT_MAX_BODY,
    its: { maxAssetSize: 4096, capacity: 65536, maxAssets: 1024, supportedFlags: STORAGE_DEFINED_FLAGS, backend: 'rpmb' },
    ps: {
      maxAssetSize: 16384,
      capacity: 262144,
      maxAssets: 1024,
      supportedFlags: STORAGE_DEFINED_FLAGS,
      setExtended: true,
      backend: 'ree',
    },
    rpmb: defaultRpmbConfig(),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Deep merge: objects merge key by key, everything else replaces. */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (!isPlainObject(over) || !isPlainObject(base)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = k in out ? mergeConfig(out[k], v) : v;
  }
  return out as T;
}

export function referenceConfig(over?: unknown): ReferenceConfig {
  const cfg = mergeConfig(defaultReferenceConfig(), over);
  for (const section of ['its', 'ps'] as const) {
    const s = cfg[section];
    for (const k of ['maxAssetSize', 'capacity', 'maxAssets'] as const) {
      if (!Number.isSafeInteger(s[k]) || s[k] < 0) {
        throw new Error(`reference config: ${section}.${k} must be a non-negative integer, got ${JSON.stringify(s[k])}`);
      }
    }
  }
  if (!['rpmb', 'medium'].includes(cfg.its.backend)) throw new Error(`reference config: its.backend must be "rpmb" or "medium", got ${JSON.stringify(cfg.its.backend)}`);
  if (!['ree', 'medium'].includes(cfg.ps.backend)) throw new Error(`reference config: ps.backend must be "ree" or "medium", got ${JSON.stringify(cfg.ps.backend)}`);
  checkRpmbConfig(cfg.rpmb);
  if (!Number.isSafeInteger(cfg.maxBody) || cfg.maxBody < 64) {
    throw new Error(`reference config: maxBody must be an integer >= 64, got ${JSON.stringify(cfg.maxBody)}`);
  }
  return cfg;
}

function checkRpmbConfig(r: RpmbConfig): void {
  const bad = (field: string, want: string, got: unknown) => {
    throw new Error(`reference config: rpmb.${field} must be ${want}, got ${JSON.stringify(got)}`);
  };
  if (typeof r.huk !== 'string' || !/^[0-9a-fA-F]{32}$/.test(r.huk)) bad('huk', '16 bytes as 32 hex digits', r.huk);
  if (r.keySource !== 'huk' && r.keySource !== 'testkey') bad('keySource', '"huk" or "testkey"', r.keySource);
  if (typeof r.device?.cid !== 'string' || !/^[0-9a-fA-F]{32}$/.test(r.device.cid)) bad('device.cid', '16 bytes as 32 hex digits', r.device?.cid);
  if (!Number.isInteger(r.device.sizeMult) || r.device.sizeMult < 1 || r.device.sizeMult > 128) bad('device.sizeMult', 'an integer 1..128', r.device.sizeMult);
  if (!Number.isInteger(r.device.relWrSecC) || r.device.relWrSecC < 2 || r.device.relWrSecC > 255) {
    bad('device.relWrSecC', 'an integer 2..255 (guest writes need 3-frame reliable writes)', r.device.relWrSecC);
  }
  if (!Number.isInteger(r.hostBlocks) || r.hostBlocks < 64) bad('hostBlocks', 'an integer >= 64', r.hostBlocks);
  if (!Number.isInteger(r.itsDirEntries) || r.itsDirEntries < 16 || r.itsDirEntries > r.hostBlocks - 64) bad('itsDirEntries', `an integer 16..hostBlocks - 64 (${r.hostBlocks - 64})`, r.itsDirEntries);
  if (!Array.isArray(r.guests) || r.guests.length > 5) bad('guests', 'a list of at most 5 guests', r.guests);
  for (const [i, g] of r.guests.entries()) {
    if (typeof g?.guid !== 'string' || !/^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(g.guid)) bad(`guests[${i}].guid`, 'a GUID', g?.guid);
    if (!Number.isInteger(g.sizeMult) || g.sizeMult < 1 || g.sizeMult > 128) bad(`guests[${i}].sizeMult`, 'an integer 1..128', g.sizeMult);
  }
  if (typeof r.testHooks !== 'boolean') bad('testHooks', 'a boolean', r.testHooks);
}
