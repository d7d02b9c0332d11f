/** `kha-drill list`: built-in and local drills with their tags and one-line descriptions. */
import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { listDrills, type DrillEntry } from '../../config/drills.js';
import type { RegisterCommand } from '../types.js';

export const registerList: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('list')
    .description('list built-in drills and those in ./drills, with tags and descriptions')
    .option('--json', 'print JSON for machines')
    .action((opts: { json?: boolean }) => {
      setExit(runList(ctx, opts));
    });
};

export function runList(ctx: Context, opts: { json?: boolean }): number {
  const drills = listDrills(ctx.cwd);
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify(drills, null, 2)}\n`);
    return ExitCode.Ok;
  }
  ctx.stdout.write(renderTable(drills));
  return ExitCode.Ok;
}

export function renderTable(drills: readonly DrillEntry[]): string {
  if (!drills.length) return 'no drills found\n';
  const rows = [
    ['NAME', 'TAGS', 'DESCRIPTION'],
    ...drills.map((d) => [
      d.source === 'local' ? `${d.name} (local)` : d.name,
      d.tags.join(',') || '-',
      d.description,
    ]),
  ];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => `${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  ')}\n`)
    .join('');
}
