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
  ])('%s: the true offset lies within ± rtt/2 of the best sample', (_, skew) => {
    // the master reads its clock late in the trip (asymmetric paths): the bound still holds
    const samples = [sample(1, 0.02, skew, 0.9), sample(2, 0.004, skew, 0.95), sample(3, 0.03, skew, 0.1)];
    const o = offsetOf(samples)!;
    expect(o.samples).toBe(3);
    expect(o.errS).toBeCloseTo(0.002, 9);
    expect(Math.abs(o.offsetS - (EPOCH + skew))).toBeLessThanOrEqual(o.errS);
    // a master time maps back to the run clock within the same bound
    expect(Math.abs(toRunClock(EPOCH + skew + 12.5, o) - 12.5)).toBeLessThanOrEqual(o.errS);
  });

  it('ignores unreadable answers; none at all is no estimate', () => {
    expect(offsetOf([{ sent: 1, received: 1.01, master: Number.NaN }])).toBeNull();
    expect(offsetOf([{ sent: 1, received: 1.01, master: 0 }])).toBeNull();
    expect(offsetOf([])).toBeNull();
  });
});
