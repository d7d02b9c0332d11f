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
      "First watch event with a holder on another master than the pre-drill holder's, minus t_inject.",
    labels: ['lease'],
    watcher: 'lease',
  },
  'lease.leaderless_s': {
    unit: 's',
    description: "New holder's acquireTime minus the old holder's last renewTime (from the Lease records).",
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
      'First time a quorum of surviving members report one new leader at a higher term, minus t_inject.',
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
    description: 'Longest gap between consecutive successful writes of the etcd write probe.',
    labels: [],
    watcher: 'etcdWrite',
  },
  'raft.catchup_s': {
    unit: 's',
    description: "After restore, until the restarted member's raft index is within maxLag of the leader's.",
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
    description: 'Longest run of failed probes through the load balancer.',
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
