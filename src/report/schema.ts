/**
 * The zod schema of `report.json` (a RunResult). It validates stored reports before
 * `kha-drill report` re-renders them, and `schema/report.schema.json` is generated from it
 * (a test keeps the two in sync). Type assertions below keep it in step with result.ts.
 */
import { z } from 'zod';
import type { MetricResult } from '../metrics/types.js';
import { REPORT_SCHEMA_VERSION, type RunResult } from './result.js';

const Seconds = z.number().describe('seconds on the run clock');

export const MetricResultSchema = z.object({
  name: z.string().min(1),
  value: z.number().nullable(),
  unit: z.enum(['s', 'ratio', 'count']),
  errorS: z.number().min(0),
  status: z.enum(['measured', 'unknown']),
  note: z.string().optional(),
  at: z.number().optional(),
});

export const VerdictSchema = z.object({
  slo: z.string(),
  metric: z.string(),
  status: z.enum(['pass', 'fail', 'unknown']),
  value: z.number().nullable(),
  bound: z.string(),
  message: z.string(),
  unit: z.enum(['s', 'ratio', 'count']).optional(),
  errorS: z.number().min(0).optional(),
  marginal: z.boolean().optional(),
});

export const StepRecordSchema = z.object({
  phase: z.enum(['inject', 'restore']),
  index: z.number().int().min(0),
  id: z.string().optional(),
  action: z.string(),
  targets: z.array(z.string()),
  targetSpec: z.string().optional(),
  host: z.string().optional(),
  command: z.string().optional(),
  startT: Seconds,
  endT: Seconds,
  ok: z.boolean(),
  exitCode: z.number().int().nullable().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  attempts: z.number().int().min(0).optional(),
  brackets: z
    .array(z.object({ master: z.string(), start: z.number(), end: z.number().optional() }))
    .optional()
    .describe("inject steps: each command bracketed by the master's clock (s since the epoch)"),
});

export const FaultRecordSchema = z.object({
  index: z.number().int().min(0),
  master: z.string(),
  source: z.enum([
    'unit-exit',
    'unit-inactive',
    'unit-left-active',
    'unit-restarted',
    'container-exit',
    'bracket',
    'command',
  ]),
  tFault: Seconds,
  lo: Seconds,
  hi: Seconds,
  bracket: z.object({ start: Seconds, end: Seconds }).optional(),
  commandStart: Seconds,
  commandEnd: Seconds,
  stopStart: Seconds.optional().describe('when systemd began the stop (ActiveExitTimestamp), run clock'),
  note: z.string(),
});

export const RunResultSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    harnessVersion: z.string(),
    runId: z.string().min(1),
    drill: z.object({
      name: z.string().min(1),
      description: z.string(),
      tags: z.array(z.string()),
      file: z.string(),
      digest: z.string(),
    }),
    inventory: z.object({
      cluster: z.string(),
      file: z.string(),
      digest: z.string(),
      masters: z.array(z.string()),
    }),
    startedAt: z.string().describe('ISO wall-clock time of t = 0'),
    endedAt: z.string(),
    durationS: z.number().min(0),
    tInject: Seconds.nullable(),
    tRestore: Seconds.nullable(),
    faults: z.array(FaultRecordSchema).optional().describe('t_fault of each inject step, per master'),
    targets: z.record(z.string(), z.array(z.string())),
    steps: z.array(StepRecordSchema),
    metrics: z.array(MetricResultSchema),
    verdicts: z.array(VerdictSchema),
    restore: z.object({ ok: z.boolean(), pending: z.array(z.string()) }),
    outcome: z.enum(['pass', 'fail', 'not-steady', 'error', 'restore-failed', 'interrupted']),
    exitCode: z.number().int().min(0).max(255),
    summary: z.string(),
    errors: z.array(z.string()),
  })
  .describe('kha-drill report.json: the result of one drill run');

// Compile-time checks that the schema and the TypeScript contract describe the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const metricMatches: Same<z.infer<typeof MetricResultSchema>, MetricResult> = true;
const resultMatches: Same<z.infer<typeof RunResultSchema>, RunResult> = true;
void metricMatches;
void resultMatches;

/** The JSON Schema committed as schema/report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RunResultSchema, { target: 'draft-2020-12', io: 'output' });
  return {
    $schema: schema.$schema,
    $id: 'https://kha-drill.dev/schema/report.schema.json',
    title: 'kha-drill report',
    ...schema,
  };
}
