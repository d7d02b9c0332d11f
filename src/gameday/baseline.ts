/**
 * Baselines: this run's metrics against a stored run's ("before upgrade / after upgrade").
 * Pure: summaries in, comparison rows out. Per metric of each drill the p50 and p95 are compared
 * (a single run has one value, used as both). Worse than the tolerance is a regression:
 *
 * - seconds: higher by more than `pct` of the baseline AND by at least `absS` (20 %, 0.5 s)
 * - ratios (availability): lower by more than `pct` of the baseline
 * - counts (elections, transitions, split brain): any increase
 *
 * Unknown on either side is `unknown`, never a regression or an improvement.
 */
import { parseDuration } from '../text/duration.js';
import { UsageError } from '../errors.js';
import type { MetricResult } from '../metrics/types.js';
import type {
  ComparedStat,
  Comparison,
  ComparisonRow,
  MetricSummary,
  RowStatus,
  RunSummary,
  Tolerance,
} from '../report/suite/result.js';

export const DEFAULT_TOLERANCE: Tolerance = { pct: 0.2, absS: 0.5 };

/** `20%,0.5s`, `10%`, `1s`, `500ms` (a part left out keeps its default). */
export function parseTolerance(text: string | undefined): Tolerance {
  if (text === undefined) return { ...DEFAULT_TOLERANCE };
  const out = { ...DEFAULT_TOLERANCE };
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw toleranceError(text);
  for (const part of parts) {
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(part);
    if (pct) out.pct = Number(pct[1]) / 100;
    else if (/^\d+(\.\d+)?(ms|s|m)$/.test(part)) out.absS = parseDuration(part);
    else throw toleranceError(text);
  }
  return out;
}

function toleranceError(text: string): UsageError {
  return new UsageError(`bad --tolerance '${text}' (expected a percentage and/or a duration, e.g. 20%,0.5s)`);
}

/** Is `current` worse, better, or neither than `baseline`, beyond the tolerance? */
export function judge(
  unit: MetricResult['unit'],
  baseline: number,
  current: number,
  tol: Tolerance,
): 'regression' | 'improved' | 'ok' {
  const eps = 1e-9;
  const delta = current - baseline;
  const rel = Math.abs(baseline) * tol.pct;
  switch (unit) {
    case 'count':
      return delta > eps ? 'regression' : delta < -eps ? 'improved' : 'ok';
    case 'ratio':
      if (-delta > rel + eps) return 'regression';
      if (delta > rel + eps) return 'improved';
      return 'ok';
    case 's': {
      const beyond = (d: number) => d > rel + eps && d >= tol.absS - eps;
      if (beyond(delta)) return 'regression';
      if (beyond(-delta)) return 'improved';
      return 'ok';
    }
  }
}

/** Compares every metric present on either side, drill by drill, in the current run's order. */
export function compareRuns(baseline: RunSummary, current: RunSummary, tol: Tolerance): Comparison {
  const key = (m: MetricSummary) => `${m.drill}\u0000${m.metric}`;
  const base = new Map(baseline.metrics.map((m) => [key(m), m]));
  const cur = new Map(current.metrics.map((m) => [key(m), m]));
  const keys = [...new Set([...current.metrics.map(key), ...baseline.metrics.map(key)])];
  const single = baseline.kind === 'run' && current.kind === 'run';
  const stats: ComparedStat[] = single ? ['value'] : ['p50', 'p95'];
  const rows: ComparisonRow[] = [];
  for (const k of keys) {
    const b = base.get(k);
    const c = cur.get(k);
    const any = (c ?? b)!;
    for (const stat of stats) {
      const pick = (m: MetricSummary | undefined): number | null =>
        m ? (stat === 'p95' ? m.p95 : m.p50) : null;
      const bv = pick(b);
      const cv = pick(c);
      const delta = bv !== null && cv !== null ? cv - bv : null;
      const status: RowStatus = !b
        ? 'new'
        : !c
          ? 'missing'
          : bv === null || cv === null
            ? 'unknown'
            : judge(any.unit, bv, cv, tol);
      rows.push({
        drill: any.drill,
        metric: any.metric,
        unit: any.unit,
        stat,
        baseline: bv,
        current: cv,
        delta,
        deltaPct: delta !== null && bv !== null && bv !== 0 ? delta / Math.abs(bv) : null,
        status,
      });
    }
  }
  const strip = ({ metrics: _m, ...rest }: RunSummary) => rest;
  return {
    baseline: strip(baseline),
    current: strip(current),
    tolerance: tol,
    rows,
    regressions: rows.filter((r) => r.status === 'regression').length,
  };
}
