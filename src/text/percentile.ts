/**
 * The one percentile definition of kha-drill: nearest rank. SLO aggregates (`p(95)(…)`), suite
 * statistics and the benchmark's summaries all use it, so a p95 is always a value that was
 * actually measured, never one interpolated between two runs.
 */

/**
 * The p-th percentile (p from 0 to 100, clamped) by nearest rank: the value at rank
 * ⌈p/100 · n⌉ (at least 1) of the values sorted ascending; NaN when there are none.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const q = Math.min(100, Math.max(0, p)) / 100;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}
