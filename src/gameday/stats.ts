/**
 * Statistics of metrics over iterations: pure functions. An unknown measurement is counted
 * separately and never stands in for a value; percentiles are nearest-rank (text/percentile.ts,
 * the one definition SLO aggregates and the benchmark use too), so a p95 is always a value that was actually measured.
 */
import type { MetricResult } from '../metrics/types.js';
import { percentile as nearestRank } from '../text/percentile.js';
import type { MetricStats } from '../report/suite/result.js';

/** Nearest-rank percentile of measured values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  return values.length ? nearestRank(values, p) : null;
}

/** count/min/p50/p95/max of one metric's per-iteration values (null = unknown). */
export function summarize(
  metric: string,
  unit: MetricResult['unit'],
  values: readonly (number | null)[],
  errorS = 0,
): MetricStats {
  const measured = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return {
    metric,
    unit,
    count: measured.length,
    unknown: values.length - measured.length,
    min: measured.length ? Math.min(...measured) : null,
    p50: percentile(measured, 50),
    p95: percentile(measured, 95),
    max: measured.length ? Math.max(...measured) : null,
    values: [...values],
    errorS,
  };
}

/**
 * Per metric (by full name, in order of first appearance) across iterations. An iteration that
 * has no result of a metric that others have counts as unknown for it.
 */
export function metricStats(iterations: readonly (readonly MetricResult[])[]): MetricStats[] {
  const order: string[] = [];
  const units = new Map<string, MetricResult['unit']>();
  for (const results of iterations)
    for (const m of results)
      if (!units.has(m.name)) {
        units.set(m.name, m.unit);
        order.push(m.name);
      }
  return order.map((name) => {
    let errorS = 0;
    const values = iterations.map((results) => {
      const m = results.find((r) => r.name === name);
      if (!m || m.status !== 'measured' || m.value === null) return null;
      errorS = Math.max(errorS, m.errorS);
      return m.value;
    });
    return summarize(name, units.get(name) ?? 's', values, errorS);
  });
}
