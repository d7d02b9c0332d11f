/** observe.blind_s: how long any watcher could not see during the drill, in total and per watcher. */
import type { MetricResult } from './types.js';
import {
  describeBlind,
  labelled,
  measured,
  type BlindInterval,
  type Interval,
  type RunView,
} from './view.js';

/** Length of the union of intervals, clipped to `w`. */
export function unionLength(intervals: readonly Interval[], w: Interval): number {
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, w.start), end: Math.min(i.end, w.end) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let cur: Interval | null = null;
  for (const i of clipped) {
    if (cur && i.start <= cur.end) cur.end = Math.max(cur.end, i.end);
    else {
      if (cur) total += cur.end - cur.start;
      cur = { ...i };
    }
  }
  if (cur) total += cur.end - cur.start;
  return total;
}

export function blindTime(view: RunView): MetricResult[] {
  const name = 'observe.blind_s';
  const w = view.drill;
  const inWindow = (list: BlindInterval[]) => list.filter((b) => b.end > w.start && b.start < w.end);
  const all = inWindow(view.blind);
  const out: MetricResult[] = [
    measured(name, 's', unionLength(all, w), 0, {
      note: all.length > 0 ? `blind: ${describeBlind(all)}` : 'every watcher saw throughout the drill',
    }),
  ];
  const watchers = [...new Set(view.events.flatMap((e) => (e.kind === 'blind' ? [e.watcher] : [])))];
  for (const watcher of watchers) {
    const mine = inWindow(view.blind.filter((b) => b.watcher === watcher));
    const r = measured(labelled(name, { watcher }), 's', unionLength(mine, w), 0);
    if (mine.length > 0) r.note = describeBlind(mine);
    out.push(r);
  }
  return out;
}

export const blindMetrics = { 'observe.blind_s': blindTime };
