/**
 * Wall-clock time with microseconds. Kubernetes MicroTime is RFC 3339 with exactly six fractional
 * digits and `Z`; `Date#toISOString` gives three and Go clients reject it, so it is never used alone.
 */

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `2024-05-01T10:00:00.123456Z` for epoch milliseconds (fractional part kept to the microsecond). */
export function formatMicroTime(epochMs: number): string {
  // Rounded: a double near 1.7e12 ms only resolves about 0.24 µs.
  const totalMicros = Math.round(epochMs * 1000);
  const seconds = Math.floor(totalMicros / 1_000_000);
  const micros = totalMicros - seconds * 1_000_000;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(micros).padStart(6, '0')}Z`;
}

export function nowMicroTime(): string {
  return formatMicroTime(wallClockMs());
}

/** Epoch seconds of a MicroTime/Time string, truncated to whole seconds (how metav1.Time compares). */
export function wholeSeconds(time: string | undefined): string {
  if (!time) return '';
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : String(Math.floor(ms / 1000));
}
