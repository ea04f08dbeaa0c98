// The reference stack's non-volatile medium: what survives a reboot. Keys are
// slash-separated paths ("its/ns/00000000000000ab"). In memory by default; on
// disk under --state DIR, where every write is atomic and durable: the value
// goes to a temporary file, is fsync'ed, renamed over the old one, and the
// directory is fsync'ed. A power cut (kill -9) at any point leaves either the
// old or the new value, never a mix.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Medium {
  read(key: string): Uint8Array | undefined;
  /** Atomic: after a crash the key holds the old or the new value. */
  write(key: string, value: Uint8Array): void;
  delete(key: string): void;
  /** Keys directly under `prefix/` (names only, sorted). */
  list(prefix: string): string[];
  readonly description: string;
}

function checkKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) {
    throw new Error(`invalid medium key ${JSON.stringify(key)}`);
  }
}

export class MemoryMedium implements Medium {
  private readonly map = new Map<string, Uint8Array>();
  readonly description = 'memory';

  read(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    return v ? v.slice() : undefined;
  }
  write(key: string, value: Uint8Array): void {
    checkKey(key);
    this.map.set(key, value.slice());
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  list(prefix: string): string[] {
    const p = prefix ? `${prefix}/` : '';
    const out = new Set<string>();
    for (const k of this.map.keys()) {
      if (k.startsWith(p)) out.add(k.slice(p.length).split('/')[0]!);
    }
    return [...out].sort();
  }
}

const TMP_PREFIX = '.tmp-';

export class FileMedium implements Medium {
  readonly description: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.description = `files under ${dir}`;
    this.sweep(dir);
  }

  /** Removes temporary files a crash left behind (they were never renamed into place). */
  private sweep(dir: string): void {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) this.sweep(p);
      else if (ent.name.startsWith(TMP_PREFIX)) rmSync(p, { force: true });
    }
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.dir, ...key.split('/'));
  }

  read(key: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.path(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(key: string, value: Uint8Array): void {
    const target = this.path(key);
    const dir = dirname(target);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < value.length) off += writeSync(fd, value, off, value.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    syncDir(dir);
  }

  delete(key: string): void {
    const target = this.path(key);
    try {
      rmSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    syncDir(dirname(target));
  }

  list(prefix: string): string[] {
    const dir = prefix ? this.path(prefix) : this.dir;
    try {
      if (!statSync(dir).isDirectory()) return [];
      return readdirSync(dir)
        .filter((n) => !n.startsWith(TMP_PREFIX))
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
