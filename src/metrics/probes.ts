/** Availability metrics from the probes: API through the load balancer, etcd writes. */
import type { ApiProbeEvent, WriteProbeEvent } from '../timeline/events.js';
import type { MetricResult } from './types.js';
import {
  describeFault,
  faultErr,
  fmt,
  measured,
  median,
  unknown,
  viewFor,
  type Interval,
  type RunView,
} from './view.js';

const within = (t: number, w: Interval) => t >= w.start && t <= w.end;

const lbProbes = (view: RunView): ApiProbeEvent[] =>
  view.events.filter(
    (e): e is ApiProbeEvent => e.kind === 'api' && e.master === 'lb' && within(e.t, view.observe),
  );

const windowNote = (w: Interval) => `window ${fmt(w.start)}–${fmt(w.end)} s`;

export function availability(view: RunView): MetricResult[] {
  const name = 'apiserver.availability';
  const probes = lbProbes(view);
  if (probes.length === 0)
    return [unknown(name, 'ratio', 'no load-balancer probe during the observe window')];
  const ok = probes.filter((p) => p.ok).length;
  return [
    measured(name, 'ratio', ok / probes.length, 1 / probes.length, {
      note: `${ok} of ${probes.length} probes through the load balancer succeeded (${windowNote(view.observe)})`,
    }),
  ];
}

/** Runs of consecutive failures: from the first failure to the next success (or the window end). */
function failureRuns<T extends { t: number; ok: boolean }>(
  probes: T[],
  end: number,
): { start: number; end: number; open: boolean; gapBefore: number; gapAfter: number }[] {
  const runs: { start: number; end: number; open: boolean; gapBefore: number; gapAfter: number }[] = [];
  let startIdx = -1;
  for (let i = 0; i < probes.length; i++) {
    const p = probes[i]!;
    if (!p.ok && startIdx < 0) startIdx = i;
    if (p.ok && startIdx >= 0) {
      const first = probes[startIdx]!;
      const gapBefore = startIdx > 0 ? first.t - probes[startIdx - 1]!.t : 0;
      runs.push({ start: first.t, end: p.t, open: false, gapBefore, gapAfter: p.t - probes[i - 1]!.t });
      startIdx = -1;
    }
  }
  if (startIdx >= 0) {
    const first = probes[startIdx]!;
    const gapBefore = startIdx > 0 ? first.t - probes[startIdx - 1]!.t : 0;
    runs.push({ start: first.t, end, open: true, gapBefore, gapAfter: 0 });
  }
  return runs;
}

export function maxOutage(view: RunView): MetricResult[] {
  const name = 'apiserver.max_outage_s';
  const probes = lbProbes(view);
  if (probes.length === 0) return [unknown(name, 's', 'no load-balancer probe during the observe window')];
  const runs = failureRuns(probes, view.observe.end);
  const gaps = probes.slice(1).map((p, i) => p.t - probes[i]!.t);
  if (runs.length === 0) {
    return [
      measured(name, 's', 0, median(gaps), { note: `every probe succeeded (${windowNote(view.observe)})` }),
    ];
  }
  // a run whose last success came before the fault began no earlier than the fault: from t_fault
  const f = view.fault;
  const lead = (r: (typeof runs)[number]) =>
    f && f.source !== 'inject-return' && r.start - r.gapBefore < f.t && f.t <= r.start && r.gapBefore > 0;
  for (const r of runs) if (lead(r)) r.start = f!.t;
  const worst = runs.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  const fromFault = lead({ ...worst, start: worst.start }) || (f !== null && worst.start === f.t);
  const note = `${fromFault ? `counted from ${describeFault(f!)}; ` : ''}longest failure run ${fmt(worst.start)}–${worst.open ? 'end' : fmt(worst.end)} s${worst.open ? ' (still failing when the window ended: at least this long)' : ''}; ${runs.length} run(s)`;
  return [
    measured(
      name,
      's',
      worst.end - worst.start,
      Math.max(worst.gapBefore, worst.gapAfter, median(gaps)) + (fromFault ? faultErr(f!) : 0),
      {
        at: worst.start,
        note,
      },
    ),
  ];
}

export function writeOutage(whole: RunView): MetricResult[] {
  const view = viewFor(whole, 'etcd');
  const name = 'etcd.write_outage_s';
  const all = view.events.filter((e): e is WriteProbeEvent => e.kind === 'write');
  if (all.length === 0) return [unknown(name, 's', 'the etcd write probe recorded nothing')];
  const w = view.drill;
  // Successful writes in the window, anchored by the last success before it.
  const okBefore = all.filter((e) => e.ok && e.t < w.start).pop();
  const oks = all.filter((e) => e.ok && within(e.t, w));
  const anchors = okBefore ? [okBefore, ...oks] : oks;
  const interval = median(all.slice(1).map((e, i) => e.t - all[i]!.t));
  if (anchors.length === 0) return [unknown(name, 's', `no write succeeded (${windowNote(w)})`)];
  let worst = { from: anchors[0]!.t, to: anchors[0]!.t, open: false };
  for (let i = 1; i < anchors.length; i++) {
    const from = anchors[i - 1]!.t;
    const to = anchors[i]!.t;
    if (to - from > worst.to - worst.from) worst = { from, to, open: false };
  }
  // writes were fine until the fault: a gap spanning it counts from t_fault
  const f = view.fault;
  let fromFault = false;
  if (f && f.source !== 'inject-return' && worst.from < f.t && f.t < worst.to) {
    worst = { ...worst, from: f.t };
    fromFault = true;
    for (let i = 1; i < anchors.length; i++) {
      const from = anchors[i - 1]!.t;
      const to = anchors[i]!.t;
      if (from >= f.t && to - from > worst.to - worst.from) {
        worst = { from, to, open: false };
        fromFault = false;
      }
    }
  }
  const lastOk = anchors[anchors.length - 1]!;
  const failedAfter = all.some((e) => !e.ok && e.t > lastOk.t && e.t <= w.end);
  if (failedAfter && w.end - lastOk.t > worst.to - worst.from)
    worst = { from: lastOk.t, to: w.end, open: true };
  if (worst.open) fromFault = false;
  const note = worst.open
    ? `no write succeeded after ${fmt(worst.from)} s until the end: the outage lasted at least this long`
    : `longest gap between successful writes ${fmt(worst.from)}–${fmt(worst.to)} s (probe interval ≈ ${fmt(interval)} s)${fromFault ? `, counted from ${describeFault(f!)}` : ''}`;
  return [
    measured(name, 's', worst.to - worst.from, interval + (fromFault ? faultErr(f!) : 0), {
      at: worst.from,
      note,
    }),
  ];
}

export const probeMetrics = {
  'apiserver.availability': availability,
  'apiserver.max_outage_s': maxOutage,
  'etcd.write_outage_s': writeOutage,
};
