/**
 * A game-day: each planned drill N times in order, one normal run report per iteration, then
 * statistics, aggregate SLOs, the baseline comparison and the suite report. Between runs it
 * waits for the next drill's steady state to hold again (a run returns only after its restore
 * finished), then the cooldown. The suite goes on after a failed iteration only from a steady
 * state; it stops at a failed restore, a refused plan, Ctrl-C/SIGTERM/SIGHUP, or with stopOnFail.
 * I/O comes in through GameDayDeps, so the orchestration runs in tests against fakes.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Drill } from '../config/schema.js';
import { STOP_SIGNALS, type StopSignal } from '../context.js';
import { ExitCode } from '../errors.js';
import type { RunResult } from '../report/result.js';
import { sloExitCode, type SloTimings } from '../slo/evaluate.js';
import { compareRuns } from './baseline.js';
import type { GameDayPlan } from './plan.js';
import {
  SUITE_SCHEMA_VERSION,
  type DrillSummary,
  type IterationRecord,
  type RunSummary,
  type SuiteOutcome,
  type SuiteResult,
} from '../report/suite/result.js';
import { aggregateVerdicts, mergeSlos } from '../slo/suite.js';
import { metricStats } from './stats.js';

/** A drill loaded and validated against the inventory (the engine's LoadedDrill). */
export interface GameDayDrill {
  drill: Drill;
  file: string;
  digest: string;
}

export interface GameDayLog {
  info(text: string): void;
  warn(text: string): void;
}

export interface GameDayDeps {
  /** one normal run of `d` writing its report into `runDir`; resolves after its restore */
  runIteration(d: GameDayDrill, runDir: string): Promise<RunResult>;
  /** until the drill's steady state holds, at most timeoutS; ends early when `stop` aborts */
  waitSteady(drill: Drill, timeoutS: number, stop: AbortSignal): Promise<{ ok: boolean; detail: string }>;
  sleep(ms: number, stop: AbortSignal): Promise<void>;
  log: GameDayLog;
  onSignal(signal: StopSignal, handler: () => void): () => void;
}

export interface GameDayInput {
  plan: GameDayPlan;
  /** parallel to plan.drills */
  drills: GameDayDrill[];
  inventory: SuiteResult['inventory'];
  timings: SloTimings;
  suiteDir: string;
  runId: string;
  startedAt: string;
  options: SuiteResult['options'];
  baseline: RunSummary | null;
  harnessVersion: string;
}

