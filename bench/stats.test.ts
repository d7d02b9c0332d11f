import { describe, expect, it } from 'vitest';
import { quantile, slope, spread, summarizeErrors } from './stats.js';

describe('stats', () => {
  it('quantile is the nearest rank (text/percentile.ts) and is null when empty', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([5], 0.95)).toBe(5);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([10, 0, 20], 0.5)).toBe(10);
    // 1..20: p95 at rank ⌈0.95 · 20⌉ = 19 → 19
    expect(
      quantile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(19);
    expect(quantile([1, 2], 2)).toBe(2);
  });

  it('summarizes absolute errors and keeps the sign in the bias', () => {
    const s = summarizeErrors([-10, 20, -30, 40]);
    expect(s).toMatchObject({ n: 4, median: 20, max: 40, bias: 5 });
    expect(s.p95).toBe(40);
    expect(summarizeErrors([])).toEqual({ n: 0, median: null, p95: null, max: null, bias: null });
  });

  it('spread of plain values', () => {
    expect(spread([3, 1, 2])).toMatchObject({ n: 3, median: 2, max: 3 });
  });

  it('slope is the least-squares fit, null without two points', () => {
    expect(slope([1, 3, 5, 7])).toBeCloseTo(2, 9);
    expect(slope([5, 5, 5])).toBe(0);
    expect(slope([1])).toBeNull();
    expect(slope([2, 4], [10, 20])).toBeCloseTo(0.2, 9);
  });
});
