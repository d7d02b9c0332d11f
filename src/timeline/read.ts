/** Reads a `timeline.ndjson` back, tolerating a last line cut short by a killed run. */
import { MAX_STORED_RUN_BYTES, readInputText } from '../fs/read-file.js';
import type { TimelineEvent } from './events.js';
import { KhaError } from '../errors.js';

export interface ParsedTimeline {
  events: TimelineEvent[];
  /** the last line was incomplete and was dropped */
  truncated: boolean;
}

export class TimelineParseError extends KhaError {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super('E_TIMELINE', `timeline line ${line}: ${message}`);
    this.name = 'TimelineParseError';
  }
}

export function parseTimeline(text: string): ParsedTimeline {
  const lines = text.split('\n');
  const events: TimelineEvent[] = [];
  let truncated = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      // Only the final line may be partial: the writer appends whole lines.
      if (isLast && !text.endsWith('\n')) {
        truncated = true;
        break;
      }
      throw new TimelineParseError(i + 1, (err as Error).message);
    }
    if (!isEvent(parsed)) throw new TimelineParseError(i + 1, 'not a timeline event (needs kind, seq and t)');
    events.push(parsed);
  }
  return { events, truncated };
}

export function readTimeline(file: string): Promise<TimelineEvent[]> {
  return Promise.resolve(parseTimeline(readInputText(file, { maxBytes: MAX_STORED_RUN_BYTES })).events);
}

function isEvent(value: unknown): value is TimelineEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === 'string' && typeof v.seq === 'number' && typeof v.t === 'number';
}