/** `<drill>-01`, or `<drill>-01-2` when a suite lists the drill twice. */
async function iterationDir(suiteDir: string, drill: string, index: number, width: number): Promise<string> {
  const base = `${drill}-${String(index).padStart(width, '0')}`;
  for (let n = 1; n < 1000; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(join(suiteDir, name));
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free directory for ${base} in ${suiteDir}`);
}

function recordOf(index: number, dir: string, r: RunResult): IterationRecord {
  return {
    index,
    runId: r.runId,
    dir,
    outcome: r.outcome,
    exitCode: r.exitCode,
    startedAt: r.startedAt,
    durationS: r.durationS,
    summary: r.summary,
    verdicts: r.verdicts,
    metrics: r.metrics,
  };
}

export async function runGameDay(input: GameDayInput, deps: GameDayDeps): Promise<SuiteResult> {
  const { plan, log } = { plan: input.plan, log: deps.log };
  const stop = new AbortController();
  let interruptedBy: string | null = null;
  const onStop = (sig: StopSignal) => () => {
    if (!interruptedBy) {
      interruptedBy = sig;
      log.warn(`${sig}: the game-day stops after the current run's restore (no further iterations)`);
    }
    stop.abort();
  };
  const offSignals = STOP_SIGNALS.map((sig) => deps.onSignal(sig, onStop(sig)));

  const t0 = Date.now();
  const total = plan.drills.reduce((n, d) => n + d.iterations, 0);
  const records: IterationRecord[][] = plan.drills.map(() => []);
  const errors: string[] = [];
  let stopped: string | null = null;
  let steadyLost = false;
  let runNo = 0;
  let previous: { cooldownS: number } | null = null;

  try {
    outer: for (const [k, planned] of plan.drills.entries()) {
      const loaded = input.drills[k]!;
      const slos = mergeSlos(loaded.drill.slo, planned.suiteSlo);
      const drill: GameDayDrill = { ...loaded, drill: { ...loaded.drill, slo: slos.perIteration } };
      const width = String(planned.iterations).length < 2 ? 2 : String(planned.iterations).length;
      for (let i = 1; i <= planned.iterations; i++) {
        if (stop.signal.aborted) {
          stopped = `interrupted by ${interruptedBy ?? 'a signal'}`;
          break outer;
        }
        if (previous) {
          log.info(`waiting for steady state before ${drill.drill.metadata.name} #${i}`);
          const steady = await deps.waitSteady(drill.drill, input.options.steadyTimeoutS, stop.signal);
          if (stop.signal.aborted) {
            stopped = `interrupted by ${interruptedBy ?? 'a signal'}`;
            break outer;
          }
          if (!steady.ok) {
            steadyLost = true;
            stopped = `steady state did not hold again within ${input.options.steadyTimeoutS} s before ${drill.drill.metadata.name} #${i}: ${steady.detail}`;
            break outer;
          }
          if (previous.cooldownS > 0) {
            log.info(`cooldown ${previous.cooldownS} s`);
            await deps.sleep(previous.cooldownS * 1000, stop.signal);
            if (stop.signal.aborted) {
              stopped = `interrupted by ${interruptedBy ?? 'a signal'}`;
              break outer;
            }
          }
        }
        runNo++;
        const dir = await iterationDir(input.suiteDir, drill.drill.metadata.name, i, width);
        log.info(
          `game-day ${plan.name}: ${drill.drill.metadata.name} iteration ${i}/${planned.iterations} (run ${runNo} of ${total}) → ${dir}`,
        );
        const result = await deps.runIteration(drill, join(input.suiteDir, dir));
        records[k]!.push(recordOf(i, dir, result));
        previous = { cooldownS: planned.cooldownS };
        if (result.outcome === 'interrupted' || stop.signal.aborted) {
          stopped = `interrupted by ${interruptedBy ?? 'a signal'}`;
          break outer;
        }
        if (result.outcome === 'restore-failed') {
          stopped = `${drill.drill.metadata.name} #${i}: restore failed, the cluster may be degraded; no further runs`;
          break outer;
        }
        if (result.exitCode === ExitCode.BadInput) {
          stopped = `${drill.drill.metadata.name} #${i} was refused (exit 2): ${result.summary}`;
          break outer;
        }
        if (plan.stopOnFail && result.exitCode !== ExitCode.Ok) {
          stopped = `stopOnFail: ${drill.drill.metadata.name} #${i} ended ${result.outcome} (exit ${result.exitCode})`;
          break outer;
        }
      }
    }
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
    stopped ??= `error: ${errors[errors.length - 1]}`;
  } finally {
    for (const off of offSignals) off();
  }

  const drills: DrillSummary[] = plan.drills.map((planned, k) => {
    const loaded = input.drills[k]!;
    const slos = mergeSlos(loaded.drill.slo, planned.suiteSlo);
    const iterations = records[k]!;
    const perIteration = iterations.map((it) => it.metrics);
    const agg = iterations.length ? aggregateVerdicts(slos.aggregate, perIteration, input.timings) : [];
    const exitCode = Math.max(
      ExitCode.Ok,
      ...iterations.map((it) => it.exitCode),
      agg.length ? sloExitCode(agg) : ExitCode.Ok,
    );
    return {
      name: loaded.drill.metadata.name,
      description: loaded.drill.metadata.description,
      file: loaded.file,
      digest: loaded.digest,
      plannedIterations: planned.iterations,
      slo: slos.perIteration,
      aggregateSlo: slos.aggregate,
      iterations,
      stats: metricStats(perIteration),
      aggregateVerdicts: agg,
      exitCode,
    };
  });

  const current: RunSummary = {
    kind: 'suite',
    dir: input.suiteDir,
    runId: input.runId,
    name: plan.name,
    startedAt: input.startedAt,
    metrics: drills.flatMap((d) =>
      d.stats.map((s) => ({
        drill: d.name,
        metric: s.metric,
        unit: s.unit,
        count: s.count,
        unknown: s.unknown,
        p50: s.p50,
        p95: s.p95,
      })),
    ),
  };
  const baseline = input.baseline ? compareRuns(input.baseline, current, input.options.tolerance) : null;

  const all = records.flat();
  let exitCode = Math.max(ExitCode.Ok, ...drills.map((d) => d.exitCode));
  if (baseline && baseline.regressions > 0 && input.options.failOnRegression)
    exitCode = Math.max(exitCode, ExitCode.SloViolated);
  if (steadyLost) exitCode = Math.max(exitCode, ExitCode.NotSteady);
  if (interruptedBy || errors.length) exitCode = Math.max(exitCode, ExitCode.Infrastructure);
  const outcome: SuiteOutcome = all.some((it) => it.outcome === 'restore-failed')
    ? 'restore-failed'
    : interruptedBy
      ? 'interrupted'
      : exitCode >= ExitCode.BadInput
        ? 'error'
        : exitCode === ExitCode.SloViolated
          ? 'fail'
          : 'pass';

  const passed = all.filter((it) => it.outcome === 'pass').length;
  const aggs = drills.flatMap((d) => d.aggregateVerdicts);
  const parts = [
    `${passed}/${all.length} iterations passed${all.length < total ? ` (${total} planned)` : ''}`,
  ];
  if (aggs.length)
    parts.push(`${aggs.filter((v) => v.status === 'pass').length}/${aggs.length} aggregate SLOs held`);
  if (baseline)
    parts.push(
      `${baseline.regressions} regression${baseline.regressions === 1 ? '' : 's'} against the baseline`,
    );
  const endedAt = new Date().toISOString();
  return {
    schemaVersion: SUITE_SCHEMA_VERSION,
    kind: 'suite',
    harnessVersion: input.harnessVersion,
    runId: input.runId,
    suite: { name: plan.name, description: plan.description, file: plan.file, digest: plan.digest },
    inventory: input.inventory,
    startedAt: input.startedAt,
    endedAt,
    durationS: (Date.now() - t0) / 1000,
    options: input.options,
    drills,
    baseline,
    outcome,
    exitCode,
    summary: parts.join('; '),
    stopped,
    errors,
  };
}
