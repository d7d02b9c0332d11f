/**
 * A lock file that is never seen half-written. The content goes into a private temporary file
 * first; `link()` then gives it the lock's name only if that name is free (EEXIST otherwise). A
 * reader therefore finds either no lock or a complete one, never the empty file an
 * `open(O_EXCL)`-then-write leaves for a moment (which a reader would take for stale).
 *
 * Taking over a stale lock happens under a `mkdir` guard, and the lock is read again under it:
 * two processes that both saw the same stale lock cannot both remove it and then each remove
 * the other's fresh one. Node built-ins only, so child processes can load it on their own.
 */
import {
  linkSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';

/** A guard older than this was left by a process killed mid-takeover (which takes microseconds). */
const GUARD_STALE_MS = 10_000;

/** Creates `file` holding `content` if no such file exists; false when it exists. */
export function createExclusiveFile(file: string, content: string, mode = 0o600): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock's text, or null when there is none. */
export function readLockFile(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Removes `file` if, read again under the guard, `isStale` says so (or it is already gone).
 * Returns 'removed', 'live' (it holds a live lock now) or 'busy' (another process is taking it
 * over: try again shortly).
 */
export function removeIfStale(file: string, isStale: (text: string) => boolean): 'removed' | 'live' | 'busy' {
  const guard = `${file}.takeover`;
  try {
    mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmdirSync(guard);
    } catch {
      // gone meanwhile
    }
    return 'busy';
  }
  try {
    const text = readLockFile(file);
    if (text === null) return 'removed';
    if (!isStale(text)) return 'live';
    unlinkSync(file);
    return 'removed';
  } finally {
    rmdirSync(guard);
  }
}
