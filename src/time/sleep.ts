/** Waiting that an abort cuts short, without leaving timers that keep the process alive. */
import { setSafeTimeout } from './timer.js';

/** Resolves after `ms`, or at once when `signal` aborts (never rejects); the timer goes with it. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      timer.clear();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setSafeTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` aborts (never rejects). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
