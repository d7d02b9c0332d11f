/**
 * The engine's clock port: wall time (the report's start and end, the journal's stamps) and its
 * sleeps, the real clock's or a test's, either cut short by an interrupt. No phase reads the
 * wall clock or sets a timer but through it.
 */
import { aborted, sleep } from '../time/sleep.js';
import { delay } from '../time/timer.js';

export interface RunClock {
  /** wall time now, ISO 8601 */
  wallTime(): string;
  sleep(ms: number): Promise<void>;
  /** a sleep that ends early on `signal` */
  pause(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemWallTime = (): string => new Date().toISOString();

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

/** The real clock, or one whose sleeps (and wall time) a test drives. */
export function runClock(
  testSleep?: (ms: number) => Promise<void>,
  wallTime: () => string = systemWallTime,
): RunClock {
  return { wallTime, sleep: testSleep ?? realSleep, pause: pauseWith(testSleep) };
}

export const systemRunClock: RunClock = runClock();
