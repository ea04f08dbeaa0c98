// Configuration of the reference stack. A profile's `reference` section and
// `fwsec serve --config FILE` are deep-merged over these defaults. Each
// service owns one section; later services add theirs.
import { STORAGE_DEFINED_FLAGS } from '../protocol/psa/storage.js';
import { DEFAULT_MAX_BODY } from '../protocol/envelope.js';
import type { StoreLimits } from './storage/asset-store.js';

export interface ReferenceConfig {
  /** Largest request or response body the reference accepts or sends. */
  maxBody: number;
  /** Limits of the normal-world ITS partition. */
  its: StoreLimits & { supportedFlags: number };
  /** Limits of the normal-world PS partition; setExtended enables psa_ps_create/psa_ps_set_extended. */
  ps: StoreLimits & { supportedFlags: number; setExtended: boolean };
  /** Sections of other services (crypto, tpm2, rpmb, smmVariable), each validated by its owner. */
  [section: string]: unknown;
}

export function defaultReferenceConfig(): ReferenceConfig {
  return {
    maxBody: DEFAULT_MAX_BODY,
    its: { maxAssetSize: 4096, capacity: 65536, maxAssets: 1024, supportedFlags: STORAGE_DEFINED_FLAGS },
    ps: {
      maxAssetSize: 16384,
      capacity: 262144,
      maxAssets: 1024,
      supportedFlags: STORAGE_DEFINED_FLAGS,
      setExtended: true,
    },
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
  if (!Number.isSafeInteger(cfg.maxBody) || cfg.maxBody < 64) {
    throw new Error(`reference config: maxBody must be an integer >= 64, got ${JSON.stringify(cfg.maxBody)}`);
  }
  return cfg;
}
