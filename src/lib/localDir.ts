/**
 * The folders of local state (DATA_DIR, the SQLite file's folder, the private Redis' data):
 * made one level at a time, so that every failure names the folder, the cause and the fix.
 * `mkdirSync(…, { recursive: true })` is not used: under /proc it loops for ever on ENOENT.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** A local folder that cannot be used; the message says why and what to do. */
export class LocalDirError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalDirError';
  }
}

function explain(dir: string, what: string, at: string, err: NodeJS.ErrnoException): LocalDirError {
  const code = err.code ?? 'error';
  const fixes: Record<string, string> = {
    EACCES: `the user running paperboy may not write to ${at}: give it write permission (chown/chmod), or choose a folder it owns`,
    EPERM: `${at} does not allow new folders (a system or read-only location): choose a folder under your home or /var/lib`,
    EROFS: `${at} is on a read-only file system: choose a writable folder`,
    EEXIST: `${at} exists and is a file, not a folder: move the file away or choose another folder`,
    ENOTDIR: `${at} is a file, not a folder: move the file away or choose another folder`,
    ENOENT: `${at} cannot hold folders (a virtual file system such as /proc or /sys): choose a folder on a disk`,
    ENOSPC: `the disk of ${at} is full: free space or choose another disk`,
  };
  const fix = fixes[code] ?? `${at}: ${err.message}`;
  return new LocalDirError(`cannot use ${dir} as ${what} (${code}): ${fix}.`, { cause: err });
}

/** Makes `dir` (and its missing parents) and checks that it is a writable folder. */
export function ensureLocalDir(dir: string, what: string): void {
  const missing: string[] = [];
  let existing = path.resolve(dir);
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch (err) {
      // ENOTDIR: a parent is a file; walk up to it and report it below
      if (!['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw explain(dir, what, existing, err as NodeJS.ErrnoException);
      const parent = path.dirname(existing);
      if (parent === existing) break;
      missing.unshift(existing);
      existing = parent;
    }
  }
  if (!statSync(existing).isDirectory())
    throw explain(dir, what, existing, Object.assign(new Error('not a directory'), { code: missing.length > 0 ? 'ENOTDIR' : 'EEXIST' }));
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw explain(dir, what, path.dirname(folder), err as NodeJS.ErrnoException);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw explain(dir, what, dir, err as NodeJS.ErrnoException);
  }
}
