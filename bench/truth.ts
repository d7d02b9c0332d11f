/**
 * Ground truth, read from the lab's own logs: etcd's zap lines "raft.node: <id> elected leader
 * <id> at term N" (millisecond wall-clock timestamps) and the leader-election candidates'
 * `<unit>.truth.jsonl` (microsecond wall-clock timestamps). Pure: text in, facts out.
 */
import { microTimeToEpochMs } from '../src/kube/microtime.js';

export interface Elected {
  /** wall clock, epoch ms (zap logs milliseconds) */
  tsMs: number;
  /** the member that logged it */
  member: string;
  leader: string;
  term: bigint;
  /** the lab master whose log it came from, when known */
  master?: string;
}

const ELECTED = /raft\.node: (\w+) elected leader (\w+) at term (\d+)/;

/** Every "elected leader" line of one member's zap JSON log. Lines that are not JSON are skipped. */
export function parseElections(log: string, master?: string): Elected[] {
  const out: Elected[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('elected leader')) continue;
    let j: { ts?: unknown; msg?: unknown };
    try {
      j = JSON.parse(line) as { ts?: unknown; msg?: unknown };
    } catch {
      continue;
    }
    if (typeof j.ts !== 'string' || typeof j.msg !== 'string') continue;
    const m = ELECTED.exec(j.msg);
    const tsMs = Date.parse(j.ts);
    if (!m || Number.isNaN(tsMs)) continue;
    const e: Elected = { tsMs, member: m[1]!, leader: m[2]!, term: BigInt(m[3]!) };
    if (master !== undefined) e.master = master;
    out.push(e);
  }
  return out;
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

export type TruthEvent = 'started' | 'acquired' | 'renewed' | 'lost' | 'released' | 'stopped' | 'error';

export interface TruthLine {
  /** wall clock, epoch ms with the microseconds as the fraction */
  tsMs: number;
  /** the ts string as logged */
  ts: string;
  event: TruthEvent;
  identity: string;
  lease: string;
  holder: string;
  master?: string;
}

/** RFC 3339 with up to nine fractional digits → epoch ms, keeping sub-millisecond digits. */
export const parseMicroMs = (ts: string): number => microTimeToEpochMs(ts);

/** One candidate's `<unit>.truth.jsonl`. Broken lines (a crash mid-write) are skipped. */
export function parseTruthLog(text: string, master?: string): TruthLine[] {
  const out: TruthLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof j.ts !== 'string' || typeof j.event !== 'string' || typeof j.identity !== 'string') continue;
    const tsMs = parseMicroMs(j.ts);
    if (Number.isNaN(tsMs)) continue;
    const t: TruthLine = {
      tsMs,
      ts: j.ts,
      event: j.event as TruthEvent,
      identity: j.identity,
      lease: typeof j.lease === 'string' ? j.lease : '',
      holder: typeof j.holder === 'string' ? j.holder : '',
    };
    if (master !== undefined) t.master = master;
    out.push(t);
  }
  return out;
}

export interface LeaseTruth {
  /** the holder when the fault started */
  oldHolder: string;
  newHolder: string;
  /** the new holder's `acquired` line, epoch ms */
  acquiredMs: number;
  /** the old holder's last `renewed`/`acquired` line before that, or its `released` line */
  oldEndMs: number;
  released: boolean;
  /** acquiredMs − oldEndMs, in s: the record-level leaderless gap */
  leaderlessS: number;
}

const HOLDING: ReadonlySet<TruthEvent> = new Set(['acquired', 'renewed']);

/**
 * The takeover the drill caused, from every candidate's truth lines for one Lease: the holder at
 * the fault (the identity of the last acquired/renewed line at or before `faultMs`), then the first
 * `acquired` line after the fault by another identity.
 */
export function leaseTruth(
  lines: readonly TruthLine[],
  faultMs: number,
  lease?: string,
): LeaseTruth | string {
  const mine = lines.filter((l) => lease === undefined || l.lease === lease).sort((a, b) => a.tsMs - b.tsMs);
  const before = mine.filter((l) => l.tsMs <= faultMs && HOLDING.has(l.event)).pop();
  if (!before) return 'no acquired/renewed line before the fault';
  const oldHolder = before.identity;
  const next = mine.find((l) => l.tsMs > faultMs && l.event === 'acquired' && l.identity !== oldHolder);
  if (!next) return `no other candidate acquired the Lease after the fault (held by ${oldHolder})`;
  const end = mine
    .filter(
      (l) =>
        l.identity === oldHolder && l.tsMs < next.tsMs && (HOLDING.has(l.event) || l.event === 'released'),
    )
    .pop()!;
  return {
    oldHolder,
    newHolder: next.identity,
    acquiredMs: next.tsMs,
    oldEndMs: end.tsMs,
    released: end.event === 'released',
    leaderlessS: (next.tsMs - end.tsMs) / 1000,
  };
}
