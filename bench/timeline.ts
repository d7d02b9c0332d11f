/**
 * What the benchmark reads from a recorded run: the timeline's moments mapped to wall-clock time
 * (the `run` header's wallTime is t = 0) and the watchers' request counts. Pure.
 */
import type { TimelineEvent } from '../src/timeline/events.js';

export function parseTimeline(text: string): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as TimelineEvent);
    } catch {
      // a line cut by a crash: the rest is still worth reading
    }
  }
  return out;
}

export interface Moments {
  /** epoch ms of t = 0 */
  wallMs: number;
  /** t of the first successful inject step's start (its command started) / end (it returned) */
  tCommand: number | null;
  tInject: number | null;
  observe: { start: number; end: number } | null;
  /** end of the steady-state phase, start of the inject phase */
  steadyEnd: number | null;
  injectStart: number | null;
  /** from the run header */
  masters: string[];
}

export function momentsOf(events: readonly TimelineEvent[]): Moments | string {
  const header = events.find((e) => e.kind === 'run');
  if (!header || header.kind !== 'run') return 'the timeline has no run header';
  const wallMs = Date.parse(header.wallTime);
  if (Number.isNaN(wallMs)) return `the run header's wallTime is not a time: ${header.wallTime}`;
  const starts = new Map<number, number>();
  let tCommand: number | null = null;
  let tInject: number | null = null;
  let obsStart: number | null = null;
  let obsEnd: number | null = null;
  let steadyEnd: number | null = null;
  let injectStart: number | null = null;
  for (const e of events) {
    if (e.kind === 'step' && e.phase === 'inject') {
      if (e.state === 'start') starts.set(e.index, e.t);
      else if (e.ok && tInject === null) {
        tInject = e.t;
        tCommand = starts.get(e.index) ?? e.t;
      }
    } else if (e.kind === 'phase' && e.phase === 'observe') {
      if (e.state === 'start') obsStart ??= e.t;
      else obsEnd ??= e.t;
    } else if (e.kind === 'phase' && e.phase === 'steadyState' && e.state === 'end') steadyEnd ??= e.t;
    else if (e.kind === 'phase' && e.phase === 'inject' && e.state === 'start') injectStart ??= e.t;
  }
  const observe = obsStart !== null ? { start: obsStart, end: obsEnd ?? events[events.length - 1]!.t } : null;
  return {
    wallMs,
    tCommand,
    tInject,
    observe,
    steadyEnd,
    injectStart,
    masters: header.masters.map((m) => m.name),
  };
}

/** t on the run clock → epoch ms. */
export const wallOf = (m: Moments, t: number): number => m.wallMs + t * 1000;

export interface RequestRates {
  /** raft status polls per second, per etcd member */
  raftPerMember: Record<string, number>;
  /** /readyz probes per second, per API server (`lb` = the load balancer) */
  apiPerServer: Record<string, number>;
  /** etcd write-probe puts per second (to the cluster) */
  writes: number;
  /** Lease records delivered by the watch (events, not requests: one long-lived watch per Lease) */
  leaseEvents: number;
  /** Lease re-lists (LIST events): each is one extra request */
  leaseLists: number;
  windowS: number;
}

/** Requests the watchers sent during [from, to] (run clock), per subject per second. */
export function requestRates(events: readonly TimelineEvent[], from: number, to: number): RequestRates {
  const windowS = Math.max(1e-9, to - from);
  const raft = new Map<string, number>();
  const api = new Map<string, number>();
  let writes = 0;
  let leaseEvents = 0;
  let leaseLists = 0;
  for (const e of events) {
    if (e.t < from || e.t > to) continue;
    if (e.kind === 'raft') raft.set(e.master, (raft.get(e.master) ?? 0) + 1);
    else if (e.kind === 'api') api.set(e.master, (api.get(e.master) ?? 0) + 1);
    else if (e.kind === 'write') writes++;
    else if (e.kind === 'lease') {
      leaseEvents++;
      if (e.type === 'LIST') leaseLists++;
    }
  }
  const perS = (m: Map<string, number>) =>
    Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => [k, n / windowS]));
  return {
    raftPerMember: perS(raft),
    apiPerServer: perS(api),
    writes: writes / windowS,
    leaseEvents,
    leaseLists,
    windowS,
  };
}
