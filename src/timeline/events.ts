/**
 * The timeline: one ordered stream of typed events on the run's monotonic clock.
 * Watchers and the engine only append; metrics, SLOs and reports only read.
 *
 * `t` is seconds since the run's base time (performance.now() at run start), `seq` is the
 * append order. Wall-clock time appears once, in the `run` header event.
 */

export interface EventBase {
  seq: number;
  /** seconds since the run's base time, monotonic */
  t: number;
}

/** First event of every timeline. */
export interface RunEvent extends EventBase {
  kind: 'run';
  runId: string;
  drill: string;
  cluster: string;
  /** ISO wall-clock time at t = 0 */
  wallTime: string;
  harnessVersion: string;
  masters: { name: string; nodeName: string; host: string; etcd: string; apiserver: string }[];
  leaderElection: { leaseDuration: number; renewDeadline: number; retryPeriod: number };
}

export type Phase = 'preflight' | 'steadyState' | 'inject' | 'observe' | 'restore' | 'evaluate';

export interface PhaseEvent extends EventBase {
  kind: 'phase';
  phase: Phase;
  state: 'start' | 'end';
  ok?: boolean;
  message?: string;
}

/** A step of inject or restore. `t_inject` is the first inject step's `end` with ok. */
export interface StepEvent extends EventBase {
  kind: 'step';
  phase: 'inject' | 'restore';
  index: number;
  id?: string;
  action: string;
  /** the component a service action acts on */
  service?: string;
  /** resolved master name(s) */
  targets: string[];
  state: 'start' | 'end';
  ok?: boolean;
  command?: string;
  exitCode?: number | null;
  output?: string;
  error?: string;
}

/** A Lease as a watch event or list showed it. */
export interface LeaseEvent extends EventBase {
  kind: 'lease';
  /** `<ns>/<name>` */
  lease: string;
  type: 'LIST' | 'ADDED' | 'MODIFIED' | 'DELETED';
  holder: string | null;
  /** master whose nodeName prefixes the holder identity, if any */
  master: string | null;
  leaseDurationSeconds: number | null;
  /** MicroTime strings exactly as the API returned them */
  acquireTime: string | null;
  renewTime: string | null;
  transitions: number | null;
  resourceVersion: string;
}

/** One raft status poll of one member. */
export interface RaftEvent extends EventBase {
  kind: 'raft';
  master: string;
  ok: boolean;
  /** hex member id of this member */
  memberId?: string;
  /** hex member id of the leader this member reports, absent without a leader */
  leader?: string;
  /** decimal strings: 64-bit values */
  term?: string;
  raftIndex?: string;
  error?: string;
  latencyMs: number;
}

/** One /readyz probe of a master's API server or of the load balancer (`master: 'lb'`). */
export interface ApiProbeEvent extends EventBase {
  kind: 'api';
  master: string;
  ok: boolean;
  status?: number;
  error?: string;
  latencyMs: number;
}

/** One put of the etcd write probe. */
export interface WriteProbeEvent extends EventBase {
  kind: 'write';
  ok: boolean;
  error?: string;
  latencyMs: number;
}

/** A watcher lost (`start`) or regained (`end`) sight. */
export interface BlindEvent extends EventBase {
  kind: 'blind';
  watcher: 'lease' | 'raft' | 'apiserver' | 'etcdWrite';
  /** which stream or member went blind, e.g. `kube-system/kube-scheduler` or a master name */
  subject: string;
  state: 'start' | 'end';
  reason?: string;
}

/** The observe condition held, an abort condition fired, or a note worth keeping. */
export interface MarkEvent extends EventBase {
  kind: 'mark';
  mark: 'until-met' | 'abort' | 'timeout' | 'interrupted' | 'note';
  message: string;
}

export type TimelineEvent =
  | RunEvent
  | PhaseEvent
  | StepEvent
  | LeaseEvent
  | RaftEvent
  | ApiProbeEvent
  | WriteProbeEvent
  | BlindEvent
  | MarkEvent;

export type EventKind = TimelineEvent['kind'];

/** What an appender supplies: everything but `seq` and `t`, which the timeline stamps. */
export type NewEvent = TimelineEvent extends infer E
  ? E extends TimelineEvent
    ? Omit<E, 'seq' | 't'>
    : never
  : never;
