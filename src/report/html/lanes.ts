/**
 * What the HTML timeline draws, derived from the raw events (pure): per master its etcd role,
 * which Leases it holds and its API readiness; the load balancer and the etcd write probe;
 * blind windows; markers for inject, restore and observe; the run's phases.
 */
import type { FaultEvent, Phase, TimelineEvent } from '../../timeline/events.js';

export interface Segment<S extends string> {
  from: number;
  to: number;
  state: S;
  /** shown inside the bar when it is wide enough, and as its tooltip */
  label?: string;
}

export type EtcdRole = 'leader' | 'follower' | 'electing' | 'down';
export type Readiness = 'ready' | 'unready';

export interface MasterLanes {
  name: string;
  host: string;
  etcd: Segment<EtcdRole>[];
  /** per Lease (`ns/name`): when this master held it */
  leases: Record<string, Segment<'holder'>[]>;
  api: Segment<Readiness>[];
}

export interface Blind {
  watcher: string;
  subject: string;
  from: number;
  to: number;
  reason?: string;
}

export type MarkerKind =
  | 'inject'
  | 'restore'
  | 'until-met'
  | 'abort'
  | 'timeout'
  | 'interrupted'
  /** when the fault took effect on the master (t_fault) */
  | 'fault'
  /** when the inject command was sent (the inject marker is its return, t_inject) */
  | 'sent';

/** An inject command's bracket by the master's clock, and t_fault in it, on the run clock. */
export interface FaultBand {
  from: number;
  to: number;
  t: number;
  lo: number;
  hi: number;
  label: string;
}
export interface Marker {
  t: number;
  kind: MarkerKind;
  label: string;
}

export interface Lanes {
  start: number;
  end: number;
  masters: MasterLanes[];
  leases: string[];
  lb: Segment<Readiness>[];
  writes: Segment<'ok' | 'failed'>[];
  blind: Blind[];
  markers: Marker[];
  phases: Segment<Phase>[];
  /** the inject commands' brackets with t_fault (timelines before t_fault have none) */
  faults: FaultBand[];
}

interface Sample<S extends string> {
  t: number;
  state: S;
  label?: string;
}

/**
 * Samples → segments: each sample holds until the next one, but no longer than `maxGap`
 * (beyond that nothing is known and nothing is drawn). Equal neighbours merge.
 */
export function toSegments<S extends string>(
  samples: readonly Sample<S>[],
  end: number,
  maxGap = Infinity,
): Segment<S>[] {
  const out: Segment<S>[] = [];
  for (const [i, s] of samples.entries()) {
    const next = samples[i + 1]?.t ?? end;
    const to = Math.min(next, s.t + maxGap, end);
    if (to <= s.t) continue;
    const last = out[out.length - 1];
    if (last && last.state === s.state && last.label === s.label && s.t - last.to < 1e-9) last.to = to;
    else out.push({ from: s.t, to, state: s.state, ...(s.label !== undefined ? { label: s.label } : {}) });
  }
  return out;
}

/** Three median sample intervals: a poll that is that late means the watcher saw nothing. */
function gapLimit(times: readonly number[]): number {
  const d = times
    .slice(1)
    .map((t, i) => t - (times[i] ?? t))
    .filter((x) => x > 0)
    .sort((a, b) => a - b);
  const median = d[Math.floor(d.length / 2)];
  return median === undefined ? Infinity : Math.max(3 * median, 0.5);
}

