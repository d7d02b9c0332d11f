/** Sleeping that an interrupt can cut short, without leaving timers that keep the process alive. */

export const realSleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `signal` aborts (never rejects). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * A sleep that ends early on `signal`. With the real clock its timer is cleared on abort, so a
 * cut-short 60 s observe does not hold the process for 60 s; with a test sleep it races it.
 */
export function pauseWith(testSleep?: (ms: number) => Promise<void>) {
  return (ms: number, signal: AbortSignal): Promise<void> => {
    if (testSleep) return Promise.race([testSleep(ms), aborted(signal)]);
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  };
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
