/**
 * Kubernetes MicroTime: RFC 3339 with exactly six fractional digits in UTC ("…T10:00:00.123456Z");
 * metav1.Time is the same to the whole second ("…T10:00:00Z"). Go clients reject the three digits
 * of `Date#toISOString`, and a JavaScript date only carries milliseconds, so parsing keeps the
 * fraction as text and formatting writes it from whole microseconds.
 */
import { KhaError } from '../errors.js';

/** A MicroTime at full precision. */
export interface MicroTime {
  /** whole seconds since the epoch */
  seconds: number;
  micros: number;
}

export class MicroTimeError extends KhaError {
  constructor(message: string) {
    super('E_MICROTIME', message);
    this.name = 'MicroTimeError';
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** "2024-05-01T10:00:00Z" (metav1.Time: whole seconds). */
export function formatWholeSeconds(epochMs: number): string {
  const t = new Date(Math.floor(epochMs / 1000) * 1000);
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}` +
    `T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}Z`
  );
}

function formatParts(t: MicroTime): string {
  return `${formatWholeSeconds(t.seconds * 1000).slice(0, -1)}.${pad(t.micros, 6)}Z`;
}

/** `2024-05-01T10:00:00.123456Z` for epoch milliseconds (fractional part kept to the microsecond). */
export function formatMicroTime(epochMs: number): string {
  // Rounded: a double near 1.7e12 ms only resolves about 0.24 µs.
  const totalMicros = Math.round(epochMs * 1000);
  const seconds = Math.floor(totalMicros / 1_000_000);
  return formatParts({ seconds, micros: totalMicros - seconds * 1_000_000 });
}

export function nowMicroTime(): string {
  return formatMicroTime(wallClockMs());
}

/** Any RFC 3339 time (any precision, any offset) at full precision, or why it is not one. */
function read(input: string): MicroTime | MicroTimeError {
  const m = RFC3339.exec(input);
  if (!m) return new MicroTimeError(`parsing time "${input}" as RFC3339 MicroTime: cannot parse`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  // Not Date.UTC: it reads years 0-99 as 19xx. Both roll 2024-13-01 or 10:60 over; Go refuses them.
  const back = new Date(0);
  back.setUTCFullYear(fields[0], fields[1] - 1, fields[2]);
  back.setUTCHours(fields[3], fields[4], fields[5], 0);
  const local = back.getTime();
  const same =
    back.getUTCFullYear() === fields[0] &&
    back.getUTCMonth() + 1 === fields[1] &&
    back.getUTCDate() === fields[2] &&
    back.getUTCHours() === fields[3] &&
    back.getUTCMinutes() === fields[4] &&
    back.getUTCSeconds() === fields[5];
  if (!Number.isFinite(local) || !same)
    return new MicroTimeError(`parsing time "${input}": value out of range`);
  let offsetMs = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMs = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return { seconds: (local - offsetMs) / 1000, micros: Number(frac.padEnd(6, '0').slice(0, 6)) };
}

/** Normalises any RFC 3339 timestamp to MicroTime form; throws MicroTimeError on anything else. */
export function normalizeMicroTime(input: string): string {
  const t = read(input);
  if (t instanceof MicroTimeError) throw t;
  return formatParts(t);
}

/** An RFC 3339 time at full precision; null when absent or invalid. */
export function parseMicroTime(text: string | null | undefined): MicroTime | null {
  if (!text) return null;
  const t = read(text);
  return t instanceof MicroTimeError ? null : t;
}

/** a − b in seconds. */
export function microDiff(a: MicroTime, b: MicroTime): number {
  return a.seconds - b.seconds + (a.micros - b.micros) / 1e6;
}

/** An RFC 3339 time as epoch milliseconds with the microseconds kept (as a fraction); NaN if not one. */
export function microTimeToEpochMs(text: string | null | undefined): number {
  const t = parseMicroTime(text);
  return t ? t.seconds * 1000 + t.micros / 1000 : Number.NaN;
}