export function buildLanes(
  events: readonly TimelineEvent[],
  opts: { masters?: readonly string[]; end?: number } = {},
): Lanes {
  const run = events.find((e) => e.kind === 'run');
  const lastT = events.reduce((m, e) => Math.max(m, e.t), 0);
  const end = Math.max(opts.end ?? 0, lastT);
  const hosts = new Map<string, string>();
  for (const m of run?.kind === 'run' ? run.masters : []) hosts.set(m.name, m.host);
  for (const m of opts.masters ?? []) if (!hosts.has(m)) hosts.set(m, '');
  for (const e of events) {
    if ((e.kind === 'raft' || e.kind === 'api') && e.master !== 'lb' && !hosts.has(e.master))
      hosts.set(e.master, '');
  }

  const raft = new Map<string, Sample<EtcdRole>[]>();
  const api = new Map<string, Sample<Readiness>[]>();
  const leaseSamples = new Map<string, { t: number; master: string | null; holder: string | null }[]>();
  const writes: Sample<'ok' | 'failed'>[] = [];
  const blindOpen = new Map<string, { from: number; reason?: string }>();
  const blind: Blind[] = [];
  const markers: Marker[] = [];
  const phaseStart = new Map<Phase, number>();
  const phases: Segment<Phase>[] = [];

  for (const e of events) {
    switch (e.kind) {
      case 'raft': {
        let state: EtcdRole;
        if (!e.ok) state = 'down';
        else if (!e.leader) state = 'electing';
        else state = e.leader === e.memberId ? 'leader' : 'follower';
        const label =
          state === 'leader' || state === 'electing' ? (e.term ? `term ${e.term}` : undefined) : undefined;
        push(raft, e.master, { t: e.t, state, ...(label ? { label } : {}) });
        break;
      }
      case 'api':
        push(api, e.master, { t: e.t, state: e.ok ? 'ready' : 'unready' });
        break;
      case 'write':
        writes.push({ t: e.t, state: e.ok ? 'ok' : 'failed' });
        break;
      case 'lease':
        push(leaseSamples, e.lease, { t: e.t, master: e.holder ? e.master : null, holder: e.holder });
        break;
      case 'blind': {
        const key = `${e.watcher}\u0000${e.subject}`;
        if (e.state === 'start' && !blindOpen.has(key))
          blindOpen.set(key, { from: e.t, ...(e.reason ? { reason: e.reason } : {}) });
        if (e.state === 'end') {
          const open = blindOpen.get(key);
          if (open)
            blind.push({
              watcher: e.watcher,
              subject: e.subject,
              from: open.from,
              to: e.t,
              ...(open.reason ? { reason: open.reason } : {}),
            });
          blindOpen.delete(key);
        }
        break;
      }
      case 'step':
        // waits are not changes to the cluster: no marker for them
        if (e.state === 'end' && e.ok && e.action !== 'wait' && e.action !== 'waitFor') {
          const where = e.targets.length ? ` on ${e.targets.join(', ')}` : '';
          markers.push({ t: e.t, kind: e.phase, label: `${e.phase}: ${e.action}${where}` });
        }
        break;
      case 'mark':
        if (e.mark !== 'note') markers.push({ t: e.t, kind: e.mark, label: e.message });
        break;
      case 'phase':
        if (e.state === 'start') phaseStart.set(e.phase, e.t);
        else {
          const from = phaseStart.get(e.phase);
          if (from !== undefined) phases.push({ from, to: e.t, state: e.phase });
          phaseStart.delete(e.phase);
        }
        break;
      default:
        break;
    }
  }
  for (const [key, open] of blindOpen) {
    const [watcher = '', subject = ''] = key.split('\u0000');
    blind.push({
      watcher,
      subject,
      from: open.from,
      to: end,
      ...(open.reason ? { reason: open.reason } : {}),
    });
  }
  for (const [p, from] of phaseStart) phases.push({ from, to: end, state: p });
  phases.sort((a, b) => a.from - b.from);

  // Leases whose holder changed (the drill's subject) first: they get the first colour.
  const changed = (lease: string): number =>
    new Set((leaseSamples.get(lease) ?? []).map((s) => s.holder)).size > 1 ? 0 : 1;
  const leases = [...leaseSamples.keys()].sort((a, b) => changed(a) - changed(b) || a.localeCompare(b));
  const masters: MasterLanes[] = [...hosts].map(([name, host]) => {
    const etcdSamples = raft.get(name) ?? [];
    const apiSamples = api.get(name) ?? [];
    const held: Record<string, Segment<'holder'>[]> = {};
    for (const lease of leases) {
      const samples = (leaseSamples.get(lease) ?? []).map((s) => ({
        t: s.t,
        state: (s.master === name ? 'holder' : 'other') as 'holder' | 'other',
        ...(s.master === name && s.holder ? { label: s.holder } : {}),
      }));
      held[lease] = toSegments(samples, end).filter((s): s is Segment<'holder'> => s.state === 'holder');
    }
    return {
      name,
      host,
      etcd: toSegments(etcdSamples, end, gapLimit(etcdSamples.map((s) => s.t))),
      leases: held,
      api: toSegments(apiSamples, end, gapLimit(apiSamples.map((s) => s.t))),
    };
  });
  const lbSamples = api.get('lb') ?? [];
  return {
    start: 0,
    end,
    masters,
    leases,
    lb: toSegments(lbSamples, end, gapLimit(lbSamples.map((s) => s.t))),
    writes: toSegments(writes, end, gapLimit(writes.map((s) => s.t))),
    blind,
    markers: [...markers, ...faultMarkers(events)].sort((a, b) => a.t - b.t),
    phases,
    faults: faultBands(events),
  };
}

/** The latest fault event per step and master (a later one supersedes a provisional one). */
function latestFaults(events: readonly TimelineEvent[]): FaultEvent[] {
  const latest = new Map<string, FaultEvent>();
  for (const e of events) if (e.kind === 'fault') latest.set(`${e.index}/${e.master}`, e);
  return [...latest.values()];
}

function faultMarkers(events: readonly TimelineEvent[]): Marker[] {
  return latestFaults(events).flatMap((f): Marker[] => [
    { t: f.commandStart, kind: 'sent', label: `sent: ${f.action} on ${f.master}` },
    { t: f.tFault, kind: 'fault', label: `t_fault: ${f.source} on ${f.master}` },
  ]);
}

function faultBands(events: readonly TimelineEvent[]): FaultBand[] {
  return latestFaults(events).map((f) => ({
    from: f.bracket?.start ?? f.commandStart,
    to: f.bracket?.end ?? f.commandEnd,
    t: f.tFault,
    lo: f.lo,
    hi: f.hi,
    label: `${f.action} on ${f.master}: command ${f.commandStart.toFixed(3)}–${f.commandEnd.toFixed(3)} s (sent–returned), bracket on the master's clock ${(f.bracket?.start ?? f.commandStart).toFixed(3)}–${(f.bracket?.end ?? f.commandEnd).toFixed(3)} s, t_fault ${f.tFault.toFixed(3)} s in [${f.lo.toFixed(3)}, ${f.hi.toFixed(3)}] (${f.note})`,
  }));
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Where an outage metric happened, for drawing only (the value comes from the metric): the
 * longest run of failed samples, from the last success before it to the first success after.
 */
export function longestFailure(
  samples: readonly { t: number; ok: boolean }[],
): { from: number; to: number } | null {
  let best: { from: number; to: number } | null = null;
  let lastOk: number | null = null;
  let failing = false;
  for (const s of samples) {
    if (!s.ok) {
      failing = true;
      continue;
    }
    if (failing && lastOk !== null && (!best || s.t - lastOk > best.to - best.from))
      best = { from: lastOk, to: s.t };
    failing = false;
    lastOk = s.t;
  }
  return best;
}
