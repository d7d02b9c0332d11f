/**
 * Ground truth from the real components' own logs, as each lab master's journal keeps them
 * (`journalctl -u <unit> -o json`, parsed by the lab's `lab/src/truth.ts`): etcd's zap lines
 * "raft.node: <id> elected leader <id> at term N" (ms), client-go's klog lines of the scheduler
 * taking and renewing its Lease (µs; renewals only at `--vmodule=leaderelection=5`), and systemd's
 * records of the unit stopping or being killed. Pure: journal entries in, facts out.
 *
 * A klog line names no holder identity, so the master whose journal holds it stands for the
 * holder: a takeover is another master's "acquired" line, as a takeover is a move to another
 * master.
 */
import {
  elections,
  leaseLines,
  unitLines,
  type JournalEntry,
  type LeaseLine,
  type UnitLine,
} from '../lab/src/truth.js';

export interface Elected {
  /** wall clock, epoch ms (zap logs milliseconds) */
  tsMs: number;
  /** the member that logged it */
  member: string;
  leader: string;
  term: bigint;
  /** the lab master whose journal it came from, when known */
  master?: string;
}

/** Every "elected leader" line of one member's etcd journal. */
export function electionsOf(entries: readonly JournalEntry[], master?: string): Elected[] {
  return elections([...entries]).map((e) => ({
    tsMs: e.tsMs,
    member: e.member,
    leader: e.leader,
    term: BigInt(e.term),
    ...(master === undefined ? {} : { master }),
  }));
}

export interface RaftTruth {
  /** wall clock of the first "elected leader" line at a higher term, epoch ms */
  electedMs: number;
  termBefore: bigint;
  term: bigint;
  leader: string;
  /** the member whose line it was */
  member: string;
}

/**
 * The re-election the drill caused: the first "elected leader" line, across members, at a term
 * higher than the term in force when the fault started (the highest term elected at or before
 * `faultMs`). `termBefore` may be given (e.g. from the harness's own pre-drill view).
 */
export function raftTruth(
  lines: readonly Elected[],
  faultMs: number,
  termBefore?: bigint,
): RaftTruth | string {
  let before = termBefore ?? null;
  if (before === null) {
    for (const l of lines) if (l.tsMs <= faultMs && (before === null || l.term > before)) before = l.term;
  }
  if (before === null) return 'no "elected leader" line before the fault';
  const after = lines
    .filter((l) => l.term > before && l.tsMs >= Math.floor(faultMs))
    .sort((a, b) => a.tsMs - b.tsMs);
  const first = after[0];
  if (!first) return `no "elected leader" line at a term above ${before} after the fault`;
  return {
    electedMs: first.tsMs,
    termBefore: before,
    term: first.term,
    leader: first.leader,
    member: first.member,
  };
}

export interface LeaseLog {
  /** the component's klog time, epoch ms with the microseconds as the fraction */
  tsMs: number;
  event: LeaseLine['event'];
  lease: string;
  /** the master whose journal it came from: stands for the holder */
  master: string;
}

export interface UnitLog {
  /** journald's receipt time, epoch ms (µs fraction) */
  tsMs: number;
  event: UnitLine['event'];
  master: string;
  /** the unit the line is about (etcd, kube-scheduler, …) */
  unit: string;
}

/** One master's kube-scheduler (or kube-controller-manager) journal: its leader-election lines. */
export function leaseLogOf(entries: readonly JournalEntry[], master: string): LeaseLog[] {
  return leaseLines([...entries]).map((l) => ({
    tsMs: l.tsUs / 1000,
    event: l.event,
    lease: l.lease ?? '',
    master,
  }));
}

/** The same journal's systemd lines about the unit. */
export function unitLogOf(entries: readonly JournalEntry[], master: string, unit: string): UnitLog[] {
  return unitLines([...entries]).map((u) => ({ tsMs: u.realtimeUs / 1000, event: u.event, master, unit }));
}

export interface FaultTruth {
  /** systemd's record of the unit's main process leaving (killed, exited, or the stop done), epoch ms */
  exitMs: number;
  /** the master it happened on */
  master: string;
  event: UnitLine['event'];
  /** systemd's "Stopping …" line before it on that master, when the fault was a stop */
  stopStartMs?: number;
}

const EXIT_EVENTS: ReadonlySet<UnitLine['event']> = new Set(['killed', 'exited', 'stopped']);

/**
 * The fault's true moment from systemd's own lines: the first record of `unit`'s main process
 * leaving in [fromMs, untilMs] (the inject command's start, minus the logs' lag, to well after its
 * return: a stop with --no-block returns before the process has left), on any master, and the
 * "Stopping" line that began it.
 */
