/**
 * Reading a stored run back as metric summaries for a baseline: a suite directory (suite.json)
 * or a single run directory (report.json). Only the fields a comparison needs are checked.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_STORED_RUN_BYTES, readBoundedFile } from '../fs/read-file.js';
import { UsageError, ValidationError } from '../errors.js';
import {
  SUITE_FILE,
  SUITE_SCHEMA_VERSION,
  type MetricSummary,
  type RunSummary,
} from '../report/suite/result.js';

const Unit = z.enum(['s', 'ratio', 'count']);
const Nullable = z.number().nullable();

const StoredSuite = z.object({
  schemaVersion: z.literal(SUITE_SCHEMA_VERSION),
  kind: z.literal('suite'),
  runId: z.string(),
  startedAt: z.string(),
  suite: z.object({ name: z.string() }),
  drills: z.array(
    z.object({
      name: z.string(),
      stats: z.array(
        z.object({
          metric: z.string(),
          unit: Unit,
          count: z.number(),
          unknown: z.number(),
          p50: Nullable,
          p95: Nullable,
        }),
      ),
    }),
  ),
});

const StoredRun = z.object({
  schemaVersion: z.literal(1),
  runId: z.string(),
  startedAt: z.string(),
  drill: z.object({ name: z.string() }),
  metrics: z.array(
    z.object({
      name: z.string(),
      unit: Unit,
      value: Nullable,
      status: z.enum(['measured', 'unknown']),
    }),
  ),
});

function readJson(file: string): unknown {
  const read = readBoundedFile(file, { maxBytes: MAX_STORED_RUN_BYTES, what: 'a JSON file' });
  if (!read.ok) throw new UsageError(`${file}: ${read.message}`);
  const text = read.data.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError([{ file, message: `not JSON: ${(err as Error).message}` }]);
  }
}

function invalid(file: string, error: z.ZodError): ValidationError {
  return new ValidationError(
    error.issues.slice(0, 5).map((i) => ({
      file,
      path: i.path.map(String).join('.'),
      message: `${i.message} (not a kha-drill ${path.basename(file)} this version can read)`,
    })),
  );
}

/** The metric summaries of a stored suite or run directory; `display` is how it was given. */
export function readRunSummary(dir: string, display = dir): RunSummary {
  const suiteFile = path.join(dir, SUITE_FILE);
  const reportFile = path.join(dir, 'report.json');
  if (existsSync(suiteFile)) {
    const parsed = StoredSuite.safeParse(readJson(suiteFile));
    if (!parsed.success) throw invalid(suiteFile, parsed.error);
    const s = parsed.data;
    return {
      kind: 'suite',
      dir: display,
      runId: s.runId,
      name: s.suite.name,
      startedAt: s.startedAt,
      metrics: s.drills.flatMap((d) =>
        d.stats.map((m): MetricSummary => ({
          drill: d.name,
          metric: m.metric,
          unit: m.unit,
          count: m.count,
          unknown: m.unknown,
          p50: m.p50,
          p95: m.p95,
        })),
      ),
    };
  }
  if (existsSync(reportFile)) {
    const parsed = StoredRun.safeParse(readJson(reportFile));
    if (!parsed.success) throw invalid(reportFile, parsed.error);
    const r = parsed.data;
    return {
      kind: 'run',
      dir: display,
      runId: r.runId,
      name: r.drill.name,
      startedAt: r.startedAt,
      metrics: r.metrics.map((m): MetricSummary => {
        const v = m.status === 'measured' ? m.value : null;
        return {
          drill: r.drill.name,
          metric: m.name,
          unit: m.unit,
          count: v === null ? 0 : 1,
          unknown: v === null ? 1 : 0,
          p50: v,
          p95: v,
        };
      }),
    };
  }
  throw new UsageError(`${display}: neither ${SUITE_FILE} nor report.json found`, {
    hint: 'give a run directory written by `kha-drill run`, e.g. reports/20261124T130500Z-quarterly',
  });
}
