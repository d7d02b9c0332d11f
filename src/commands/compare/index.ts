/**
 * `kha-drill compare <run-dir-a> <run-dir-b> [--tolerance 20%,0.5s] [--json] [--fail-on-regression]`:
 * the baseline comparison offline, "before upgrade / after upgrade". A is the baseline, B the
 * current run; each is a single run (report.json) or a suite (suite.json). Touches nothing.
 * Exit 0, or 1 on a regression with --fail-on-regression; 2 when a directory cannot be read.
 */
import path from 'node:path';
import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { compareRuns, parseTolerance } from '../../gameday/baseline.js';
import { formatComparisonTable } from '../../report/suite/baseline-format.js';
import { readRunSummary } from '../../gameday/stored.js';
import type { RegisterCommand } from '../types.js';

export interface CompareOptions {
  tolerance?: string;
  json?: boolean;
  failOnRegression?: boolean;
}

export const registerCompare: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('compare')
    .description('compare two stored runs or suites per metric (p50/p95) and flag regressions')
    .argument('<baseline-dir>', 'the earlier run or suite directory (e.g. before the upgrade)')
    .argument('<current-dir>', 'the later run or suite directory')
    .option(
      '--tolerance <pct,dur>',
      'worse than this is a regression: seconds by both the percentage and the duration, ratios by the percentage, counts by any increase',
      '20%,0.5s',
    )
    .option('--json', 'print the comparison as JSON')
    .option('--fail-on-regression', 'exit 1 when a metric regressed beyond the tolerance')
    .action((a: string, b: string, opts: CompareOptions) => {
      setExit(runCompare(ctx, a, b, opts));
    });
};

export function runCompare(ctx: Context, a: string, b: string, opts: CompareOptions): number {
  const tolerance = parseTolerance(opts.tolerance);
  const baseline = readRunSummary(path.resolve(ctx.cwd, a), a);
  const current = readRunSummary(path.resolve(ctx.cwd, b), b);
  const cmp = compareRuns(baseline, current, tolerance);
  ctx.stdout.write(opts.json ? `${JSON.stringify(cmp, null, 2)}\n` : formatComparisonTable(cmp));
  return cmp.regressions > 0 && opts.failOnRegression ? ExitCode.SloViolated : ExitCode.Ok;
}
