// Every suite fwsec knows, and how a run selects checks from them.
import { UsageError } from './harness/profile.js';
import type { Profile } from './harness/profile.js';
import type { CheckDef, SuiteDef } from './harness/types.js';
import psaStorage from './psa-storage/index.js';
import rpmb from './rpmb/index.js';
import psaCrypto from './psa-crypto/index.js';
import smmVariable from './smm-variable/index.js';
import tpm2 from './tpm2/index.js';

export const SUITES: SuiteDef[] = [psaStorage, psaCrypto, smmVariable, tpm2, rpmb];

export function suiteNames(): string[] {
  return SUITES.map((s) => s.name);
}

export function findSuite(name: string): SuiteDef {
  const s = SUITES.find((x) => x.name === name);
  if (!s) throw new UsageError(`unknown suite "${name}" (known: ${suiteNames().join(', ')})`);
  return s;
}

export interface Selection {
  suites?: string[];
  grep?: string;
  ids?: string[];
}

function globRe(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('.*')}$`);
}

/**
 * Suites: those named, else every suite whose service the profile maps.
 * Then --id (exact or glob) and --grep (substring of id or title) narrow.
 */
export function selectChecks(sel: Selection, profile?: Profile): { suites: SuiteDef[]; checks: CheckDef[] } {
  let suites: SuiteDef[];
  if (sel.suites?.length) {
    suites = sel.suites.map(findSuite);
    if (profile) {
      for (const s of suites) {
        if (!profile.services[s.service]) {
          throw new UsageError(`suite ${s.name} needs service ${s.service}, which profile ${profile.name} does not map`);
        }
      }
    }
  } else {
    suites = profile ? SUITES.filter((s) => profile.services[s.service]) : SUITES;
  }
  let checks = suites.flatMap((s) => s.checks);
  if (sel.ids?.length) {
    const res = sel.ids.map(globRe);
    checks = checks.filter((c) => res.some((re) => re.test(c.id)));
  }
  if (sel.grep) {
    const g = sel.grep.toLowerCase();
    checks = checks.filter((c) => c.id.includes(g) || c.title.toLowerCase().includes(g));
  }
  return { suites, checks };
}
