/**
 * `--lock`: one game-day per cluster at a time. A lock file on the first reachable master,
 * created atomically with its content (a temporary file linked to the lock's name), holding the owner, a token,
 * creation and expiry times. Expiry is judged by the master's own clock (the one clock every
 * runner shares), refreshed while the run goes on, and removed at the end only by its owner.
 * A lock whose expiry has passed is stale (its run was killed): it is taken over, under a
 * `mkdir` mutex so that two runners cannot both take over the same stale lock.
 *
 * Everything goes through shell commands on the master, so it works over plain SSH with
 * `sudo -n` and needs nothing installed there but sh, date, cat, ln, mv, rm and mkdir.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Master } from '../config/schema.js';
import { KhaError } from '../errors.js';
import { shellQuote } from '../ssh/quote.js';
import { MAX_TIMER_MS, timerDelay } from '../time/timer.js';

/** Inventory-independent, writable by any user on any Linux master. */
export const DEFAULT_LOCK_FILE = '/tmp/kha-drill.lock';
export const DEFAULT_LOCK_TTL_S = 600;

/** What the lock needs of the engine's Remote (structurally the same). */
export interface LockRemote {
  connect(master: Master): Promise<void>;
  exec(
    master: Master,
    command: string,
    options?: { timeoutS?: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export interface LockInfo {
  /** user@host of the runner */
  owner: string;
  pid: number;
  runId: string;
  token: string;
  created: string;
  expires: string;
  /** seconds since the epoch on the master's clock */
  expiresEpoch: number;
}

export interface LockOwner {
  owner: string;
  pid: number;
  runId: string;
}

export interface LockOptions {
  file?: string;
  ttlS?: number;
  /** messages worth showing (took over a stale lock, refresh trouble) */
  warn?: (message: string) => void;
  /** per command, seconds */
  timeoutS?: number;
}

/** user@host and pid of this process; characters outside [A-Za-z0-9@._:-] become `_`. */
export function currentOwner(runId: string): LockOwner {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers with arbitrary uids)
  }
  return { owner: `${user}@${os.hostname()}`, pid: process.pid, runId };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9@._:-]/g, '_').slice(0, 200);

/** Shell that sets $content to the lock's JSON (one line) expiring `ttl` seconds from now. */
function contentScript(o: LockOwner, token: string, ttlS: number, created?: string): string {
  const fmt =
    '{"owner":"%s","pid":%s,"runId":"%s","token":"%s","created":"%s","expires":"%s","expiresEpoch":%s}';
  const iso = (v: string) =>
    `$(date -u -d "@${v}" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "${v}" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)`;
  return [
    `now=$(date +%s)`,
    `exp=$((now + ${Math.max(1, Math.round(ttlS))}))`,
    `created=${created ? shellQuote(safe(created)) : '"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'}`,
    `content=$(printf ${shellQuote(fmt)} ${shellQuote(safe(o.owner))} ${Math.trunc(o.pid)} ${shellQuote(safe(o.runId))} ${shellQuote(token)} "$created" "${iso('$exp')}" "$exp")`,
  ].join('\n');
}

/**
 * Creates the file only when it does not exist, with its content in one step: the content goes
 * into a temporary file of this shell (`$$`), and `ln` (link(2), never overwriting) gives it the
 * lock's name. A reader never finds the lock empty, as it could between `set -C`'s O_EXCL open
 * and its write. Prints ACQUIRED or HELD, the remote time and the content.
 */
function createScript(file: string): string {
  const f = shellQuote(file);
  const tmp = `${f}.$$.tmp`;
  return [
    `mkdir -p "$(dirname ${f})" 2>/dev/null`,
    `printf '%s\\n' "$content" > ${tmp} || exit 1`,
    `if ln ${tmp} ${f} 2>/dev/null; then rm -f ${tmp}; echo "ACQUIRED $now"; printf '%s\\n' "$content"; else rm -f ${tmp}; echo "HELD $now"; cat ${f} 2>/dev/null; fi`,
  ].join('\n');
}

export function acquireScript(file: string, o: LockOwner, token: string, ttlS: number): string {
  return `${contentScript(o, token, ttlS)}\n${createScript(file)}`;
}

