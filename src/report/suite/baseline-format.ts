/**
 * The baseline comparison for people: values, changes, tolerances and verdict labels, the rows
 * worth showing, and the plain-text table (for `compare` and a suite's last lines). Pure; the
 * comparison itself is computed in gameday/baseline.ts.
 */
import type { MetricResult } from '../../metrics/types.js';
import { formatNumber } from '../../text/numbers.js';
import type { Comparison, ComparisonRow, RowStatus, Tolerance } from './result.js';

export function formatTolerance(t: Tolerance): string {
  return `${formatNumber(t.pct * 100)}%,${formatNumber(t.absS)}s`;
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