export function faultTruth(
  units: readonly UnitLog[],
  unit: string,
  fromMs: number,
  untilMs: number,
): FaultTruth | string {
  const mine = units.filter((u) => u.unit === unit).sort((a, b) => a.tsMs - b.tsMs);
  const exit = mine.find((u) => EXIT_EVENTS.has(u.event) && u.tsMs >= fromMs && u.tsMs <= untilMs);
  if (!exit) return `no systemd record of ${unit}'s process leaving after the inject command started`;
  const stopping = mine
    .filter(
      (u) => u.master === exit.master && u.event === 'stopping' && u.tsMs >= fromMs && u.tsMs <= exit.tsMs,
    )
    .pop();
  const t: FaultTruth = { exitMs: exit.tsMs, master: exit.master, event: exit.event };
  if (stopping) t.stopStartMs = stopping.tsMs;
  return t;
}

/**
 * The moment a Lease duration counts from, as issue 14 defines it: the process leaving, except
 * when the new holder took the Lease before that (released during a graceful stop), then the
 * stop's start.
 */
export function leaseFaultMs(fault: FaultTruth, acquiredMs: number): { ms: number; released: boolean } {
  if (acquiredMs < fault.exitMs && fault.stopStartMs !== undefined)
    return { ms: fault.stopStartMs, released: true };
  return { ms: fault.exitMs, released: false };
}

export interface LeaseTruth {
  /** the master holding the Lease when the fault started */
  oldHolder: string;
  newHolder: string;
  /** the new holder's "successfully acquired lease" line, epoch ms */
  acquiredMs: number;
  /** the old holder's last "acquired"/"renewed" line before that */
  oldEndMs: number;
  /** systemd stopped the old holder's unit (SIGTERM): it released the Lease, which is never logged */
  released: boolean;
  /** acquiredMs − oldEndMs in s after a crash; null after a release (see `leaderlessWhy`) */
  leaderlessS: number | null;
  leaderlessWhy?: string;
}

const HOLDING: ReadonlySet<LeaseLine['event']> = new Set(['acquired', 'renewed']);
/** klog times and journald receipt times come from the same machine clock; allow for the log's lag */
const STOP_SLACK_MS = 1000;

/**
 * The takeover the drill caused, from every master's leader-election lines for one Lease: the
 * holder at the fault (the master of the last acquired/renewed line at or before `faultMs`), then
 * the first "acquired" line after the fault on another master. The old holder's tenure ends at
 * its last renewal before that; if systemd stopped its unit meanwhile, it released the Lease at a
 * moment no log records, and the leaderless time has no truth.
 */
export function leaseTruth(
  lines: readonly LeaseLog[],
  units: readonly UnitLog[],
  faultMs: number,
  lease: string,
  /**
   * whether the old holder released the Lease (the harness saw it held by nobody), when known;
   * otherwise a stop of its unit stands for a release (kube-controller-manager never releases)
   */
  releasedSeen?: boolean,
): LeaseTruth | string {
  const mine = lines.filter((l) => l.lease === lease).sort((a, b) => a.tsMs - b.tsMs);
  const before = mine.filter((l) => l.tsMs <= faultMs && HOLDING.has(l.event)).pop();
  if (!before)
    return 'no acquired/renewed line before the fault (renewals are logged only with lab up --leader-election-verbosity 5)';
  const oldHolder = before.master;
  const next = mine.find((l) => l.tsMs > faultMs && l.event === 'acquired' && l.master !== oldHolder);
  if (!next) return `no other master acquired the Lease after the fault (held by ${oldHolder})`;
  const end = mine.filter((l) => l.master === oldHolder && l.tsMs < next.tsMs && HOLDING.has(l.event)).pop()!;
  const released =
    releasedSeen ??
    units.some(
      (u) =>
        u.master === oldHolder &&
        u.event === 'stopping' &&
        u.tsMs >= faultMs - STOP_SLACK_MS &&
        u.tsMs <= next.tsMs,
    );
  const t: LeaseTruth = {
    oldHolder,
    newHolder: next.master,
    acquiredMs: next.tsMs,
    oldEndMs: end.tsMs,
    released,
    leaderlessS: released ? null : (next.tsMs - end.tsMs) / 1000,
  };
  if (released)
    t.leaderlessWhy =
      'the old holder released the Lease on its graceful stop, and client-go logs a successful release at no verbosity';
  return t;
}