/** Replaces the stale lock only if it is still exactly `stale`, then creates ours. */
export function takeoverScript(
  file: string,
  stale: string,
  o: LockOwner,
  token: string,
  ttlS: number,
): string {
  const f = shellQuote(file);
  const guard = shellQuote(`${file}.takeover`);
  return [
    contentScript(o, token, ttlS),
    // a guard left by a runner killed mid-takeover is old: clear it
    `find ${guard} -maxdepth 0 -mmin +1 -exec rmdir {} \\; 2>/dev/null`,
    `if ! mkdir ${guard} 2>/dev/null; then echo "BUSY $now"; cat ${f} 2>/dev/null; exit 0; fi`,
    `if [ "$(cat ${f} 2>/dev/null)" = ${shellQuote(stale)} ]; then rm -f ${f}; fi`,
    createScript(file),
    `rmdir ${guard}`,
  ].join('\n');
}

const ownsIt = (file: string, token: string) =>
  `case "$(cat ${shellQuote(file)} 2>/dev/null)" in *${shellQuote(`"token":"${token}"`)}*) true;; *) false;; esac`;

export function refreshScript(
  file: string,
  o: LockOwner,
  token: string,
  ttlS: number,
  created: string,
): string {
  const f = shellQuote(file);
  const tmp = shellQuote(`${file}.${token}.tmp`);
  return [
    contentScript(o, token, ttlS, created),
    `if ! ${ownsIt(file, token)}; then echo "LOST $now"; cat ${f} 2>/dev/null; exit 0; fi`,
    `printf '%s\\n' "$content" > ${tmp} && mv -f ${tmp} ${f} && { echo "REFRESHED $now"; printf '%s\\n' "$content"; }`,
  ].join('\n');
}

export function releaseScript(file: string, token: string): string {
  const f = shellQuote(file);
  return `if ${ownsIt(file, token)}; then rm -f ${f} && echo RELEASED; else echo NOTOURS; cat ${f} 2>/dev/null; fi`;
}

/** Parses the lock file's JSON line; null when it is not one of ours (empty, cut short, foreign). */
export function parseLockInfo(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text.trim()) as Partial<LockInfo>;
    if (
      typeof v.owner === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.runId === 'string' &&
      typeof v.token === 'string' &&
      typeof v.created === 'string' &&
      typeof v.expiresEpoch === 'number'
    )
      return { ...v, expires: typeof v.expires === 'string' ? v.expires : '' } as LockInfo;
  } catch {
    // not JSON
  }
  return null;
}

interface Reply {
  status: string;
  remoteNow: number;
  body: string;
}

function parseReply(stdout: string): Reply {
  const [first = '', ...rest] = stdout.split('\n');
  const [status = '', now = ''] = first.trim().split(/\s+/);
  return { status, remoteNow: Number(now), body: rest.join('\n').trim() };
}

export function describeHolder(info: LockInfo | null, raw: string): string {
  if (!info) return `an unreadable lock (${raw.slice(0, 120) || 'empty'})`;
  return `${info.owner} (pid ${info.pid}, run ${info.runId}) since ${info.created}, expires ${info.expires || `@${info.expiresEpoch}`}`;
}

/** The run could not get the lock: another run holds it (exit 3: nothing was injected). */
export class LockHeldError extends KhaError {
  constructor(
    message: string,
    readonly holder: LockInfo | null,
    hint: string,
  ) {
    super('E_LOCKED', message, { hint });
    this.name = 'LockHeldError';
  }
}

/** A lock this process holds. */
export class HeldLock {
  private timer: NodeJS.Timeout | null = null;
  private released = false;
  lost: LockInfo | null = null;

  constructor(
    private readonly remote: LockRemote,
    readonly master: Master,
    readonly file: string,
    readonly owner: LockOwner,
    private readonly token: string,
    public info: LockInfo,
    private readonly ttlS: number,
    private readonly warn: (m: string) => void,
    private readonly timeoutS: number,
  ) {}

