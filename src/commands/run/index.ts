/**
 * `kha-drill run <drill>... [-i inv] [--out reports/] [--format …] [--dry-run] [--yes] [--quiet]`:
 * runs drills one after the other (stopping at the first that cannot be trusted to leave the
 * cluster as found: exit 3, 4 or 5) and returns the worst exit code. `--dry-run` prints the plan.
 */
import { basename, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { computeMetrics } from '../../metrics/index.js';
import {
  createRunDir,
  parseFormats,
  writeRunReport,
  TIMELINE_FILE,
  type ReportFormat,
} from '../../report/index.js';
import { checkOutDir } from '../../report/out-dir.js';
import type { RunResult } from '../../report/result.js';
import { defaultSloTimings } from '../../slo/evaluate.js';
import { Timeline } from '../../timeline/index.js';
import { VERSION } from '../../version.js';
import { startWatchers } from '../../watchers/index.js';
import { SshRemote } from '../../engine/live.js';
import { LineProgress, type Progress } from '../../engine/progress.js';
import { systemRunClock } from '../../engine/clock.js';
import { runDrill } from '../../engine/run.js';
import {
  liveViewFor,
  loadDrillFor,
  loadInventoryFor,
  sshEnvFor,
  type LoadedDrill,
  type LoadedInventory,
} from '../../engine/session.js';
import {
  drillsToPlan,
  isGameDay,
  runGameDayCommand,
  withClusterLock,
  withGameDayOptions,
  type GameDayFlags,
} from './suite.js';
import { runPlan } from '../plan/index.js';
import type { RegisterCommand } from '../types.js';
import { ListrProgress } from './listr-progress.js';

export interface RunOptions extends GameDayFlags {
  inventory?: string;
  out: string;
  format?: string;
  dryRun?: boolean;
  yes?: boolean;
  quiet?: boolean;
  /** kubeconfig context, over kubernetes.context */
  context?: string;
}

export const registerRun: RegisterCommand = (program, ctx, setExit) => {
  withGameDayOptions(
    program
      .command('run')
      .description(
        'run drills or a suite: preflight, steady state, inject, observe, restore (always), report',
      )
      .argument('<drill...>', 'drill names or files, or one suite file (kind: Suite)')
      .option('-i, --inventory <file>', 'inventory (default: KHA_INVENTORY, then ./inventory.yaml)')
      .option('--out <dir>', 'where run folders are written', 'reports')
      .option('--format <list>', 'report formats: json,junit,md,html (default: all)')
      .option('--dry-run', 'resolve targets and print every step as it would run; touch nothing')
      .option('--yes', 'accept a plan that the drill marks allowQuorumLoss: true')
      .option('--quiet', 'no progress, only warnings and the result line')
      .option('--context <name>', 'kubeconfig context (default: kubernetes.context, then current-context)'),
  ).action(async (drills: string[], opts: RunOptions) => {
    setExit(await runCommand(ctx, drills, opts));
  });
};

function progressFor(ctx: Context, opts: RunOptions): Progress {
  const fancy = ctx.stderr.isTTY && !opts.quiet && !ctx.env.NO_COLOR && !ctx.env.CI;
  return fancy ? new ListrProgress(ctx.stderr) : new LineProgress(ctx.stderr, opts.quiet);
}

export async function runCommand(ctx: Context, drills: string[], opts: RunOptions): Promise<number> {
  if (opts.dryRun)
    return runPlan(ctx, drillsToPlan(ctx, drills), {
      ...(opts.inventory ? { inventory: opts.inventory } : {}),
      ...(opts.yes ? { yes: true } : {}),
      ...(opts.context ? { context: opts.context } : {}),
    });
  const formats = parseFormats(opts.format);
  checkOutDir(resolve(ctx.cwd, opts.out), opts.out);
  // suites, --iterations, --baseline…: one suite directory with statistics (gameday/)
  if (isGameDay(ctx, drills, opts))
    return runGameDayCommand(ctx, drills, opts, (inv, d, runDir) =>
      runOne(ctx, inv, d, opts, formats, runDir),
    );
  const inv = loadInventoryFor(ctx, opts.inventory, opts.context);
  // every drill is validated before the first one runs
  const loaded = drills.map((d) => loadDrillFor(ctx, d, inv.inventory));
  const lockId = `${new Date().toISOString()}-${loaded.map((d) => d.drill.metadata.name).join('+')}`;
  return withClusterLock(ctx, inv, opts, lockId, async () => {
    let worst: number = ExitCode.Ok;
    for (const d of loaded) {
      const code = (await runOne(ctx, inv, d, opts, formats)).exitCode;
      worst = Math.max(worst, code);
      if (code >= ExitCode.NotSteady) break;
    }
    return worst;
  });
}

async function runOne(
  ctx: Context,
  inv: LoadedInventory,
  d: LoadedDrill,
  opts: RunOptions,
  formats: ReportFormat[],
  /** an existing directory to run in (a game-day iteration's) */
  intoDir?: string,
): Promise<RunResult> {
  const outDir = resolve(ctx.cwd, opts.out);
  const startedAt = new Date().toISOString();
  const runDir = intoDir ?? (await createRunDir(outDir, startedAt, d.drill.metadata.name));
  const runId = basename(runDir);
  const timeline = new Timeline({ file: resolve(runDir, TIMELINE_FILE) });
  const progress = progressFor(ctx, opts);
  const view = liveViewFor(ctx, inv.inventory);
  const remote = new SshRemote(
    inv.inventory,
    sshEnvFor(ctx, inv, (m) => progress.warn(m)),
  );
  const primaryLease =
    d.drill.observe.until && 'lease' in d.drill.observe.until
      ? d.drill.observe.until.lease
      : d.drill.watchers.lease?.leases[0];
  let result: RunResult;
  try {
    result = await runDrill({
      input: {
        drill: d.drill,
        drillFile: d.file,
        drillDigest: d.digest,
        inventory: inv.inventory,
        inventoryFile: inv.display,
        inventoryDigest: inv.digest,
        runId,
        runDir,
        harnessVersion: VERSION,
        env: ctx.env,
        timings: defaultSloTimings(inv.inventory),
        yes: opts.yes ?? false,
      },
      ports: {
        view,
        remote,
        timeline,
        startWatchers: () =>
          startWatchers(d.drill.watchers, inv.inventory, timeline, { runId, env: ctx.env, kube: view.conn }),
        computeMetrics: (events) => computeMetrics(events, primaryLease ? { primaryLease } : {}),
        progress,
        onSignal: (sig, handler) => ctx.onSignal(sig, handler),
        clock: systemRunClock,
        random: Math.random,
      },
    });
  } finally {
    progress.close();
    if (progress instanceof ListrProgress) await progress.finished();
    await remote.close();
    view.close();
    timeline.close();
  }
  try {
    await writeRunReport(result, timeline.events(), outDir, formats, { runDir, timelineStreamed: true });
  } catch (err) {
    ctx.stderr.write(`warning: could not write the reports into ${runDir}: ${(err as Error).message}\n`);
  }
  printResult(ctx, result, runDir);
  return result;
}

function printResult(ctx: Context, r: RunResult, runDir: string): void {
  if (r.outcome === 'restore-failed') {
    // loud and first: the cluster may be degraded
    ctx.stderr.write(
      `RESTORE FAILED — the cluster may be degraded. Still pending:\n${r.restore.pending.map((p) => `  - ${p}`).join('\n')}\nrun \`kha-drill recover\` once the cause is fixed\n`,
    );
  }
  for (const e of r.errors) ctx.stderr.write(`kha-drill: ${e}\n`);
  const verdicts = r.verdicts.map(
    (v) => `  ${v.status === 'pass' ? '✓' : v.status === 'fail' ? '✗' : '?'} ${v.slo}: ${v.message}`,
  );
  ctx.stdout.write(`${r.drill.name}: ${r.outcome.toUpperCase()} (exit ${r.exitCode}) — ${r.summary}\n`);
  if (verdicts.length) ctx.stdout.write(verdicts.join('\n') + '\n');
  ctx.stdout.write(`report: ${runDir}\n`);
}
