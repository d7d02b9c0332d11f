/**
 * What every metric needs to know about a run, read once from the timeline: t_inject, the drill
 * and observe windows, restore times, and the blind windows. Pure.
 */
import type {
  BlindEvent,
  ClockEvent,
  FaultEvent,
  StepEvent,
  TimelineEvent,
  UnitStartEvent,
} from '../timeline/events.js';
import type { MetricResult } from './types.js';

export interface Interval {
  start: number;
  end: number;
}

export interface BlindInterval extends Interval {
  watcher: BlindEvent['watcher'];
  subject: string;
  reason?: string;
  /** still blind when the timeline ended */
  open: boolean;
}

/**
 * When the drill's fault took effect (the first successful inject step; the earliest of its
 * masters), on the run clock, surely within [lo, hi].
 */
export interface FaultMoment {
  t: number;
  lo: number;
  hi: number;
  source: FaultEvent['source'] | 'inject-return';
  master: string | null;
  /** the inject step it belongs to, and the service it acted on */
  index: number | null;
  service: string | null;
  action: string | null;
  /**
   * when the fault began: the stop's start as systemd recorded it (a graceful stop), else the
   * command's start on the master's clock (its bracket), else when it was sent
   */
  commandStart: number;
  /** what commandStart is */
  commandStartSource: 'stop-start' | 'bracket' | 'sent';
  /** ± of commandStart */
  commandStartErr: number;
}

/** The larger side of a moment's interval: its ± bound. */
export function faultErr(f: FaultMoment): number {
  return Math.max(f.t - f.lo, f.hi - f.t, 0);
}

export interface RunView {
  events: readonly TimelineEvent[];
  /** end of the first inject step that succeeded (its SSH call returned): kept for reference */
  tInject: number | null;
  /** start of that step: the state "before the fault" is the state before this */
  tInjectStart: number | null;
  /**
   * t_fault: when the fault took effect (systemd's record of the main process leaving, or the
   * command's bracket on the master's clock). Timelines recorded before t_fault existed fall
   * back to t_inject (`source: 'inject-return'`).
   */
  fault: FaultMoment | null;
  /** t_fault of every inject step that has one, in step order */
  faults: FaultMoment[];
  /** the latest clock offset of each master (master time − run time) */
  clocks: Map<string, ClockEvent>;
  /** real restarts of faulted units after the fault (systemd's ExecMainStartTimestamp) */
  unitStarts: UnitStartEvent[];
  /** masters that step acted on */
  injectTargets: string[];
  /** t_fault (else the observe or inject start, else the first event) → last event */
  drill: Interval;
  /** t_fault (else observe start) → observe end (else restore start, else last event) */
  observe: Interval;
  restoreSteps: StepEvent[];
  /** when each restore step started, by its index */
  restoreStepStarts: Map<number, number>;
  restoreStart: number | null;
  blind: BlindInterval[];
  /** the run header's masters, else every master seen in raft events */
  masters: string[];
  /** from the run header, when present */
  wallTime: string | null;
}

