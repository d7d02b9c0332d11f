/**
 * What every metric needs to know about a run, read once from the timeline: t_inject, the drill
 * and observe windows, restore times, and the blind windows. Pure.
 */
import type { BlindEvent, StepEvent, TimelineEvent } from '../timeline/events.js';
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

export interface RunView {
  events: readonly TimelineEvent[];
  /** end of the first inject step that succeeded */
  tInject: number | null;
  /** start of that step: the state "before the fault" is the state before this */
  tFault: number | null;
  /** masters that step acted on */
  injectTargets: string[];
  /** t_inject (else the observe or inject start, else the first event) → last event */
  drill: Interval;
  /** t_inject (else observe start) → observe end (else restore start, else last event) */
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
  let tFault: number | null = null;
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
        tFault = stepStarts.get(`inject/${e.index}`) ?? e.t;
        injectTargets = e.targets;
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
  }
  const drillStart = tInject ?? observeStart ?? injectStart ?? first;
  return {
    events,
    tInject,
    tFault,
    injectTargets,
    drill: { start: drillStart, end: last },
    observe: { start: tInject ?? observeStart ?? drillStart, end: observeEnd ?? restoreStart ?? last },
    restoreSteps,
    restoreStepStarts,
    restoreStart,
    blind: blindIntervals(events),
    masters: headerMasters ?? [...raftMasters],
    wallTime,
  };
}

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
