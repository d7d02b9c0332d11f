import type { MetricName } from './names.js';

export interface MetricOptions {
  /** the Lease the drill acts on: its results are also given without a label */
  primaryLease?: string;
  /** raft.catchup_s: raft index entries behind the leader that count as caught up (default 100) */
  catchupMaxLag?: number;
  /** raft.catchup_s: the restarted member (default: the first inject step's target) */
  catchupMember?: string;
  /** which metrics to compute (default: all) */
  metrics?: readonly MetricName[];
}
