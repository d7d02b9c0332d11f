/** Small timing helpers shared by the watchers. */
import { sleep } from '../time/sleep.js';

export interface PollingOptions {
  /**
   * Poll once more when asked to stop, after the loop has ended: a watcher stopped right after
   * restore then records the state the restore left (what `raft.catchup_s` and the final API
   * state need) without the caller knowing the poll period.
   */
  lastLook?: boolean;
}

/**
 * Calls `poll` every `intervalMs` (start to start; a function is asked after each poll) until stopped. A poll never overlaps the
 * previous one: a slow poll delays the next instead of stacking. Errors thrown by `poll` are
 * the caller's bug and end nothing: the loop carries on.
 */
export function startPolling(
  intervalMs: number | (() => number),
  poll: (signal: AbortSignal) => Promise<void>,
  options: PollingOptions = {},
): () => Promise<void> {
  const period = typeof intervalMs === 'number' ? () => intervalMs : intervalMs;
  const controller = new AbortController();
  const pollSafely = async (signal: AbortSignal): Promise<void> => {
    try {
      await poll(signal);
    } catch {
      // see above
    }
  };
  const loop = (async () => {
    while (!controller.signal.aborted) {
      const started = performance.now();
      await pollSafely(controller.signal);
      await sleep(started + period() - performance.now(), controller.signal);
    }
  })();
  return async () => {
    controller.abort();
    await loop;
    if (options.lastLook) await pollSafely(new AbortController().signal);
  };
}
