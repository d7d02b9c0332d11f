/**
 * The restore journal. Before an inject runs, its undo is appended (and fsync'ed) to
 * `<run dir>/journal.ndjson` and indexed in `<state dir>/journal/<cluster>.json`, so that a run
 * killed with SIGKILL leaves behind exactly what `kha-drill recover` must replay, and the next
 * `run` refuses to start until it has.
 *
 * State dir: KHA_STATE_DIR, else ~/.kha-drill. The index holds the undo records themselves
 * (not only a pointer), so recover works even if the run's report folder was removed.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { createExclusiveFile, readLockFile, removeIfStale } from '../fs/exclusive-file.js';
import { MAX_STORED_RUN_BYTES, readInputText } from '../fs/read-file.js';
import { KhaError } from '../errors.js';
import { redactDeep } from '../text/redact.js';
import { systemWallTime } from './clock.js';
import type { UndoSpec } from './types.js';

/** `discarded`: given up by hand (`recover --discard`): nothing was run, nothing is pending */
export type UndoStatus = 'pending' | 'done' | 'failed' | 'discarded';

export interface JournalEntry extends UndoSpec {
  status: UndoStatus;
  /** ISO time of the last change */
  at: string;
  error?: string;
}

export interface JournalIndex {
  version: 1;
  cluster: string;
  runId: string;
  drill: string;
  /** the run's report folder and its journal.ndjson */
  runDir: string;
  journalFile: string;
  pid: number;
  host: string;
  startedAt: string;
  entries: JournalEntry[];
}

export function stateDir(env: Record<string, string | undefined>): string {
  return env.KHA_STATE_DIR || join(env.HOME || homedir(), '.kha-drill');
}

export function indexPath(env: Record<string, string | undefined>, cluster: string): string {
  return join(stateDir(env), 'journal', `${cluster}.json`);
}

