/** Durations in the file formats: `500ms`, `2s`, `1.5s`, `1m` (see schema.ts `Duration`). */
import { UsageError } from '../errors.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
/** The longest duration any file or flag may give: one day (README "Formats"). */
export const MAX_DURATION_S = 24 * 60 * 60;
export const MAX_DURATION_TEXT = '1440m (one day)';
const SECONDS_PER_UNIT = { ms: 0.001, s: 1, m: 60 } as const;

/** Parses a duration into seconds. Throws UsageError for anything the schema would refuse. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m)
    throw new UsageError(`invalid duration '${text}' (expected a number followed by ms, s or m, e.g. 2s)`);
  const seconds = durationSeconds(m);
  if (!(seconds <= MAX_DURATION_S))
    throw new UsageError(`duration '${text}' is too long (expected at most ${MAX_DURATION_TEXT})`);
  return seconds;
}

function durationSeconds(m: RegExpExecArray): number {
  const unit = m[2] as keyof typeof SECONDS_PER_UNIT;
  // Round away binary noise such as 0.1 * 3 so that 300ms is exactly 0.3.
  return Math.round(Number(m[1]) * SECONDS_PER_UNIT[unit] * 1e9) / 1e9;
}

/** Is this well-formed duration longer than MAX_DURATION_S? (the schema's check) */
export function isTooLong(text: string): boolean {
  const m = DURATION.exec(text.trim());
  return m !== null && !(durationSeconds(m) <= MAX_DURATION_S);
}

/** Parses a duration into whole milliseconds. */
export function parseDurationMs(text: string): number {
  return Math.round(parseDuration(text) * 1000);
}
