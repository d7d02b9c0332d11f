/**
 * The I/O shell of reporting: `reports/<UTC time>-<drill>/`, never overwriting an existing run,
 * each file written atomically (temp file + rename, so a crash never leaves half a report.json),
 * report.json last so that its presence means the directory is complete.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimelineEvent } from '../timeline/events.js';
import { REPORT_FORMATS, renderReport, reporters, type ReportFormat } from './reporters.js';
import { redactDeep, redactText } from '../text/redact.js';
import type { RunResult } from './result.js';

export const TIMELINE_FILE = 'timeline.ndjson';

export interface WriteReportOptions {
  /**
   * Write into this existing run directory (made with `createRunDir` before the run so that the
   * engine could stream the timeline into it) instead of creating one under `parentDir`.
   */
  runDir?: string;
  /** `timeline.ndjson` is already in the run directory: keep it (redacting it in place). */
  timelineStreamed?: boolean;
}

/** `20261124T130500Z-scheduler-failover` from the run's start time and drill name. */
export function runDirName(startedAt: string, drill: string): string {
  const ms = Date.parse(startedAt);
  const stamp = (Number.isFinite(ms) ? new Date(ms) : new Date())
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  const safeDrill = drill.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'drill';
  return `${stamp}-${safeDrill}`;
}

/**
 * Creates a fresh run directory under `parentDir`: `<name>`, else `<name>-2`, `-3`… (mkdir of
 * the last component fails when it exists, so two runs never share a directory).
 */
export async function createRunDir(parentDir: string, startedAt: string, drill: string): Promise<string> {
  await mkdir(parentDir, { recursive: true });
  const base = runDirName(startedAt, drill);
  for (let n = 1; n < 10_000; n++) {
    const dir = join(parentDir, n === 1 ? base : `${base}-${n}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free run directory for ${base} under ${parentDir}`);
}

/** Writes `text` to `file` through a temporary file in the same directory and a rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
}

/**
 * Renders `formats` (default all) of a run into a new run directory under `parentDir` (or into
 * `options.runDir`) with its timeline, and returns the run directory.
 */
export async function writeRunReport(
  result: RunResult,
  events: readonly TimelineEvent[],
  parentDir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  options: WriteReportOptions = {},
): Promise<string> {
  const runDir = options.runDir ?? (await createRunDir(parentDir, result.startedAt, result.drill.name));
  await mkdir(runDir, { recursive: true });
  if (options.timelineStreamed) await redactFileInPlace(join(runDir, TIMELINE_FILE));
  else
    await writeFileAtomic(
      join(runDir, TIMELINE_FILE),
      events.map((e) => JSON.stringify(redactDeep(e))).join('\n') + (events.length ? '\n' : ''),
    );
  await renderInto(runDir, result, events, formats);
  return runDir;
}

/** Renders formats into `dir`, report.json last. Returns the files written. */
export async function renderInto(
  dir: string,
  result: RunResult,
  events: readonly TimelineEvent[],
  formats: readonly ReportFormat[],
): Promise<string[]> {
  const ordered = [...formats].sort((a, b) => Number(a === 'json') - Number(b === 'json'));
  const written: string[] = [];
  for (const format of ordered) {
    const file = join(dir, reporters[format].file);
    await writeFileAtomic(file, renderReport(format, result, events));
    written.push(file);
  }
  return written;
}

/** A streamed timeline may carry step output with secrets: redact it line by line. */
async function redactFileInPlace(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const redacted = text
    .split('\n')
    .map((line) => (line ? redactLine(line) : line))
    .join('\n');
  if (redacted !== text) await writeFileAtomic(file, redacted);
}

function redactLine(line: string): string {
  try {
    return JSON.stringify(redactDeep(JSON.parse(line) as unknown));
  } catch {
    return redactText(line); // a last line cut short by a killed run
  }
}
