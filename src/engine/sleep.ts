/** The engine's sleeps: the real clock or a test's, either cut short by an interrupt. */
import { aborted, sleep } from '../time/sleep.js';
import { delay } from '../time/timer.js';

export const realSleep = (ms: number): Promise<void> => delay(ms);

/**
 * A sleep that ends early on `signal`. With the real clock its timer is cleared on abort, so a
 * cut-short 60 s observe does not hold the process for 60 s; with a test sleep it races it.
 */
export function pauseWith(testSleep?: (ms: number) => Promise<void>) {
  return (ms: number, signal: AbortSignal): Promise<void> => {
    if (testSleep) return Promise.race([testSleep(ms), aborted(signal)]);
    return sleep(ms, signal);
  };
}
