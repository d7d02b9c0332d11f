import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from './sleep.js';
import { MAX_TIMER_MS, delay, setSafeTimeout } from './timer.js';

afterEach(() => vi.useRealTimers());

describe('setSafeTimeout', () => {
  it('waits the whole of a delay past 2^31 ms (Node alone fires it after 1 ms)', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setSafeTimeout(fired, 2_147_484_000); // wait: 2147484s
    vi.advanceTimersByTime(10);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_147_484_000 - MAX_TIMER_MS - 10);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('treats NaN and negative as 0, never fires on Infinity, and clears across the chain', () => {
    vi.useFakeTimers();
    const [nan, neg, inf, cleared] = [vi.fn(), vi.fn(), vi.fn(), vi.fn()];
    setSafeTimeout(nan, NaN);
    setSafeTimeout(neg, -5);
    setSafeTimeout(inf, Infinity);
    const t = setSafeTimeout(cleared, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    t.clear();
    vi.advanceTimersByTime(5 * MAX_TIMER_MS);
    expect(nan).toHaveBeenCalledOnce();
    expect(neg).toHaveBeenCalledOnce();
    expect(inf).not.toHaveBeenCalled();
    expect(cleared).not.toHaveBeenCalled();
  });

  it('sleep and delay go through it: a 30-day sleep does not end in a millisecond', async () => {
    vi.useFakeTimers();
    let slept = false;
    let delayed = false;
    void sleep(30 * 86_400_000, new AbortController().signal).then(() => (slept = true));
    void delay(30 * 86_400_000).then(() => (delayed = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect([slept, delayed]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(30 * 86_400_000);
    expect([slept, delayed]).toEqual([true, true]);
  });
});
