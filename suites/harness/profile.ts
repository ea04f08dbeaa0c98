// Target profiles: JSON files validated against profiles/profile.schema.json.
// A malformed profile is rejected with a message that names the field.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ServiceKey } from './types.js';

export const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ResetSpec =
  | { method: 'control' | 'relaunch' }
  | { method: 'command'; command: string; settleMs?: number; readyTimeoutMs?: number };

export interface Profile {
  name: string;
  description?: string;
  kind?: 'reference' | 'emulator' | 'hardware';
  /** service -> transport URI (may hold ${var} placeholders filled by the launcher). */
  services: Partial<Record<ServiceKey, string>>;
  capabilities: Record<string, boolean | number | string>;
  allowDestructive: boolean;
  launch?: { kind: string; args?: string[]; options?: Record<string, unknown> };
  reset?: ResetSpec;
  timeouts: { callMs: number; checkMs: number; propertyMs: number };
  /** Absolute path of the expectations file, if any. */
  expectations?: string;
  reference?: Record<string, unknown>;
  setup: string[];
  teardown: string[];
  /** Where it came from: `built-in:NAME` or a file path. */
  source: string;
  /** Set when --target replaced the transports. */
  targetOverride?: string;
}

export const DEFAULT_TIMEOUTS = { callMs: 10_000, checkMs: 60_000, propertyMs: 600_000 };

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

export function schemaValidator(file: string): ValidateFunction {
  let v = validators.get(file);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(resolve(PROFILES_DIR, file), 'utf8')));
    validators.set(file, v);
  }
  return v;
}

/** One line per problem, each naming the field: `/services/its: must be string`. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined): string {
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    const at = e.instancePath || '(top level)';
    if (e.keyword === 'additionalProperties') {
      lines.add(`${at === '(top level)' ? '' : at}/${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`);
    } else if (e.keyword === 'required') {
      lines.add(`${at === '(top level)' ? '' : at}/${(e.params as { missingProperty: string }).missingProperty}: required field missing`);
    } else if (e.keyword === 'enum') {
      lines.add(`${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`);
    } else if (e.keyword === 'propertyNames') {
      lines.add(`${at}: field name ${JSON.stringify((e.params as { propertyName: string }).propertyName)} is not allowed`);
    } else if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') {
      continue; // the branch errors say more
    } else {
      lines.add(`${at}: ${e.message}`);
    }
  }
  return [...lines].join('\n  ');
}

export function builtinProfileNames(): string[] {
  return ['reference', 'reference-tcp', 'swtpm', ...extraBuiltins];
}
const extraBuiltins: string[] = [];
/** Lets a later module add a built-in profile file under profiles/ (e.g. swtpm). */
export function registerBuiltinProfile(name: string): void {
  if (!extraBuiltins.includes(name)) extraBuiltins.push(name);
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Loads a profile by built-in name or file path and validates it. */
export function loadProfile(nameOrPath: string): Profile {
  const isBuiltin = builtinProfileNames().includes(nameOrPath);
  const path = isBuiltin ? resolve(PROFILES_DIR, `${nameOrPath}.json`) : resolve(nameOrPath);
  if (!isBuiltin && !existsSync(path)) {
    throw new UsageError(
      `no profile ${JSON.stringify(nameOrPath)}: not a built-in profile (${builtinProfileNames().join(', ')}) and no such file`,
    );
  }
  const raw = readJson(path, 'profile');
  return parseProfile(raw, isBuiltin ? `built-in:${nameOrPath}` : path, dirname(path));
}

export function parseProfile(raw: unknown, source: string, baseDir: string): Profile {
  const validate = schemaValidator('profile.schema.json');
  if (!validate(raw)) {
    throw new UsageError(`invalid profile ${source}:\n  ${describeAjvErrors(validate.errors)}`);
  }
  const p = raw as Record<string, any>;
  const services: Partial<Record<ServiceKey, string>> = {};
  for (const [k, v] of Object.entries(p.services as Record<string, string | { uri: string }>)) {
    services[k as ServiceKey] = typeof v === 'string' ? v : v.uri;
  }
  return {
    name: p.name,
    description: p.description,
    kind: p.kind,
    services,
    capabilities: { ...(p.capabilities ?? {}) },
    allowDestructive: p.allowDestructive ?? false,
    launch: p.launch,
    reset: p.reset,
    timeouts: { ...DEFAULT_TIMEOUTS, ...(p.timeouts ?? {}) },
    expectations: p.expectations
      ? isAbsolute(p.expectations)
        ? p.expectations
        : resolve(baseDir, p.expectations)
      : undefined,
    reference: p.reference,
    setup: p.setup ?? [],
    teardown: p.teardown ?? [],
    source,
  };
}

/** --target URI: every service of the profile goes to that one transport. */
export function overrideTarget(p: Profile, uri: string): Profile {
  const services: Partial<Record<ServiceKey, string>> = {};
  for (const k of Object.keys(p.services) as ServiceKey[]) services[k] = uri;
  // the profile's launcher and its reset by relaunch belong to the replaced target
  const reset = p.reset?.method === 'relaunch' ? undefined : p.reset;
  return { ...p, services, launch: undefined, reset, targetOverride: uri };
}

/**
 * A target the run owns entirely: every service is in-process, or started
 * by the run itself. Destructive checks need no command-line permission there.
 */
export function runOwnsTarget(p: Profile): boolean {
  const uris = Object.values(p.services);
  return uris.every((u) => u.startsWith('inproc:')) || (p.launch !== undefined && !p.targetOverride);
}
