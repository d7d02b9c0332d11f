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
import { formatNumber } from '../text/numbers.js';

export interface Tolerance {
  /** relative, 0.2 = 20 % */
  pct: number;
  /** seconds metrics: the least change that counts */
  absS: number;
}

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

export function formatTolerance(t: Tolerance): string {
  return `${formatNumber(t.pct * 100)}%,${formatNumber(t.absS)}s`;
}

/** One metric of one drill in a stored run or suite. */
export interface MetricSummary {
  drill: string;
  metric: string;
  unit: MetricResult['unit'];
  /** measured iterations */
  count: number;
  unknown: number;
  p50: number | null;
  p95: number | null;
}

export interface RunSummary {
  kind: 'run' | 'suite';
  /** the directory as given */
  dir: string;
  runId: string;
  /** drill or suite name */
  name: string;
  startedAt: string;
  metrics: MetricSummary[];
}

export type ComparedStat = 'p50' | 'p95' | 'value';
export type RowStatus = 'ok' | 'regression' | 'improved' | 'unknown' | 'new' | 'missing';

export interface ComparisonRow {
  drill: string;
  metric: string;
  unit: MetricResult['unit'];
  stat: ComparedStat;
  baseline: number | null;
  current: number | null;
  /** current − baseline */
  delta: number | null;
  /** delta / |baseline|; null when the baseline is 0 or unknown */
  deltaPct: number | null;
  status: RowStatus;
}

export interface Comparison {
  baseline: Omit<RunSummary, 'metrics'>;
  current: Omit<RunSummary, 'metrics'>;
  tolerance: Tolerance;
  rows: ComparisonRow[];
  regressions: number;
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

/** A value for tables: `2.61 s`, `0.9391`, `1`, or `?` when unknown. */
export function formatValue(v: number | null, unit: MetricResult['unit']): string {
  if (v === null) return '?';
  if (unit === 's') return `${v.toFixed(2)} s`;
  if (unit === 'ratio') return v.toFixed(4);
  return formatNumber(v);
}

export function formatDelta(row: ComparisonRow): string {
  if (row.delta === null) return '';
  const sign = row.delta > 0 ? '+' : row.delta < 0 ? '−' : '±';
  const abs = Math.abs(row.delta);
  const d =
    row.unit === 's' ? `${abs.toFixed(2)} s` : row.unit === 'ratio' ? abs.toFixed(4) : formatNumber(abs);
  const pct =
    row.deltaPct !== null ? ` (${sign}${formatNumber(Math.round(Math.abs(row.deltaPct) * 1000) / 10)}%)` : '';
  return `${sign}${d}${pct}`;
}

export const STATUS_LABEL: Record<RowStatus, string> = {
  ok: 'ok',
  regression: 'REGRESSION',
  improved: 'improved',
  unknown: 'unknown',
  new: 'new',
  missing: 'missing',
};

/**
 * The rows worth showing (the JSON keeps them all): not those unknown on both sides, not a
 * labelled row equal to its unlabelled twin (the primary Lease is reported both ways), and a
 * drill found on one side only as one note instead of a row per metric.
 */
export function displayRows(cmp: Comparison): { rows: ComparisonRow[]; notes: string[] } {
  const drillsOf = (status: RowStatus) =>
    new Set(cmp.rows.filter((r) => r.status === status).map((r) => r.drill));
  const onBoth = new Set(
    cmp.rows.filter((r) => r.status !== 'new' && r.status !== 'missing').map((r) => r.drill),
  );
  const onlyBaseline = [...drillsOf('missing')].filter((d) => !onBoth.has(d) && !drillsOf('new').has(d));
  const onlyCurrent = [...drillsOf('new')].filter((d) => !onBoth.has(d) && !drillsOf('missing').has(d));
  const notes = [
    ...onlyBaseline.map((d) => `${d}: only in the baseline (not run this time)`),
    ...onlyCurrent.map((d) => `${d}: not in the baseline`),
  ];
  const skip = new Set([...onlyBaseline, ...onlyCurrent]);
  const key = (r: ComparisonRow, metric: string) => `${r.drill}\u0000${metric}\u0000${r.stat}`;
  const plain = new Map(cmp.rows.filter((r) => !r.metric.includes('{')).map((r) => [key(r, r.metric), r]));
  const rows = cmp.rows.filter((r) => {
    if (skip.has(r.drill)) return false;
    if (r.baseline === null && r.current === null) return false;
    const open = r.metric.indexOf('{');
    if (open < 0) return true;
    const twin = plain.get(key(r, r.metric.slice(0, open)));
    return !twin || twin.baseline !== r.baseline || twin.current !== r.current;
  });
  return { rows, notes };
}

/** The comparison as a plain-text table (for `compare` and the run's last lines). */
export function formatComparisonTable(cmp: Comparison): string {
  const shown = displayRows(cmp);
  const header = ['drill', 'metric', 'stat', 'baseline', 'current', 'change', 'verdict'];
  const body = shown.rows.map((r) => [
    r.drill,
    r.metric,
    r.stat,
    formatValue(r.baseline, r.unit),
    formatValue(r.current, r.unit),
    formatDelta(r),
    STATUS_LABEL[r.status],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [
    `baseline: ${cmp.baseline.dir} (${cmp.baseline.kind} ${cmp.baseline.name}, ${cmp.baseline.startedAt})`,
    `current:  ${cmp.current.dir} (${cmp.current.kind} ${cmp.current.name}, ${cmp.current.startedAt})`,
    `tolerance: ${formatTolerance(cmp.tolerance)} (seconds: worse by more than both; ratios: lower by more than the percentage; counts: any increase)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(shown.notes.length ? ['', ...shown.notes] : []),
    '',
    cmp.regressions
      ? `${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'} beyond the tolerance`
      : 'no regression beyond the tolerance',
  ];
  return `${lines.join('\n')}\n`;
}
