/**
 * The "measured vs SLO" rows of the timeline SVG: each measured interval placed where it started,
 * with its ± bound, against the SLO bound and the forbidden side tinted.
 */
import type { MetricResult } from '../../metrics/types.js';
import { splitMetricName } from '../../slo/evaluate.js';
import type { TimelineEvent } from '../../timeline/events.js';
import { formatMeasured } from '../../text/numbers.js';
import type { RunResult, Verdict } from '../result.js';
import { longestFailure } from './lanes.js';
import { COLORS, LABEL_W, r, rect, rowLabel, shortLease, text } from './svg.js';

export interface Measurement {
  metric: MetricResult;
  verdict?: Verdict;
  /** where the measured interval starts on the run clock */
  start: number | null;
  title: string;
}

export function pickMeasurements(result: RunResult, events: readonly TimelineEvent[]): Measurement[] {
  const out: Measurement[] = [];
  for (const metric of result.metrics) {
    if (metric.unit !== 's') continue;
    const { name, labels } = splitMetricName(metric.name);
    if (name === 'observe.blind_s' || name === 'lease.leaderless_s') continue;
    const verdict =
      result.verdicts.find((v) => v.metric === metric.name) ??
      result.verdicts.find(
        (v) => splitMetricName(v.metric).name === name && (!labels['lease'] || v.metric === name),
      );
    let start: number | null = null;
    // with t_fault, each duration's own start is its moment minus its value (t_fault, the stop's
    // start, or the member's real restart); reports before t_fault drew from t_inject/restore
    const fromFault =
      !!result.faults?.length &&
      metric.at !== undefined &&
      (name === 'lease.takeover_s' || name === 'raft.reelection_s' || name === 'raft.catchup_s');
    if (metric.value !== null && fromFault) start = metric.at! - metric.value;
    else if (metric.value !== null) {
      if (name === 'lease.takeover_s' || name === 'raft.reelection_s')
        start = result.tInject ?? (metric.at !== undefined ? metric.at - metric.value : null);
      else if (name === 'raft.catchup_s') start = result.tRestore;
      else if (metric.at !== undefined) start = metric.at - metric.value;
      else if (name === 'apiserver.max_outage_s') {
        start =
          longestFailure(
            events.flatMap((e) => (e.kind === 'api' && e.master === 'lb' ? [{ t: e.t, ok: e.ok }] : [])),
          )?.from ?? null;
      } else if (name === 'etcd.write_outage_s') {
        start =
          longestFailure(events.flatMap((e) => (e.kind === 'write' ? [{ t: e.t, ok: e.ok }] : [])))?.from ??
          null;
      }
    }
    const title = labels['lease'] ? `${name.replace(/^lease\./, '')} ${shortLease(labels['lease'])}` : name;
    out.push({ metric, ...(verdict ? { verdict } : {}), start, title });
  }
  return out;
}

export function drawMeasurement(me: Measurement, x: (t: number) => number, y: number, end: number): string[] {
  const out: string[] = [];
  const { metric, verdict } = me;
  const color = !verdict
    ? COLORS.noSlo
    : verdict.status === 'pass'
      ? verdict.marginal
        ? COLORS.unknown
        : COLORS.pass
      : verdict.status === 'fail'
        ? COLORS.fail
        : COLORS.unknown;
  const word = verdict
    ? ` ${verdict.status.toUpperCase()}${verdict.marginal ? ' (within error bound)' : ''}`
    : '';
  out.push(rowLabel(me.title, y + 21));
  if (metric.status !== 'measured' || metric.value === null) {
    const why = `unknown${metric.note ? `: ${metric.note}` : ''}${verdict ? ` (SLO ${verdict.bound}: not verified)` : ''}`;
    out.push(
      text(LABEL_W + 4, y + 21, why, { size: 11, fill: COLORS.unknown, italic: true, weight: 'bold' }),
    );
    return out;
  }
  const measured = formatMeasured(metric.value, metric.errorS, metric.unit);
  if (me.start === null) {
    const where = metric.value === 0 ? 'none seen' : 'not placed: when it happened was not recorded';
    out.push(text(LABEL_W + 4, y + 21, `${measured}${word} (${where})`, { size: 11, fill: color }));
    return out;
  }
  const start = me.start;
  // The SLO bound: a dashed line at start + threshold, the forbidden side tinted.
  const bound = verdict ? /^(<=?|>=?)\s*(-?[\d.]+(?:e[+-]?\d+)?)$/.exec(verdict.bound) : null;
  if (bound) {
    const threshold = Number(bound[2]);
    const bx = x(start + threshold);
    const upper = bound[1]!.startsWith('<');
    const x0 = upper ? bx : x(start);
    const x1 = upper ? x(end) : bx;
    if (x1 > x0)
      out.push(
        rect(x0, y + 2, x1 - x0, 28, COLORS.sloBand, `outside the SLO (${verdict?.bound} s)`, 'slo-band'),
      );
    out.push(
      `<line x1="${r(bx)}" x2="${r(bx)}" y1="${y + 2}" y2="${y + 30}" stroke="${COLORS.fail}" stroke-width="1.5" stroke-dasharray="3 2"/>`,
    );
    out.push(text(bx + 3, y + 10, `SLO ${verdict?.bound} s`, { size: 9.5, fill: COLORS.fail, halo: true }));
  }
  const x0 = x(start);
  const x1 = x(start + metric.value);
  const tip = `${metric.name} = ${measured}${verdict ? ` (${verdict.status}, bound ${verdict.bound})` : ''}, from ${start.toFixed(2)} s`;
  out.push(rect(x0, y + 14, Math.max(2, x1 - x0), 8, color, tip, 'measure'));
  out.push(
    `<line x1="${r(x0)}" x2="${r(x0)}" y1="${y + 11}" y2="${y + 25}" stroke="${color}" stroke-width="1.5"/>`,
  );
  if (metric.errorS > 0) {
    const lo = r(x(start + metric.value - metric.errorS));
    const hi = r(x(start + metric.value + metric.errorS));
    out.push(
      `<path d="M${lo} ${y + 12}v12M${lo} ${y + 18}H${hi}M${hi} ${y + 12}v12" stroke="${COLORS.text}" stroke-width="1.2" fill="none"/>`,
    );
  }
  out.push(
    text(Math.max(x1, x(start + metric.value + metric.errorS)) + 6, y + 22, `${measured}${word}`, {
      size: 11,
      fill: color,
      weight: 'bold',
      halo: true,
    }),
  );
  return out;
}
