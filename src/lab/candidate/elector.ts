import { errorMessage } from '../../errors.js';
import type { LeaseLock } from './lease-lock.js';
import type { LeaderElectionRecord } from './lease.js';
import { isConflict, isNotFound } from './lease.js';

/** client-go's JitterFactor for the acquire loop. */
export const JITTER_FACTOR = 1.2;

export interface ElectorTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface ElectorConfig extends ElectorTimings {
  lock: LeaseLock;
  releaseOnCancel: boolean;
}

export type ElectorEventName = 'acquired' | 'renewed' | 'lost' | 'released' | 'error';

export interface ElectorEvent {
  event: ElectorEventName;
  holder: string;
  transitions: number | null;
  resourceVersion: string | null;
  message?: string;
}

/** Everything time- or chance-dependent, injected so the logic runs under a fake clock. */
export interface ElectorDeps {
  /** monotonic milliseconds (expiry is judged on this, never on the record's renewTime) */
  now(): number;
  /** wall-clock MicroTime written into acquireTime/renewTime */
  microTime(): string;
  /** resolves after `ms`, or early when `signal` aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
  emit(event: ElectorEvent): void;
  /** the observed holder changed (client-go's OnNewLeader) */
  onNewLeader?(holder: string): void;
}

/** How `run` ended: stopped before/without leading, released on stop, or lost the lease. */
export type ElectorOutcome = 'stopped' | 'released' | 'lost';

/**
 * Validation as client-go's NewLeaderElector does it. Returns the problems, empty when valid.
 */
export function validateTimings(t: ElectorTimings): string[] {
  const problems: string[] = [];
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    problems.push('leaseDuration must be greater than renewDeadline');
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) {
    problems.push('renewDeadline must be greater than retryPeriod*JitterFactor');
  }
  if (!(t.leaseDurationMs >= 1)) problems.push('leaseDuration must be greater than zero');
  if (!(t.renewDeadlineMs >= 1)) problems.push('renewDeadline must be greater than zero');
  if (!(t.retryPeriodMs >= 1)) problems.push('retryPeriod must be greater than zero');
  return problems;
}

const EMPTY_RECORD: LeaderElectionRecord = {
  holderIdentity: '',
  leaseDurationSeconds: 0,
  acquireTime: '',
  renewTime: '',
  leaderTransitions: 0,
};

/**
 * client-go's tools/leaderelection LeaderElector (Lease lock, no coordinated election), with the
 * same acquire loop (JitterUntil, factor 1.2, sliding), renew loop (Until retryPeriod, each round
 * polled every retryPeriod until renewDeadline) and release on cancel.
 */
export class LeaderElector {
  private observedRecord: LeaderElectionRecord = EMPTY_RECORD;
  private observedRawRecord = '';
  /** monotonic ms at which observedRecord was set; -Infinity = never (Go's zero time) */
  private observedTime = Number.NEGATIVE_INFINITY;
  private reportedLeader = '';

