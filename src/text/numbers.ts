/** How reports and verdict messages print measured numbers: never more precise than measured. */

/** Up to 4 decimals, no trailing zeros: 5.4, 17, 0.99. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toFixed(4)));
}

/**
 * `2.61 ± 0.13 s`, `0.9391 ± 0.0110`, `1` (exact counts). Enough decimals to show the error
 * bound (which is rounded up, never down), at least 2 (4 for ratios).
 */
export function formatMeasured(value: number, errorS: number, unit: 's' | 'ratio' | 'count'): string {
  if (unit === 'count' && errorS === 0) return formatNumber(value);
  const min = unit === 'ratio' ? 4 : 2;
  const digits = errorS > 0 ? Math.min(6, Math.max(min, Math.ceil(-Math.log10(errorS)))) : min;
  const scale = 10 ** digits;
  const err = errorS > 0 ? ` ± ${(Math.ceil(errorS * scale - 1e-9) / scale).toFixed(digits)}` : '';
  return `${value.toFixed(digits)}${err}${unit === 's' ? ' s' : ''}`;
}
