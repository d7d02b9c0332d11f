/**
 * How often the raft watcher polls. The error of `raft.reelection_s` is half the poll period of
 * the member that completes the evidence, so the watcher polls fast (`faultIntervalMs`) from each
 * inject step until SETTLE_S after a new leader is known, or until `faultWindowMs` has passed, and
 * at its steady `intervalMs` otherwise. A fast window costs a second or two of extra status
 * requests per drill instead of a fast poll for the whole run.
 */
import { electedLeader } from '../metrics/raft.js';
import type { RaftEvent, StepEvent, TimelineEvent } from '../timeline/events.js';

/**
 * How long after the new leader is known the watcher keeps polling fast (a second election right
 * after the first is then seen as closely).
 */
export const SETTLE_S = 0.2;

export interface RaftPaceOptions {
  intervalMs: number;
  faultIntervalMs: number;
  faultWindowMs: number;
}

export class RaftPace {
  /** run-clock seconds until which the watcher polls fast */
  private fastUntil = -Infinity;
  private baseTerm = 0n;
  private maxTerm = 0n;
  private electedAt: number | null = null;
  private readonly latest = new Map<string, RaftEvent>();
  private readonly quorum: number;

  constructor(
    members: number,
    private readonly options: RaftPaceOptions,
  ) {
    this.quorum = Math.floor(members / 2) + 1;
  }

  /**
   * Feeds one timeline event: an inject step that may move etcd's leadership opens a fast window;
   * raft events close it.
   */
  observe(e: TimelineEvent): void {
    if (e.kind === 'step') {
      const fasterThanSteady = this.options.faultIntervalMs < this.options.intervalMs;
      if (e.phase === 'inject' && e.state === 'start' && fasterThanSteady && mayMoveEtcdLeader(e)) {
        this.fastUntil = e.t + this.options.faultWindowMs / 1000;
        this.baseTerm = this.maxTerm;
        this.electedAt = null;
      }
      return;
    }
    if (e.kind !== 'raft') return;
    this.latest.set(e.master, e);
    if (e.ok && e.term !== undefined) {
      const term = BigInt(e.term);
      if (term > this.maxTerm) this.maxTerm = term;
    }
    if (this.electedAt === null && e.t < this.fastUntil && this.newLeaderKnown()) this.electedAt = e.t;
  }

  /**
   * The period to wait after a poll of `master` that started at run-clock time `now`. A member
   * whose last poll got no answer (the killed one) stays at the steady period: its answer cannot
   * date the election, and failing fast polls cost more than answered ones.
   */
  intervalMs(now: number, master?: string): number {
    if (now >= this.fastUntil) return this.options.intervalMs;
    if (this.electedAt !== null && now - this.electedAt >= SETTLE_S) {
      this.fastUntil = -Infinity;
      return this.options.intervalMs;
    }
    if (master !== undefined && this.latest.get(master)?.ok === false) return this.options.intervalMs;
    return this.options.faultIntervalMs;
  }

  private newLeaderKnown(): boolean {
    return electedLeader(this.latest.values(), this.baseTerm, this.quorum) !== null;
  }
}

/**
 * Steps that can change etcd's leadership: any action on etcd itself, partitions and heals, and
 * raw ssh commands (which may do anything). A step on the scheduler leaves the pace alone.
 */
export function mayMoveEtcdLeader(e: StepEvent): boolean {
  return e.service === 'etcd' || e.action === 'partition' || e.action === 'heal' || e.action === 'ssh';
}