  constructor(
    private readonly config: ElectorConfig,
    private readonly deps: ElectorDeps,
  ) {
    const problems = validateTimings(config);
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  get identity(): string {
    return this.config.lock.identity;
  }

  isLeader(): boolean {
    return this.observedRecord.holderIdentity === this.identity;
  }

  /** Last record observed or written (for status lines and tests). */
  getObservedRecord(): LeaderElectionRecord {
    return { ...this.observedRecord };
  }

  /** Runs until `stop` aborts or the lease is lost. */
  async run(stop: AbortSignal): Promise<ElectorOutcome> {
    if (!(await this.acquire(stop))) return 'stopped';
    const ended = await this.renew(stop);
    if (ended === 'lost') {
      this.deps.emit({
        event: 'lost',
        holder: this.observedRecord.holderIdentity,
        transitions: this.observedRecord.leaderTransitions,
        resourceVersion: this.config.lock.resourceVersion(),
        message: `failed to renew lease ${this.config.lock.describe()}: no successful renew within renewDeadline`,
      });
    }
    // client-go releases after the renew loop however it ended (IsLeader() guards a lost lease).
    const released = this.config.releaseOnCancel ? await this.release() : false;
    if (ended === 'lost') return 'lost';
    return released ? 'released' : 'stopped';
  }

  /** Acquire loop: a try now, then every retryPeriod × (1 + rand × 1.2) after the previous try ended. */
  async acquire(stop: AbortSignal): Promise<boolean> {
    while (!stop.aborted) {
      const ok = await this.tryAcquireOrRenew(stop);
      this.maybeReportTransition();
      if (ok) return true;
      if (stop.aborted) break;
      const { retryPeriodMs } = this.config;
      await this.deps.sleep(retryPeriodMs + this.deps.random() * JITTER_FACTOR * retryPeriodMs, stop);
    }
    return false;
  }

  /**
   * Renew loop: a round now and retryPeriod after each successful round; a round retries every
   * retryPeriod until renewDeadline, and a round without success means the lease is lost.
   */
  async renew(stop: AbortSignal): Promise<'lost' | 'stopped'> {
    const { renewDeadlineMs, retryPeriodMs } = this.config;
    while (!stop.aborted) {
      const deadline = this.deps.now() + renewDeadlineMs;
      let renewed = false;
      for (;;) {
        renewed = await this.tryAcquireOrRenew(stop, deadline);
        this.maybeReportTransition();
        if (renewed || stop.aborted) break;
        const remaining = deadline - this.deps.now();
        if (remaining <= 0) break;
        if (remaining <= retryPeriodMs) {
          await this.deps.sleep(remaining, stop);
          break;
        }
        await this.deps.sleep(retryPeriodMs, stop);
      }
      if (stop.aborted) return 'stopped';
      if (!renewed) return 'lost';
      await this.deps.sleep(retryPeriodMs, stop);
    }
    return 'stopped';
  }

  /** Gives the lease up if this candidate holds it: holder "", leaseDurationSeconds 1, transitions kept. */
  async release(): Promise<boolean> {
    if (!this.isLeader()) return false;
    const now = this.deps.microTime();
    const record: LeaderElectionRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaderTransitions: this.observedRecord.leaderTransitions,
    };
    const opts = { timeoutMs: this.config.renewDeadlineMs };
    try {
      await this.config.lock.update(record, opts);
    } catch (err) {
      // A renew cut short by the stop may have reached the server with its answer lost: our
      // resourceVersion is then stale though we still hold the Lease. client-go leaves such a Lease
      // to expire; the lab re-reads once and releases, so a graceful stop always releases.
      const retried = isConflict(err) ? await this.releaseAfterConflict(record, opts) : false;
      if (!retried) {
        this.emitError(`Failed to release lock: ${errorMessage(err)}`);
        return false;
      }
    }
    this.setObservedRecord(record);
    this.deps.emit({
      event: 'released',
      holder: '',
      transitions: record.leaderTransitions,
      resourceVersion: this.config.lock.resourceVersion(),
    });
    return true;
  }

