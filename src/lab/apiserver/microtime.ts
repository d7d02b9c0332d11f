/**
 * Kubernetes MicroTime: RFC 3339 with exactly six fractional digits in UTC ("…T10:00:00.123456Z").
 * JavaScript dates only carry milliseconds, so the fraction is handled as text to keep microseconds.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export class MicroTimeError extends Error {}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Normalises any RFC 3339 timestamp to MicroTime form; throws MicroTimeError on anything else. */
export function normalizeMicroTime(input: string): string {
  const m = RFC3339.exec(input);
  if (!m) throw new MicroTimeError(`parsing time "${input}" as RFC3339 MicroTime: cannot parse`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(epoch) || Number(mo) < 1 || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23) {
    throw new MicroTimeError(`parsing time "${input}": value out of range`);
  }
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    epoch -= sign * offsetMinutes * 60_000;
  }
  return `${formatWholeSeconds(epoch).slice(0, -1)}.${frac.padEnd(6, '0').slice(0, 6)}Z`;
}

/** "2024-05-01T10:00:00Z" (metav1.Time: whole seconds). */
export function formatWholeSeconds(epochMs: number): string {
  const t = new Date(Math.floor(epochMs / 1000) * 1000);
  return (
    `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}` +
    `T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}Z`
  );
}

/** MicroTime of a JavaScript epoch in milliseconds (the last three digits are zero). */
export function microTimeFromEpochMs(epochMs: number): string {
  const ms = ((epochMs % 1000) + 1000) % 1000;
  return `${formatWholeSeconds(epochMs).slice(0, -1)}.${pad(Math.floor(ms), 3)}000Z`;
}

/** Parses an RFC 3339 time (any precision) to epoch milliseconds; NaN when invalid. */
export function parseTime(input: string): number {
  try {
    const n = normalizeMicroTime(input);
    return Date.parse(n.slice(0, 23) + 'Z');
  } catch {
    return Number.NaN;
  }
}