function writeFileDurably(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  // the rename itself must reach the disk too
  try {
    const dfd = openSync(dirname(file), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

export function lockPath(env: Record<string, string | undefined>, cluster: string): string {
  return join(stateDir(env), 'journal', `${cluster}.lock`);
}

/**
 * One run per cluster at a time (on this machine): a lock file holding the pid, created with its
 * content in one step (`createExclusiveFile`: a reader never finds it empty). A lock whose
 * process is gone is stale and taken over under a guard. Returns the release function, or
 * throws naming the run that holds it.
 */
export function acquireRunLock(
  env: Record<string, string | undefined>,
  cluster: string,
  runId: string,
  wallTime: () => string = systemWallTime,
): () => void {
  const file = lockPath(env, cluster);
  mkdirSync(dirname(file), { recursive: true });
  const content = JSON.stringify({ pid: process.pid, runId, host: hostname(), at: wallTime() }) + '\n';
  const ours = () => rmSync(file, { force: true });
  // a takeover by another process lasts microseconds; 200 tries × 10 ms is plenty
  for (let attempt = 0; attempt < 200; attempt++) {
    if (createExclusiveFile(file, content)) return ours;
    const text = readLockFile(file);
    if (text === null) continue;
    const holder = lockHolder(text);
    if (holder.live) {
      throw new KhaError(
        'E_RUN_LOCKED',
        `another run (${holder.runId ?? '?'}, pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}) is acting on cluster ${cluster}`,
        { hint: `wait for it to finish; if it is gone, remove ${file}` },
      );
    }
    if (removeIfStale(file, (now) => !lockHolder(now).live) === 'busy') sleepSync(10);
  }
  throw new KhaError('E_RUN_LOCKED', `cannot take the run lock ${file}`);
}

/** Who holds a run lock, and whether it is live (its process runs here, or another host's). */
function lockHolder(text: string): { pid?: number; runId?: string; host?: string; live: boolean } {
  let holder: { pid?: number; runId?: string; host?: string } = {};
  try {
    holder = JSON.parse(text) as typeof holder;
  } catch {
    // unreadable (never half-written since locks are linked in whole): stale
  }
  const here = holder.host === hostname();
  const live =
    (holder.pid !== undefined && here && processAlive(holder.pid)) || (holder.host !== undefined && !here);
  return { ...holder, live };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The pending journal of a cluster, or null when there is none (or nothing is pending). */
export function readPendingJournal(
  env: Record<string, string | undefined>,
  cluster: string,
): JournalIndex | null {
  const file = indexPath(env, cluster);
  if (!existsSync(file)) return null;
  let index: JournalIndex;
  try {
    index = JSON.parse(readInputText(file, { maxBytes: MAX_STORED_RUN_BYTES })) as JournalIndex;
  } catch (err) {
    throw new KhaError('E_JOURNAL', `cannot read the restore journal ${file}: ${(err as Error).message}`, {
      hint: 'inspect it by hand; remove it only once the cluster is known to be restored',
    });
  }
  return index.entries.some(isPending) ? index : null;
}

function isPending(e: JournalEntry): boolean {
  return e.status === 'pending' || e.status === 'failed';
}

export function pendingEntries(index: JournalIndex): JournalEntry[] {
  return index.entries.filter(isPending);
}

/** Is a process with this pid alive on this machine? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Journal {
  private fd: number | null = null;

  private constructor(
    private readonly file: string,
    readonly index: JournalIndex,
    private readonly wallTime: () => string,
  ) {}

  /** Starts the journal of a run (nothing is written until the first undo). */
  static create(
    env: Record<string, string | undefined>,
    info: { cluster: string; runId: string; drill: string; runDir: string },
    wallTime: () => string = systemWallTime,
  ): Journal {
    return new Journal(
      indexPath(env, info.cluster),
      {
        version: 1,
        ...info,
        journalFile: join(info.runDir, 'journal.ndjson'),
        pid: process.pid,
        host: hostname(),
        startedAt: wallTime(),
        entries: [],
      },
      wallTime,
    );
  }

  /** Continues a pending journal (recover). */
  static resume(
    env: Record<string, string | undefined>,
    index: JournalIndex,
    wallTime: () => string = systemWallTime,
  ): Journal {
    return new Journal(indexPath(env, index.cluster), index, wallTime);
  }

  get indexFile(): string {
    return this.file;
  }

  private appendLine(record: object): void {
    if (this.fd === null) {
      mkdirSync(dirname(this.index.journalFile), { recursive: true });
      this.fd = openSync(this.index.journalFile, 'a', 0o600);
    }
    writeSync(this.fd, JSON.stringify(redactDeep({ at: this.wallTime(), ...record })) + '\n');
    fsyncSync(this.fd);
  }

  private saveIndex(): void {
    // what this run holds in memory stays exact (its own restore replays it); disk gets redacted
    writeFileDurably(this.file, JSON.stringify(redactDeep(this.index), null, 2) + '\n');
  }

  /** Records an undo as pending: call before the inject it reverses. */
  add(undo: UndoSpec): void {
    const entry: JournalEntry = { ...undo, status: 'pending', at: this.wallTime() };
    this.index.entries.push(entry);
    this.appendLine({ type: 'undo', runId: this.index.runId, ...undo });
    this.saveIndex();
  }

  mark(id: string, status: Exclude<UndoStatus, 'pending'>, error?: string): void {
    const e = this.index.entries.find((x) => x.id === id);
    if (!e) return;
    e.status = status;
    e.at = this.wallTime();
    if (error) e.error = error;
    else delete e.error;
    try {
      this.appendLine({ type: status, id, ...(error ? { error } : {}) });
    } catch {
      // the run folder may be gone (recover after a cleanup): the index is what counts
    }
    this.saveIndex();
  }

  pending(): JournalEntry[] {
    return pendingEntries(this.index);
  }

  /** Removes the index once nothing is pending; keeps it (for recover) otherwise. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.index.entries.length > 0 && this.pending().length === 0) rmSync(this.file, { force: true });
  }
}