export function viewOf(events: readonly TimelineEvent[]): RunView {
  const last = events.length > 0 ? events[events.length - 1]!.t : 0;
  const first = events.length > 0 ? events[0]!.t : 0;
  let tInject: number | null = null;
  let tInjectStart: number | null = null;
  let injectIndex: number | null = null;
  const faults: FaultEvent[] = [];
  const clocks = new Map<string, ClockEvent>();
  const unitStarts: UnitStartEvent[] = [];
  const stepStarts = new Map<string, number>();
  let injectTargets: string[] = [];
  let injectStart: number | null = null;
  let observeStart: number | null = null;
  let observeEnd: number | null = null;
  let restoreStart: number | null = null;
  let wallTime: string | null = null;
  let headerMasters: string[] | null = null;
  const raftMasters = new Set<string>();
  const restoreSteps: StepEvent[] = [];
  const restoreStepStarts = new Map<number, number>();
  for (const e of events) {
    if (e.kind === 'run') {
      wallTime = e.wallTime;
      headerMasters = e.masters.map((m) => m.name);
    } else if (e.kind === 'step' && e.state === 'start') {
      stepStarts.set(`${e.phase}/${e.index}`, e.t);
    } else if (e.kind === 'step' && e.state === 'end') {
      if (e.phase === 'inject' && e.ok && tInject === null) {
        tInject = e.t;
        tInjectStart = stepStarts.get(`inject/${e.index}`) ?? e.t;
        injectTargets = e.targets;
        injectIndex = e.index;
      }
      if (e.phase === 'restore') {
        restoreSteps.push(e);
        const start = stepStarts.get(`restore/${e.index}`);
        if (start !== undefined) restoreStepStarts.set(e.index, start);
      }
    } else if (e.kind === 'phase') {
      if (e.phase === 'inject' && e.state === 'start') injectStart ??= e.t;
      if (e.phase === 'observe' && e.state === 'start') observeStart ??= e.t;
      if (e.phase === 'observe' && e.state === 'end') observeEnd ??= e.t;
      if (e.phase === 'restore' && e.state === 'start') restoreStart ??= e.t;
    } else if (e.kind === 'raft') raftMasters.add(e.master);
    else if (e.kind === 'fault') faults.push(e);
    else if (e.kind === 'clock') clocks.set(e.master, e);
    else if (e.kind === 'unitStart') unitStarts.push(e);
  }
  // per step and master, the last fault event: a later one supersedes a provisional one
  const byStep = new Map<number, Map<string, FaultEvent>>();
  for (const f of faults) {
    const m = byStep.get(f.index) ?? new Map<string, FaultEvent>();
    m.set(f.master, f);
    byStep.set(f.index, m);
  }
  const stepFaults = [...byStep.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, m]) => faultOf([...m.values()], tInject, tInjectStart)!);
  const fault = faultOf(
    injectIndex !== null ? [...(byStep.get(injectIndex)?.values() ?? [])] : [],
    tInject,
    tInjectStart,
  );
  const drillStart = fault?.t ?? observeStart ?? injectStart ?? first;
  return {
    events,
    tInject,
    tInjectStart,
    fault,
    faults: stepFaults,
    clocks,
    unitStarts,
    injectTargets,
    drill: { start: drillStart, end: last },
    observe: { start: fault?.t ?? observeStart ?? drillStart, end: observeEnd ?? restoreStart ?? last },
    restoreSteps,
    restoreStepStarts,
    restoreStart,
    blind: blindIntervals(events),
    masters: headerMasters ?? [...raftMasters],
    wallTime,
  };
}

/** The earliest of the step's per-master fault moments; t_inject for timelines without any. */
function faultOf(
  faults: readonly FaultEvent[],
  tInject: number | null,
  tInjectStart: number | null,
): FaultMoment | null {
  if (faults.length === 0) {
    if (tInject === null) return null;
    const start = tInjectStart ?? tInject;
    return {
      t: tInject,
      lo: tInject,
      hi: tInject,
      source: 'inject-return',
      master: null,
      index: null,
      service: null,
      action: null,
      commandStart: start,
      commandStartErr: 0,
      commandStartSource: 'sent',
    };
  }
  const f = faults.reduce((a, b) => (b.tFault < a.tFault ? b : a));
  return {
    t: f.tFault,
    lo: Math.min(...faults.map((x) => x.lo)),
    hi: f.hi,
    source: f.source,
    master: f.master,
    index: f.index,
    service: f.service ?? null,
    action: f.action,
    commandStart: f.stopStart ?? f.bracket?.start ?? f.commandStart,
    commandStartErr: f.stopStart !== undefined || f.bracket ? f.offsetErrS : 0,
    commandStartSource: f.stopStart !== undefined ? 'stop-start' : f.bracket ? 'bracket' : 'sent',
  };
}

/**
 * The view as a metric about one component sees it: t_fault of the first inject step that acted
 * on that component (or partitioned a master), else the drill's first fault. A drill that kills
 * several services in turn (master-down) times etcd's election from etcd's kill.
 */
export function viewFor(view: RunView, service: string): RunView {
  const f = view.faults.find((x) => x.service === service || x.action === 'partition');
  if (!f || f === view.fault || view.fault === null) return view;
  return { ...view, fault: f };
}

