// Interop with efitools `sign-efi-sig-list` (Debian package efitools): the
// authenticated-variable payloads a firmware engineer makes by hand. The
// checks run the host's own binary; where it is not installed they are
// UNSUPPORTED and say so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { showEfiTime, type EfiTime } from '../../protocol/smm-variable/index.js';
import { pem, privateKeyPem, type SigningKey } from './signing.js';

export const SIGN_EFI_SIG_LIST = 'sign-efi-sig-list';

export function efitoolsMissing(): string | undefined {
  const r = spawnSync(SIGN_EFI_SIG_LIST, ['--help'], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return `${SIGN_EFI_SIG_LIST} is not installed on this host (Debian package efitools)`;
  return undefined;
}

export interface EfitoolsSign {
  key: SigningKey;
  /** Variable name; PK/KEK/db/dbx get their standard GUID unless `guid` is given. */
  name: string;
  guid?: string;
  payload: Uint8Array;
  time: EfiTime;
  append?: boolean;
}

/** Runs `sign-efi-sig-list [-a] [-g GUID] -t TIME -c CRT -k KEY NAME ESL OUT`; the .auth bytes. */
export async function signEfiSigList(o: EfitoolsSign): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'fwsec-efitools-'));
  try {
    writeFileSync(join(dir, 'key.crt'), pem('CERTIFICATE', o.key.certDer));
    writeFileSync(join(dir, 'key.key'), await privateKeyPem(o.key), { mode: 0o600 });
    writeFileSync(join(dir, 'payload.esl'), o.payload);
    const args = [...(o.append ? ['-a'] : []), ...(o.guid ? ['-g', o.guid] : []), '-t', showEfiTime(o.time), '-c', join(dir, 'key.crt'), '-k', join(dir, 'key.key'), o.name, join(dir, 'payload.esl'), join(dir, 'out.auth')];
    const r = spawnSync(SIGN_EFI_SIG_LIST, args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, timeout: 30_000 });
    if (r.error || r.status !== 0) throw new Error(`${SIGN_EFI_SIG_LIST} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
    return new Uint8Array(readFileSync(join(dir, 'out.auth')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