  /** After a 409 on release: true once released, false when the Lease is no longer ours or it failed. */
  private async releaseAfterConflict(
    record: LeaderElectionRecord,
    opts: { timeoutMs: number },
  ): Promise<boolean> {
    try {
      const fetched = await this.config.lock.get(opts);
      if (fetched.record.holderIdentity !== this.identity) return false;
      await this.config.lock.update({ ...record, leaderTransitions: fetched.record.leaderTransitions }, opts);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * One try, as client-go's tryAcquireOrRenew: optimistic update by the leader while its lease is
   * valid; otherwise GET (create when missing), give up if another holder's lease is still valid by
   * our own observation time, else write ourselves as holder with the GET's resourceVersion.
   * `deadline` (monotonic ms) bounds every request of the try (the renew round's context).
   */
  async tryAcquireOrRenew(stop: AbortSignal, deadline?: number): Promise<boolean> {
    const nowMono = this.deps.now();
    const nowWall = this.deps.microTime();
    const desired: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.floor(this.config.leaseDurationMs / 1000),
      acquireTime: nowWall,
      renewTime: nowWall,
      leaderTransitions: 0,
    };
    const lock = this.config.lock;
    const opts = (): { timeoutMs: number; signal: AbortSignal } => ({
      timeoutMs: Math.max(
        1,
        Math.min(this.config.renewDeadlineMs, deadline === undefined ? Infinity : deadline - this.deps.now()),
      ),
      signal: stop,
    });

    // 1. Fast path: the leader updates the object it last saw, without a GET.
    if (this.isLeader() && this.isLeaseValid(nowMono)) {
      const old = this.observedRecord;
      const record = { ...desired, acquireTime: old.acquireTime, leaderTransitions: old.leaderTransitions };
      try {
        await lock.update(record, opts());
        this.setObservedRecord(record);
        this.emitWrite('renewed', record);
        return true;
      } catch (err) {
        if (stop.aborted) return false;
        this.emitError(
          `Failed to update lock optimistically: ${errorMessage(err)}, falling back to slow path`,
        );
      }
    }

    // 2. Get or create the record.
    let fetched: { record: LeaderElectionRecord; raw: string };
    try {
      fetched = await lock.get(opts());
    } catch (err) {
      if (stop.aborted) return false;
      if (!isNotFound(err)) {
        this.emitError(`error retrieving resource lock ${lock.describe()}: ${errorMessage(err)}`);
        return false;
      }
      try {
        await lock.create(desired, opts());
      } catch (createErr) {
        if (!stop.aborted) {
          this.emitError(`error initially creating leader election record: ${errorMessage(createErr)}`);
        }
        return false;
      }
      this.setObservedRecord(desired);
      this.emitWrite('acquired', desired);
      return true;
    }

    // 3. Remember when the record was first seen changed; judge validity from that local time.
    const old = fetched.record;
    if (fetched.raw !== this.observedRawRecord) {
      this.setObservedRecord(old);
      this.observedRawRecord = fetched.raw;
    }
    if (old.holderIdentity.length > 0 && this.isLeaseValid(nowMono) && !this.isLeader()) {
      return false;
    }

    // 4. Write ourselves as holder.
    const wasLeader = this.isLeader();
    const record: LeaderElectionRecord = wasLeader
      ? { ...desired, acquireTime: old.acquireTime, leaderTransitions: old.leaderTransitions }
      : { ...desired, leaderTransitions: old.leaderTransitions + 1 };
    try {
      await lock.update(record, opts());
    } catch (err) {
      if (!stop.aborted) this.emitError(`Failed to update lock: ${errorMessage(err)}`);
      return false;
    }
    this.setObservedRecord(record);
    this.emitWrite(wasLeader ? 'renewed' : 'acquired', record);
    return true;
  }

  private isLeaseValid(nowMono: number): boolean {
    return this.observedTime + this.observedRecord.leaseDurationSeconds * 1000 > nowMono;
  }

  private setObservedRecord(record: LeaderElectionRecord): void {
    this.observedRecord = record;
    this.observedTime = this.deps.now();
  }

  private maybeReportTransition(): void {
    if (this.observedRecord.holderIdentity === this.reportedLeader) return;
    this.reportedLeader = this.observedRecord.holderIdentity;
    this.deps.onNewLeader?.(this.reportedLeader);
  }

  private emitWrite(event: 'acquired' | 'renewed', record: LeaderElectionRecord): void {
    this.deps.emit({
      event,
      holder: record.holderIdentity,
      transitions: record.leaderTransitions,
      resourceVersion: this.config.lock.resourceVersion(),
    });
  }

  private emitError(message: string): void {
    this.deps.emit({
      event: 'error',
      holder: this.observedRecord.holderIdentity,
      transitions: this.observedRecord.holderIdentity ? this.observedRecord.leaderTransitions : null,
      resourceVersion: this.config.lock.resourceVersion(),
      message,
    });
  }
}
