import { describe, expect, it } from 'vitest';
import { startPolling } from './loop.js';

describe('startPolling', () => {
  it('polls until stopped, and not after, without a last look', async () => {
    const signals: boolean[] = [];
    const stop = startPolling(5, async (signal) => {
      signals.push(signal.aborted);
    });
    await new Promise((r) => setTimeout(r, 30));
    await stop();
    const n = signals.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(n).toBeGreaterThan(0);
    expect(signals.length).toBe(n);
    expect(signals.every((aborted) => !aborted)).toBe(true);
  });

  it('with lastLook, polls once more after stop with a live signal, after the loop ended', async () => {
    const calls: Array<{ aborted: boolean; afterStop: boolean }> = [];
    let stopping = false;
    const stop = startPolling(
      1_000,
      async (signal) => {
        calls.push({ aborted: signal.aborted, afterStop: stopping });
      },
      { lastLook: true },
    );
    await new Promise((r) => setTimeout(r, 10));
    stopping = true;
    await stop();
    expect(calls).toEqual([
      { aborted: false, afterStop: false },
      { aborted: false, afterStop: true },
    ]);
  });

  it('a last look that throws does not break stop', async () => {
    let n = 0;
    const stop = startPolling(
      1_000,
      async () => {
        n += 1;
        if (n > 1) throw new Error('boom');
      },
      { lastLook: true },
    );
    await new Promise((r) => setTimeout(r, 5));
    await expect(stop()).resolves.toBeUndefined();
    expect(n).toBe(2);
  });
});
