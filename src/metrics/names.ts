/**
 * The metric vocabulary (DESIGN §4): the names SLO and abort expressions may use. The metric
 * functions in metrics/ produce results under these names; this file is only the dictionary,
 * so config validation can check expressions without loading any metric code.
 */
import type { MetricResult } from './types.js';

export interface MetricInfo {
  unit: MetricResult['unit'];
  /** one line, shown by `kha-drill list --metrics`-style help and in reports */
  description: string;
  /** label names an expression may select on, e.g. `lease.takeover_s{lease=kube-system/kube-scheduler}` */
  labels: readonly string[];
  /** a recorded (wall-clock, from the objects' own timestamps) rather than monotonic measurement */
  record?: boolean;
  /** the drill watcher (`watchers.<name>`) whose events the metric is computed from */
  watcher?: 'lease' | 'raft' | 'apiserver' | 'etcdWrite';
}

export const METRICS = {
  'lease.takeover_s': {
    unit: 's',
    description:
      "First watch event with a holder on another master than the pre-drill holder's (a takeover), minus t_fault (when the fault took effect on the master: systemd's record of the process leaving, or the command's bracket on the master's clock); ± includes t_fault's uncertainty; what happened during a graceful stop before its process left counts from the stop's start.",
    labels: ['lease'],
    watcher: 'lease',
  },
  'lease.leaderless_s': {
    unit: 's',
    description:
      "New holder's acquireTime (its master's clock, mapped with the measured clock offset) minus t_fault; the record alone (acquireTime minus the old holder's last renewTime) when no offset is known.",
    labels: ['lease'],
    record: true,
    watcher: 'lease',
  },
  'lease.transitions': {
    unit: 'count',
    description: 'Change of leaseTransitions during the drill (1 is a clean failover).',
    labels: ['lease'],
    watcher: 'lease',
  },
  'lease.split_brain': {
    unit: 'count',
    description: 'Moments where two identities renewed within one lease duration of each other; must be 0.',
    labels: ['lease'],
    watcher: 'lease',
  },
  'lease.same_master_reacquire': {
    unit: 'count',
    description:
      "New holder identities on the pre-drill holder's own master (a restart winning its Lease back) before any other master took it; not a takeover.",
    labels: ['lease'],
    watcher: 'lease',
  },
  'raft.reelection_s': {
    unit: 's',
    description:
      "First time a quorum of surviving members report one new leader at a higher term, minus t_fault of the step that hit etcd (a leadership handed over before the stopped leader's process left counts from the stop's start).",
    labels: [],
    watcher: 'raft',
  },
  'raft.elections': {
    unit: 'count',
    description: 'Raft term changes during the drill (1 is clean; more means split votes or flapping).',
    labels: [],
    watcher: 'raft',
  },
  'etcd.write_outage_s': {
    unit: 's',
    description:
      'Longest gap between consecutive successful writes of the etcd write probe; a gap spanning t_fault counts from t_fault.',
    labels: [],
    watcher: 'etcdWrite',
  },
  'raft.catchup_s': {
    unit: 's',
    description:
      "From the restarted member's real start (systemd's ExecMainStartTimestamp, by Restart= or the restore), until its raft index is within maxLag of the leader's; from the restore step when no start was recorded.",
    labels: ['member'],
    watcher: 'raft',
  },
  'apiserver.availability': {
    unit: 'ratio',
    description: 'Share of successful probes through the load balancer during the drill (0..1).',
    labels: [],
    watcher: 'apiserver',
  },
  'apiserver.max_outage_s': {
    unit: 's',
    description:
      'Longest run of failed probes through the load balancer; a run whose last success came before t_fault counts from t_fault.',
    labels: [],
    watcher: 'apiserver',
  },
  'observe.blind_s': {
    unit: 's',
    description: 'Time a watcher could not see (broken watch, unreachable endpoint); reported, never hidden.',
    labels: ['watcher'],
  },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}
