/** Reads a stored run back (report.json + timeline.ndjson) for `kha-drill report`. */
import { join } from 'node:path';
import { InputFileError, MAX_STORED_RUN_BYTES, readBoundedFile } from '../fs/read-file.js';
import { UsageError, ValidationError, type Problem } from '../errors.js';
import { parseTimeline, TimelineParseError } from '../timeline/read.js';
import type { TimelineEvent } from '../timeline/events.js';
import { REPORT_SCHEMA_VERSION, type RunResult } from './result.js';
import { RunResultSchema } from './schema.js';
import { TIMELINE_FILE } from './write.js';

export interface StoredRun {
  result: RunResult;
  events: TimelineEvent[];
  /** timeline.ndjson was missing: the run is re-rendered without a drawn timeline */
  timelineMissing: boolean;
  /** the timeline's last line was cut short (a killed run) and was dropped */
  timelineTruncated: boolean;
}

export async function loadRunDir(runDir: string): Promise<StoredRun> {
  const reportFile = join(runDir, 'report.json');
  const read = readBoundedFile(reportFile, { maxBytes: MAX_STORED_RUN_BYTES, what: 'a report.json' });
  if (!read.ok) {
    throw new UsageError(`${reportFile}: ${read.errno === 'ENOENT' ? 'not found' : read.message}`, {
      hint: 'give a run directory written by `kha-drill run`, e.g. reports/20261124T130500Z-scheduler-failover',
    });
  }
  const text = read.data.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ file: reportFile, message: `not JSON: ${(err as Error).message}` }]);
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== REPORT_SCHEMA_VERSION) {
    throw new ValidationError([
      {
        file: reportFile,
        path: 'schemaVersion',
        message: `report schema version ${String(version)} (this kha-drill reads ${REPORT_SCHEMA_VERSION})`,
      },
    ]);
  }
  const parsed = RunResultSchema.safeParse(raw);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.map((i) => ({
      file: reportFile,
      path: i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
      message: i.message,
    }));
    throw new ValidationError(problems);
  }
  // keep the stored object (parse() would reorder keys and drop unknown ones)
  const result = raw as RunResult;

  const timelineFile = join(runDir, TIMELINE_FILE);
  const timelineRead = readBoundedFile(timelineFile, { maxBytes: MAX_STORED_RUN_BYTES, what: 'a timeline' });
  if (!timelineRead.ok) {
    if (timelineRead.errno !== 'ENOENT') throw new InputFileError(timelineFile, timelineRead);
    return { result, events: [], timelineMissing: true, timelineTruncated: false };
  }
  const timelineText = timelineRead.data.toString('utf8');
  try {
    const { events, truncated } = parseTimeline(timelineText);
    return { result, events, timelineMissing: false, timelineTruncated: truncated };
  } catch (err) {
    if (err instanceof TimelineParseError) {
      throw new ValidationError([
        { file: timelineFile, line: err.line, message: err.message.replace(/^timeline line \d+: /, '') },
      ]);
    }
    throw err;
  }
}
