/**
 * The one way kha-drill reads a file it is given (drills, suites, inventories, kubeconfigs,
 * keys, certificates, known_hosts, stored runs): it must be a regular file of bounded size,
 * checked on the opened descriptor before a byte is read. A FIFO cannot hang the CLI (it is
 * opened without blocking and refused), a symlink to /dev/zero cannot fill memory, and a file
 * that grows while it is read is refused at the bound.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { KhaError } from '../errors.js';

/** Drills, suites, inventories, kubeconfigs, keys, certificates, known_hosts. */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** A stored run's report.json, timeline.ndjson or suite.json (re-rendered, compared). */
export const MAX_STORED_RUN_BYTES = 256 * 1024 * 1024;

export type ReadFailureReason = 'missing' | 'directory' | 'special' | 'too-large' | 'unreadable';

export type BoundedRead =
  { ok: true; data: Buffer } | { ok: false; reason: ReadFailureReason; message: string; errno?: string };

export interface ReadOptions {
  /** refuse more than this many bytes (default MAX_INPUT_BYTES) */
  maxBytes?: number;
  /** what the file should be, for messages: "a YAML file", "a private key" */
  what?: string;
}

/** A refused input file (exit 2): `<file>: <message>`. */
export class InputFileError extends KhaError {
  readonly reason: ReadFailureReason;
  constructor(file: string, failure: Extract<BoundedRead, { ok: false }>) {
    super('E_INPUT_FILE', `${file}: ${failure.message}`);
    this.name = 'InputFileError';
    this.reason = failure.reason;
  }
}

const MIB = 1024 * 1024;

/** A file's size: `1.0 MiB`, `12 KiB`. */
export function formatSize(n: number): string {
  return n >= MIB ? `${(n / MIB).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** A bound: `1 MiB`, `256 MiB`. */
export function formatLimit(n: number): string {
  return n % MIB === 0 ? `${n / MIB} MiB` : formatSize(n);
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads `absPath` if it is a regular file of at most `maxBytes`; never blocks on a FIFO. */
export function readBoundedFile(absPath: string, options: ReadOptions = {}): BoundedRead {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  const what = options.what ?? 'a regular file';
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting forever
    fd = openSync(absPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    return fsFailure(err, what);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      return { ok: false, reason: 'directory', message: `is a directory (expected ${what})` };
    if (!st.isFile()) {
      const kind = kindOf(st);
      return {
        ok: false,
        reason: 'special',
        message: `is ${kind === 'not a regular file' ? kind : `${kind}, not a regular file`} (expected ${what})`,
      };
    }
    const limit = `expected at most ${formatLimit(maxBytes)}`;
    if (st.size > maxBytes)
      return { ok: false, reason: 'too-large', message: `file is ${formatSize(st.size)} (${limit})` };
    // read one byte past the bound: a file that grew since fstat is refused, not truncated
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size + 1, 64 * 1024)));
    let length = 0;
    let chunk = buf;
    for (;;) {
      if (length === chunk.length) {
        if (chunk.length > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, length);
        chunk = bigger;
      }
      const n = readSync(fd, chunk, length, chunk.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes)
      return {
        ok: false,
        reason: 'too-large',
        message: `file is larger than ${formatLimit(maxBytes)} (${limit})`,
      };
    return { ok: true, data: chunk.subarray(0, length) };
  } catch (err) {
    return fsFailure(err, what);
  } finally {
    closeSync(fd);
  }
}

/** As readBoundedFile, throwing InputFileError naming `display` (default: the path). */
export function readInputFile(absPath: string, options: ReadOptions & { display?: string } = {}): Buffer {
  const r = readBoundedFile(absPath, options);
  if (!r.ok) throw new InputFileError(options.display ?? absPath, r);
  return r.data;
}

/** As readInputFile, as UTF-8 text. */
export function readInputText(absPath: string, options: ReadOptions & { display?: string } = {}): string {
  return readInputFile(absPath, options).toString('utf8');
}

function fsFailure(err: unknown, what: string): Extract<BoundedRead, { ok: false }> {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const fail = (reason: ReadFailureReason, message: string) => ({
    ok: false as const,
    reason,
    message,
    ...(errno ? { errno } : {}),
  });
  switch (errno) {
    case 'ENOENT':
      return fail('missing', `no such file (expected ${what})`);
    case 'EACCES':
    case 'EPERM':
      return fail('unreadable', 'cannot be read: permission denied');
    case 'ENOTDIR':
      return fail('missing', 'no such file: a parent in the path is not a directory');
    case 'ELOOP':
      return fail('unreadable', 'cannot be read: too many symbolic links');
    case 'EISDIR':
      return fail('directory', `is a directory (expected ${what})`);
    case 'ENXIO':
      return fail(
        'special',
        `is a socket or device with nothing behind it, not a regular file (expected ${what})`,
      );
    default:
      return fail('unreadable', `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}
