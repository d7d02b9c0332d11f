/**
 * The CLI side of game-days, used by `kha-drill run`: the flags, when a run is a game-day, and
 * the wiring of the orchestration (gameday/run.ts) to the engine, the lab or a real cluster,
 * the lock and the suite report. A single iteration is the engine's normal run (`runIteration`).
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { SshRemote } from '../../engine/live.js';
import { LineProgress } from '../../engine/progress.js';
import {
  liveViewFor,
  loadDrillFor,
  loadInventoryFor,
  sshEnvFor,
  type LoadedDrill,
  type LoadedInventory,
} from '../../engine/session.js';
import { createRunDir, parseFormats, runDirName } from '../../report/index.js';
import type { RunResult } from '../../report/result.js';
import { defaultSloTimings } from '../../slo/evaluate.js';
import { VERSION } from '../../version.js';
import { parseTolerance } from '../../gameday/baseline.js';
import { formatComparisonTable, formatValue } from '../../report/suite/baseline-format.js';
import type { RunSummary, SuiteResult } from '../../report/suite/result.js';
import {
  acquireLock,
  currentOwner,
  DEFAULT_LOCK_FILE,
  DEFAULT_LOCK_TTL_S,
  type HeldLock,
} from '../../engine/cluster-lock.js';
import { isSuiteFile, parseDurationFlag, planGameDay } from '../../gameday/plan.js';
import { verdictSymbol } from '../../report/suite/headline.js';
import { runGameDay } from '../../gameday/run.js';
import { waitSteady } from '../../gameday/steady.js';
import { readRunSummary } from '../../gameday/stored.js';
import { writeSuiteReport } from '../../report/suite/write.js';
import { sleep } from '../../time/sleep.js';

export interface GameDayFlags {
  iterations?: string;
  cooldown?: string;
  stopOnFail?: boolean;
  baseline?: string;
  failOnRegression?: boolean;
  tolerance?: string;
  steadyTimeout?: string;
  lock?: boolean;
  lockFile?: string;
  lockTtl?: string;
}

export interface GameDayCommandOptions extends GameDayFlags {
  inventory?: string;
  out: string;
  format?: string;
  quiet?: boolean;
  /** kubeconfig context, over kubernetes.context */
  context?: string;
}

/** One normal run of a drill into `runDir` (report written there); the engine's runOne. */
export type RunIteration = (inv: LoadedInventory, d: LoadedDrill, runDir: string) => Promise<RunResult>;

export const DEFAULT_STEADY_TIMEOUT_S = 180;

/** Adds the game-day flags to `kha-drill run`. */
export function withGameDayOptions(cmd: Command): Command {
  return cmd
    .option('--iterations <n>', 'run each drill n times (a suite file sets its own; this overrides)')
    .option('--cooldown <duration>', 'pause between runs once steady state holds again (default 30s)')
    .option('--stop-on-fail', 'stop after the first run that does not pass (default: run all)')
    .option('--steady-timeout <duration>', 'how long to wait for steady state between runs', '180s')
    .option('--baseline <run-dir>', 'compare with a stored run or suite directory and flag regressions')
    .option('--tolerance <pct,dur>', 'regression tolerance: seconds worse by both, ratios by pct', '20%,0.5s')
    .option('--fail-on-regression', 'exit 1 when a metric regressed beyond the tolerance')
    .option('--lock', 'hold a lock file on the first reachable master for the whole run (exit 3 if held)')
    .option('--lock-file <path>', 'the lock file on the master', DEFAULT_LOCK_FILE)
    .option('--lock-ttl <duration>', 'lock expiry, refreshed while running', `${DEFAULT_LOCK_TTL_S}s`);
}

/** A game-day (suite directory with statistics) rather than plain runs. */
export function isGameDay(ctx: Pick<Context, 'cwd'>, args: readonly string[], f: GameDayFlags): boolean {
  return (
    args.some((a) => isSuiteFile(a, ctx.cwd)) ||
    f.iterations !== undefined ||
    f.cooldown !== undefined ||
    f.stopOnFail === true ||
    f.baseline !== undefined ||
    f.failOnRegression === true
  );
}

/** The drills `--dry-run` should plan for these arguments (a suite's drills, once each). */
export function drillsToPlan(ctx: Pick<Context, 'cwd'>, args: readonly string[]): string[] {
  if (!args.some((a) => isSuiteFile(a, ctx.cwd))) return [...args];
  return [...new Set(planGameDay(args, ctx.cwd, {}).drills.map((d) => d.file))];
}

function lockSettings(f: GameDayFlags): { file: string; ttlS: number } {
  const file = f.lockFile ?? DEFAULT_LOCK_FILE;
  if (!file.startsWith('/') || /[\0\n]/.test(file))
    throw new UsageError(`bad --lock-file '${file}' (expected an absolute path on the master)`);
  return { file, ttlS: parseDurationFlag('--lock-ttl', f.lockTtl) ?? DEFAULT_LOCK_TTL_S };
}

/**
 * Runs `fn` holding the cluster lock when --lock is given (released on every way out; a run
 * killed with SIGKILL leaves it until it expires).
 */
