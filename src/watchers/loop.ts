/** Small timing helpers shared by the watchers. */

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Calls `poll` every `intervalMs` (start to start) until stopped. A poll never overlaps the
 * previous one: a slow poll delays the next instead of stacking. Errors thrown by `poll` are
 * the caller's bug and end nothing: the loop carries on.
 */
export function startPolling(
  intervalMs: number,
  poll: (signal: AbortSignal) => Promise<void>,
): () => Promise<void> {
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      const started = performance.now();
      try {
        await poll(controller.signal);
      } catch {
        // see above
      }
      await sleep(started + intervalMs - performance.now(), controller.signal);
    }
  })();
  return async () => {
    controller.abort();
    await loop;
  };
}

/** `<nodeName>_…` → the master with that nodeName. */
export function masterOfHolder(
  holder: string | null | undefined,
  masters: { name: string; nodeName: string }[],
): string | null {
  if (!holder) return null;
  return masters.find((m) => holder.startsWith(`${m.nodeName}_`))?.name ?? null;
}