/** "t_fault" with how it was found, for notes. */
export function describeFault(f: FaultMoment): string {
  if (f.source === 'inject-return') return 't_inject (this timeline has no t_fault)';
  const step = f.index !== null && f.index > 0 ? `inject step ${f.index + 1}, ` : '';
  return `t_fault (${step}${f.source}${f.master ? ` on ${f.master}` : ''}, ±${fmt(faultErr(f))} s)`;
}

/**
 * Where a duration that ends at `end` starts: t_fault, or, when the end came before the fault
 * took effect (a Lease released during a graceful stop and taken before the process left, etcd's leadership
 * handed over before the leader exited), the
 * command's start, so no duration is negative; the note says which.
 */
export function fromFault(view: RunView, end: number): { from: number; err: number; note: string } {
  const f = view.fault!;
  if (end >= f.t) return { from: f.t, err: faultErr(f), note: `from ${describeFault(f)}` };
  return {
    from: Math.min(end, f.commandStart),
    err: f.commandStartErr,
    note: `before ${describeFault(f)} at ${fmt(f.t)} s: it happened during the stop, before the process left, so counted from the stop's start (${fmt(f.commandStart)} s, ${START_SOURCE[f.commandStartSource]})`,
  };
}

const START_SOURCE: Record<FaultMoment['commandStartSource'], string> = {
  'stop-start': "systemd's ActiveExitTimestamp",
  bracket: "the command's start on the master's clock",
  sent: 'when the command was sent',
};

/** Pairs blind start/end per watcher and subject; an unpaired start runs to the last event. */
export function blindIntervals(events: readonly TimelineEvent[]): BlindInterval[] {
  const open = new Map<string, BlindEvent>();
  const out: BlindInterval[] = [];
  const last = events.length > 0 ? events[events.length - 1]!.t : 0;
  const push = (s: BlindEvent, end: number, stillOpen: boolean) => {
    const b: BlindInterval = { watcher: s.watcher, subject: s.subject, start: s.t, end, open: stillOpen };
    if (s.reason !== undefined) b.reason = s.reason;
    out.push(b);
  };
  for (const e of events) {
    if (e.kind !== 'blind') continue;
    const key = `${e.watcher}\u0000${e.subject}`;
    if (e.state === 'start') {
      if (!open.has(key)) open.set(key, e);
    } else {
      const s = open.get(key);
      if (s) {
        push(s, e.t, false);
        open.delete(key);
      }
    }
  }
  for (const s of open.values()) push(s, last, true);
  return out.sort((a, b) => a.start - b.start);
}

/** Blind windows of one watcher (and subjects, when given) overlapping (from, to]. */
export function blindDuring(
  view: RunView,
  watcher: BlindEvent['watcher'],
  subjects: readonly string[] | null,
  from: number,
  to: number,
): BlindInterval[] {
  return view.blind.filter(
    (b) =>
      b.watcher === watcher &&
      (subjects === null || subjects.includes(b.subject)) &&
      b.end > from &&
      b.start < to,
  );
}

export function describeBlind(windows: readonly BlindInterval[]): string {
  const parts = windows
    .slice(0, 4)
    .map((b) => `${b.subject} ${fmt(b.start)}–${b.open ? 'end' : fmt(b.end)} s`);
  if (windows.length > 4) parts.push(`${windows.length - 4} more`);
  return parts.join(', ');
}

/** Seconds with millisecond precision, for notes. */
export function fmt(seconds: number): string {
  return seconds.toFixed(3);
}

/** Rounds to the microsecond: the timeline's own resolution. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function unknown(name: string, unit: MetricResult['unit'], note: string): MetricResult {
  return { name, value: null, unit, errorS: 0, status: 'unknown', note };
}

export function measured(
  name: string,
  unit: MetricResult['unit'],
  value: number,
  errorS: number,
  extra: { note?: string; at?: number } = {},
): MetricResult {
  const m: MetricResult = { name, value: round6(value), unit, errorS: round6(errorS), status: 'measured' };
  if (extra.note) m.note = extra.note;
  if (extra.at !== undefined) m.at = extra.at;
  return m;
}

export function labelled(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
