/**
 * Timers that keep their word for any delay. Node fires a setTimeout of 2^31 ms or more (about
 * 24.8 days) after 1 ms, with only a warning, and treats NaN and negative delays as 1 ms: a
 * 3,000,000 s observe timeout would end at once. Here a long delay is chained through timers
 * Node can hold, a negative or NaN delay is 0, and an infinite one never fires.
 */

/** The longest delay Node's own timers honour. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SafeTimer {
  clear(): void;
  /** lets the process exit while this timer is pending */
  unref(): SafeTimer;
}

/** The delay a timer will really wait: 0 for NaN or negative, as given otherwise. */
export function timerDelay(ms: number): number {
  return Number.isNaN(ms) || ms < 0 ? 0 : ms;
}

/** setTimeout for any delay; `clear()` cancels it. */
export function setSafeTimeout(fn: () => void, ms: number): SafeTimer {
  let remaining = timerDelay(ms);
  let handle: NodeJS.Timeout | null = null;
  let unref = false;
  const schedule = (): void => {
    if (remaining === Infinity) return;
    const step = Math.min(remaining, MAX_TIMER_MS);
    remaining -= step;
    handle = setTimeout(() => {
      handle = null;
      if (remaining > 0) schedule();
      else fn();
    }, step);
    if (unref) handle.unref();
  };
  schedule();
  const timer: SafeTimer = {
    clear() {
      remaining = 0;
      if (handle) clearTimeout(handle);
      handle = null;
    },
    unref() {
      unref = true;
      handle?.unref();
      return timer;
    },
  };
  return timer;
}

/** Resolves after `ms` (any value; see setSafeTimeout). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setSafeTimeout(resolve, ms));
}
