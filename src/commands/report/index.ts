/** `kha-drill report <run-dir> [--format …] [--out dir]`: re-render a stored run. */
import { join, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { parseFormats, REPORT_FORMATS, reporters } from '../../report/index.js';
import { loadRunDir } from '../../report/load.js';
import { checkOutDir } from '../../report/out-dir.js';
import { renderInto, TIMELINE_FILE, writeRunReport } from '../../report/write.js';
import type { RegisterCommand } from '../types.js';

export interface ReportOptions {
  format?: string;
  out?: string;
}

export const registerReport: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('report')
    .description('re-render a stored run (report.json + timeline.ndjson) into report files')
    .argument('<run-dir>', 'a run directory, e.g. reports/20261124T130500Z-scheduler-failover')
    .option('--format <list>', `comma-separated: ${REPORT_FORMATS.join(',')} (default: all)`)
    .option('--out <dir>', 'write into a new run directory under <dir> instead of <run-dir>')
    .action(async (runDir: string, opts: ReportOptions) => {
      setExit(await runReport(ctx, runDir, opts));
    });
};

/** Exit code: 0 when rendered (whatever the run's own outcome; that is in the files). */
export async function runReport(ctx: Context, runDir: string, opts: ReportOptions): Promise<number> {
  const formats = parseFormats(opts.format);
  if (opts.out) checkOutDir(resolve(ctx.cwd, opts.out), opts.out);
  const dir = resolve(ctx.cwd, runDir);
  const stored = await loadRunDir(dir);
  if (stored.timelineMissing)
    ctx.stderr.write(`warning: ${dir}/timeline.ndjson is missing: no timeline will be drawn\n`);
  if (stored.timelineTruncated)
    ctx.stderr.write('warning: the timeline ends with a cut-short line (a killed run); it was dropped\n');
  let files: string[];
  if (opts.out) {
    const runDirOut = await writeRunReport(stored.result, stored.events, resolve(ctx.cwd, opts.out), formats);
    files = [join(runDirOut, TIMELINE_FILE), ...formats.map((f) => join(runDirOut, reporters[f].file))];
  } else {
    // report.json is the source being re-rendered: it is never rewritten in place
    files = await renderInto(
      dir,
      stored.result,
      stored.events,
      formats.filter((f) => f !== 'json'),
    );
  }
  for (const f of files) ctx.stdout.write(`${f}\n`);
  return ExitCode.Ok;
}
