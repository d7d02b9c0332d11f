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
  /**
   * Inject steps (end event): each remote command as the master's own clock bracketed it, in
   * seconds since the epoch on that master (`date +%s.%N` just before and just after it, in the
   * same shell). The laptop-side start and return are this step's start and end events.
   */
  brackets?: CommandBracket[];
}

/** One remote command bracketed by the master's clock (seconds since the epoch, master time). */
export interface CommandBracket {
  master: string;
  start: number;
  /** absent when the command was killed before it could print its end */
  end?: number;
}

/**
 * A clock-offset estimate of one master against the run clock, from SSH round trips: the
 * master printed its clock (`date +%s.%N`) between the laptop's send and receive; the sample
 * with the smallest round trip wins. master time = run time + offsetS (± errS = round trip / 2).
 */
export interface ClockEvent extends EventBase {
  kind: 'clock';
  master: string;
  /** master clock (s since the epoch) minus the run clock (s since the run's base time) */
  offsetS: number;
  /** half the round trip of the best sample: the offset is surely within ± errS */
  errS: number;
  samples: number;
  /** when it was taken */
  at: 'preflight' | 'inject' | 'restore';
}

/**
 * When an inject step's fault took effect on one master (t_fault), on the run clock, with the
 * interval [lo, hi] it surely lies in (the record's resolution and the clock offset's ± included).
 */
export interface FaultEvent extends EventBase {
  kind: 'fault';
  /** the inject step's index */
  index: number;
  action: string;
  master: string;
  service?: string;
  /**
   * `unit-exit`: systemd's ExecMainExitTimestamp (the main process left); `unit-inactive`: its
   * InactiveEnterTimestamp (a restart reset the exit record); `unit-left-active`: a killed unit's
   * ActiveExitTimestamp (Restart= reset the exit record); `unit-restarted`: systemd had
   * already restarted it: between the command's start and the new start; `bracket`: the
   * command's bracket on the master's clock (partition, ssh, SIGSTOP, custom); `container-exit`: the
   * container runtime's finishedAt of a static pod's container;
   * `command`: the laptop-side send and return (no bracket was printed)
   */
  source:
    | 'unit-exit'
    | 'unit-inactive'
    | 'unit-left-active'
    | 'unit-restarted'
    | 'container-exit'
    | 'bracket'
    | 'command';
  tFault: number;
  lo: number;
  hi: number;
  /** the command's bracket mapped to the run clock */
  bracket?: { start: number; end: number };
  /** the laptop side: when the command was sent, and when its SSH call returned (t_inject) */
  commandStart: number;
  commandEnd: number;
  /**
   * when the stop began on the run clock (systemd's ActiveExitTimestamp, mapped; ± offsetErrS):
   * what a Lease released during a graceful stop counts from
   */
  stopStart?: number;
  /** the clock offset used (see ClockEvent) */
  offsetS: number;
  offsetErrS: number;
  note: string;
  /**
   * the process had not left yet when this was recorded (a `--no-block` stop): the bracket
   * stands in, and a later fault event of the same step and master supersedes it
   */
  provisional?: boolean;
  /** the bracket as the master's clock printed it (s since the epoch), to read the moment again */
  masterBracket?: CommandBracket;
}

/** A unit's main process started again after a fault (systemd's ExecMainStartTimestamp). */
export interface UnitStartEvent extends EventBase {
  kind: 'unitStart';
  master: string;
  service: string;
  /** the start on the run clock, ± errS (the clock offset's) */
  tStart: number;
  errS: number;
  /** systemd's NRestarts then (automatic restarts by Restart=) */
  restarts: number | null;
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
  | MarkEvent
  | ClockEvent
  | FaultEvent
  | UnitStartEvent;

export type EventKind = TimelineEvent['kind'];

/** What an appender supplies: everything but `seq` and `t`, which the timeline stamps. */
export type NewEvent = TimelineEvent extends infer E
  ? E extends TimelineEvent
    ? Omit<E, 'seq' | 't'>
    : never
  : never;
