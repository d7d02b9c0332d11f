/** Small timing helpers shared by the watchers. */
import { sleep } from '../time/sleep.js';

/**
 * Calls `poll` every `intervalMs` (start to start; a function is asked after each poll) until stopped. A poll never overlaps the
 * previous one: a slow poll delays the next instead of stacking. Errors thrown by `poll` are
 * the caller's bug and end nothing: the loop carries on.
 */
export function startPolling(
  intervalMs: number | (() => number),
  poll: (signal: AbortSignal) => Promise<void>,
): () => Promise<void> {
  const period = typeof intervalMs === 'number' ? () => intervalMs : intervalMs;
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      const started = performance.now();
      try {
        await poll(controller.signal);
      } catch {
        // see above
      }
      await sleep(started + period() - performance.now(), controller.signal);
    }
  })();
  return async () => {
    controller.abort();
    await loop;
  };
}
