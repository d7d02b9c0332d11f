import { describe, expect, it } from 'vitest';
import { offsetOf, toRunClock, type ClockSample } from './clock-offset.js';

const EPOCH = 1_800_000_000;

/** A master whose clock is `skew` ahead of the run clock's epoch mapping; reads at `at` of the trip. */
function sample(sent: number, rtt: number, skew: number, at = 0.5): ClockSample {
  return { sent, received: sent + rtt, master: EPOCH + skew + sent + rtt * at };
}

describe('clock offset from SSH round trips', () => {
  it.each([
    ['a master 4.2 s ahead', 4.2],
    ['a master 7.75 s behind', -7.75],
    ['a master in step', 0],
  ])('%s: the true offset lies within the bound, no wider than the best rtt/2', (_, skew) => {
    // the master reads its clock late in the trip (asymmetric paths): the bound still holds
    const samples = [sample(1, 0.02, skew, 0.9), sample(2, 0.004, skew, 0.95), sample(3, 0.03, skew, 0.1)];
    const o = offsetOf(samples)!;
    expect(o.samples).toBe(3);
    expect(o.errS).toBeLessThanOrEqual(0.002 + 1e-12);
    expect(Math.abs(o.offsetS - (EPOCH + skew))).toBeLessThanOrEqual(o.errS);
    // a master time maps back to the run clock within the same bound
    expect(Math.abs(toRunClock(EPOCH + skew + 12.5, o) - 12.5)).toBeLessThanOrEqual(o.errS);
  });

  it("an inject command's bracket (two readings inside one 30 ms trip) tightens the bound", () => {
    const skew = -3.5;
    // the command ran 26 ms of the 30 ms trip: the offset is pinned within ±2 ms
    const bracket = [
      { sent: 5, received: 5.03, master: EPOCH + skew + 5.002 },
      { sent: 5, received: 5.03, master: EPOCH + skew + 5.028 },
    ];
    const alone = offsetOf([sample(1, 0.02, skew)])!;
    const both = offsetOf([sample(1, 0.02, skew), ...bracket])!;
    expect(alone.errS).toBeCloseTo(0.01, 6);
    expect(both.errS).toBeCloseTo(0.002, 6);
    expect(Math.abs(both.offsetS - (EPOCH + skew))).toBeLessThanOrEqual(both.errS + 1e-9);
  });

  it('a clock that stepped between samples (disjoint intervals): the best single trip', () => {
    const o = offsetOf([sample(1, 0.01, 0), sample(2, 0.004, 0.5)])!;
    expect(o.errS).toBeCloseTo(0.002, 9);
    expect(o.offsetS).toBeCloseTo(EPOCH + 0.5, 6);
  });

  it('ignores unreadable answers; none at all is no estimate', () => {
    expect(offsetOf([{ sent: 1, received: 1.01, master: Number.NaN }])).toBeNull();
    expect(offsetOf([{ sent: 1, received: 1.01, master: 0 }])).toBeNull();
    expect(offsetOf([])).toBeNull();
  });
});
