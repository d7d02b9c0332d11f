/** Order statistics for the benchmark's error samples. Pure. */
import { percentile } from '../src/text/percentile.js';

/** The q-quantile (0…1) by nearest rank, the one percentile definition (text/percentile.ts); null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  return values.length === 0 ? null : percentile(values, q * 100);
}

export interface ErrorSummary {
  /** samples (runs that produced both a measurement and a ground truth) */
  n: number;
  /** of |error|, in ms */
  median: number | null;
  p95: number | null;
  max: number | null;
  /** mean of the signed error, in ms: positive = later than the truth */
  bias: number | null;
}

/** Summary of signed errors (ms): median, p95 and max of their absolute values, and the bias. */
export function summarizeErrors(errorsMs: readonly number[]): ErrorSummary {
  const abs = errorsMs.map((e) => Math.abs(e));
  return {
    n: errorsMs.length,
    median: quantile(abs, 0.5),
    p95: quantile(abs, 0.95),
    max: abs.length > 0 ? Math.max(...abs) : null,
    bias: errorsMs.length > 0 ? errorsMs.reduce((a, b) => a + b, 0) / errorsMs.length : null,
  };
}

export interface Spread {
  n: number;
  median: number | null;
  p95: number | null;
  max: number | null;
}

/** median, p95 and max of plain values (durations, rates, percentages). */
export function spread(values: readonly number[]): Spread {
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    max: values.length > 0 ? Math.max(...values) : null,
  };
}

/** Least-squares slope of y over x (per unit of x); null with fewer than two points. */
export function slope(ys: readonly number[], xs: readonly number[] = ys.map((_, i) => i)): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}
