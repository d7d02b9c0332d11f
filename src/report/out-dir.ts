/**
 * `--out` is checked before anything is read from the cluster or injected: a file where the
 * folder should be, a read-only file system or a folder without write permission is exit 2 in
 * one line, not an EEXIST/EROFS stack trace after the drill ran. Nothing is created here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { UsageError } from '../errors.js';

export interface OutDirFs {
  statSync(path: string): { isDirectory(): boolean };
  accessSync(path: string, mode: number): void;
}

/** Why run folders cannot be made under `absDir`, or null when they can. */
export function outDirProblem(absDir: string, fs: OutDirFs = { statSync, accessSync }): string | null {
  for (let p = absDir; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = fs.statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) continue;
      return `cannot be used: ${code ?? String(err)}`;
    }
    const which = p === absDir ? '' : `${relative(absDir, p) === '..' ? 'its parent' : p} `;
    if (!isDir) return `${which}is a file, not a folder`;
    try {
      fs.accessSync(p, constants.W_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return `${which}is on a read-only file system`;
      if (code === 'EACCES' || code === 'EPERM') return `${which}is not writable (permission denied)`;
      return `${which}cannot be written: ${code ?? String(err)}`;
    }
    return null;
  }
}

/** Throws exit 2 when run folders cannot be made under `absDir` (shown as `display`). */
export function checkOutDir(absDir: string, display: string, flag = '--out'): void {
  const problem = outDirProblem(absDir);
  if (problem)
    throw new UsageError(`${flag} ${display}: ${problem}`, {
      hint: `give ${flag} a folder you can write to; nothing was run`,
    });
}