  /** Moves the expiry ttl seconds ahead; warns when the lock was lost to someone else. */
  async refresh(): Promise<boolean> {
    if (this.released) return false;
    const r = await this.remote.exec(
      this.master,
      refreshScript(this.file, this.owner, this.token, this.ttlS, this.info.created),
      { timeoutS: this.timeoutS },
    );
    const reply = parseReply(r.stdout);
    if (reply.status === 'REFRESHED') {
      this.info = parseLockInfo(reply.body) ?? this.info;
      return true;
    }
    if (reply.status === 'LOST') {
      this.lost = parseLockInfo(reply.body);
      this.warn(
        `the lock ${this.master.name}:${this.file} is no longer ours: now held by ${describeHolder(this.lost, reply.body)}`,
      );
      return false;
    }
    throw new Error(`lock refresh on ${this.master.name} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** Refreshes every third of the lifetime until released. */
  startRefreshing(everyMs = Math.max(1000, (this.ttlS * 1000) / 3)): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        this.refresh().catch((err: unknown) =>
          this.warn(`could not refresh the lock: ${err instanceof Error ? err.message : String(err)}`),
        );
      },
      Math.min(timerDelay(everyMs), MAX_TIMER_MS),
    );
    this.timer.unref();
  }

  /** Removes the lock if it is still ours; never throws (it warns). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.released) return;
    this.released = true;
    try {
      const r = await this.remote.exec(this.master, releaseScript(this.file, this.token), {
        timeoutS: this.timeoutS,
      });
      const reply = parseReply(r.stdout);
      if (reply.status === 'NOTOURS' && reply.body)
        this.warn(`left the lock ${this.master.name}:${this.file} alone: it is not ours any more`);
      else if (reply.status !== 'RELEASED' && reply.status !== 'NOTOURS')
        this.warn(
          `could not remove the lock ${this.master.name}:${this.file}: ${r.stderr.trim() || `exit ${r.code}`}`,
        );
    } catch (err) {
      this.warn(
        `could not remove the lock ${this.master.name}:${this.file} (${err instanceof Error ? err.message : String(err)}); it expires at ${this.info.expires}`,
      );
    }
  }
}

/**
 * Takes the lock on the first reachable master (inventory order). Throws LockHeldError when a
 * live lock exists, KhaError (exit 3) when no master is reachable.
 */
export async function acquireLock(
  remote: LockRemote,
  masters: readonly Master[],
  owner: LockOwner,
  options: LockOptions = {},
): Promise<HeldLock> {
  const file = options.file ?? DEFAULT_LOCK_FILE;
  const ttlS = options.ttlS ?? DEFAULT_LOCK_TTL_S;
  const warn = options.warn ?? (() => {});
  const timeoutS = options.timeoutS ?? 20;
  const failures: string[] = [];
  let master: Master | undefined;
  for (const m of masters) {
    try {
      await remote.connect(m);
      master = m;
      break;
    } catch (err) {
      failures.push(`${m.name} (${m.host}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!master) {
    throw new KhaError(
      'E_LOCK_UNREACHABLE',
      `--lock: no master reachable over SSH:\n  ${failures.join('\n  ')}`,
    );
  }
  const token = randomBytes(12).toString('hex');
  const exec = async (script: string): Promise<Reply> => {
    const r = await remote.exec(master, script, { timeoutS });
    const reply = parseReply(r.stdout);
    if (!['ACQUIRED', 'HELD', 'BUSY'].includes(reply.status)) {
      throw new KhaError(
        'E_LOCK',
        `--lock: could not create ${file} on ${master.name}: ${r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`}`,
        { hint: 'choose a writable path with --lock-file' },
      );
    }
    return reply;
  };
  const held = (reply: Reply) => {
    const info = parseLockInfo(reply.body)!;
    return new HeldLock(remote, master, file, owner, token, info, ttlS, warn, timeoutS);
  };

  let reply = await exec(acquireScript(file, owner, token, ttlS));
  if (reply.status === 'ACQUIRED') return held(reply);
  const holder = parseLockInfo(reply.body);
  if (holder && Number.isFinite(reply.remoteNow) && holder.expiresEpoch < reply.remoteNow) {
    reply = await exec(takeoverScript(file, reply.body, owner, token, ttlS));
    if (reply.status === 'ACQUIRED') {
      warn(
        `took over a stale lock on ${master.name}:${file}: ${describeHolder(holder, '')} (expired; its run is gone)`,
      );
      return held(reply);
    }
  }
  const now = parseLockInfo(reply.body) ?? holder;
  throw new LockHeldError(
    `cluster is locked: ${master.name}:${file} is held by ${describeHolder(now, reply.body)}`,
    now,
    now
      ? `another game-day is running against this cluster; try again after it ends (a lock whose run died is taken over once it expires at ${now.expires || now.expiresEpoch})`
      : `if no kha-drill run is active, remove it: ssh ${master.host} rm -f ${shellQuote(file)}`,
  );
}
