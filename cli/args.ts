// Strict option parsing: an unknown flag or a missing value is a usage error
// (exit 2) whose message names the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../suites/harness/profile.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>({
      args: argv,
      options,
      allowPositionals,
      strict: true,
    });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(msg);
  }
}

export function intOption(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} expects an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}