export async function withClusterLock<T>(
  ctx: Context,
  inv: LoadedInventory,
  f: GameDayFlags & { quiet?: boolean },
  runId: string,
  fn: (lock: HeldLock | null) => Promise<T>,
): Promise<T> {
  if (!f.lock) return fn(null);
  const { file, ttlS } = lockSettings(f);
  const log = new LineProgress(ctx.stderr, f.quiet);
  const remote = new SshRemote(
    inv.inventory,
    sshEnvFor(ctx, inv, (m) => log.warn(m)),
  );
  let lock: HeldLock | null = null;
  try {
    lock = await acquireLock(remote, inv.inventory.masters, currentOwner(runId), {
      file,
      ttlS,
      warn: (m) => log.warn(m),
    });
    log.info(`lock ${lock.master.name}:${file} held until ${lock.info.expires} (refreshed while running)`);
    lock.startRefreshing();
    return await fn(lock);
  } finally {
    await lock?.release();
    await remote.close();
  }
}

export async function runGameDayCommand(
  ctx: Context,
  args: readonly string[],
  opts: GameDayCommandOptions,
  runIteration: RunIteration,
): Promise<number> {
  // everything is read and validated before anything touches the cluster
  const formats = parseFormats(opts.format);
  const tolerance = parseTolerance(opts.tolerance);
  const steadyTimeoutS =
    parseDurationFlag('--steady-timeout', opts.steadyTimeout) ?? DEFAULT_STEADY_TIMEOUT_S;
  if (opts.lock) lockSettings(opts);
  const plan = planGameDay(args, ctx.cwd, opts);
  const inv = loadInventoryFor(ctx, opts.inventory, opts.context);
  const drills = plan.drills.map((p) => loadDrillFor(ctx, p.file, inv.inventory));
  const baseline: RunSummary | null = opts.baseline
    ? readRunSummary(resolve(ctx.cwd, opts.baseline), opts.baseline)
    : null;

  const startedAt = new Date().toISOString();
  const outDir = resolve(ctx.cwd, opts.out);
  const log = new LineProgress(ctx.stderr, opts.quiet);
  const timings = defaultSloTimings(inv.inventory);

  // the lock first: a refused run leaves no directory behind
  const { result, suiteDir } = await withClusterLock(
    ctx,
    inv,
    opts,
    runDirName(startedAt, plan.name),
    async (lock) => {
      const suiteDir = await createRunDir(outDir, startedAt, plan.name);
      const runId = basename(suiteDir);
      const view = liveViewFor(ctx, inv.inventory);
      const remote = new SshRemote(
        inv.inventory,
        sshEnvFor(ctx, inv, (m) => log.warn(m)),
      );
      try {
        const result = await runGameDay(
          {
            plan,
            drills,
            inventory: {
              cluster: inv.inventory.metadata.name,
              file: inv.display,
              digest: inv.digest,
              masters: inv.inventory.masters.map((m) => m.name),
            },
            timings,
            suiteDir,
            runId,
            startedAt,
            options: {
              cooldownS: plan.cooldownS,
              stopOnFail: plan.stopOnFail,
              steadyTimeoutS,
              tolerance,
              failOnRegression: opts.failOnRegression ?? false,
              lock: lock ? { master: lock.master.name, file: lock.file } : null,
            },
            baseline,
            harnessVersion: VERSION,
          },
          {
            runIteration: (d, runDir) => runIteration(inv, d, runDir),
            waitSteady: (drill, timeoutS, stop) =>
              waitSteady(drill, timeoutS, stop, {
                inventory: inv.inventory,
                view,
                remote,
                env: ctx.env,
                sleep,
                now: Date.now,
                onWait: (what, el, bound, detail) => log.wait(what, el, bound, detail),
              }),
            sleep,
            log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
            onSignal: (sig, handler) => ctx.onSignal(sig, handler),
          },
        );
        return { result, suiteDir };
      } finally {
        await remote.close();
        view.close();
      }
    },
  );

  try {
    await writeSuiteReport(suiteDir, result, formats);
  } catch (err) {
    ctx.stderr.write(
      `warning: could not write the suite reports into ${suiteDir}: ${(err as Error).message}\n`,
    );
  }
  printSuite(ctx, result, suiteDir);
  return result.exitCode;
}

function printSuite(ctx: Context, r: SuiteResult, dir: string): void {
  if (r.outcome === 'restore-failed')
    ctx.stderr.write(
      'RESTORE FAILED in a game-day run — the cluster may be degraded: run `kha-drill recover`\n',
    );
  if (r.stopped) ctx.stderr.write(`game-day stopped early: ${r.stopped}\n`);
  for (const e of r.errors) ctx.stderr.write(`kha-drill: ${e}\n`);
  const out: string[] = [
    `game-day ${r.suite.name}: ${r.outcome.toUpperCase()} (exit ${r.exitCode}) — ${r.summary}`,
  ];
  for (const d of r.drills) {
    const passed = d.iterations.filter((i) => i.outcome === 'pass').length;
    out.push(`  ${d.name}: ${passed}/${d.iterations.length} passed`);
    for (const s of d.stats) {
      if (s.count === 0 || s.metric.includes('{')) continue;
      out.push(
        `    ${s.metric}: p50 ${formatValue(s.p50, s.unit)}, p95 ${formatValue(s.p95, s.unit)}, max ${formatValue(s.max, s.unit)} (n=${s.count}${s.unknown ? `, ${s.unknown} unknown` : ''})`,
      );
    }
    for (const v of d.aggregateVerdicts) out.push(`    ${verdictSymbol(v)} ${v.slo}: ${v.message}`);
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
  if (r.baseline) ctx.stdout.write(`\n${formatComparisonTable(r.baseline)}`);
  ctx.stdout.write(`report: ${dir}\n`);
}
