/**
 * `kha-drill validate [files...]`: schema and cross-reference checks of drills and inventories.
 * Prints `ok <file> (<Kind> <name>)` per good file and every problem as
 * `file:line:col path: message`; exit 2 when there is any. Touches nothing but the files.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../../context.js';
import { ExitCode, UsageError, formatProblem, type Problem } from '../../errors.js';
import { checkConfigFile, type CheckResult, type LoadedConfig } from '../../config/load.js';
import { findInventoryPath } from '../../config/inventory.js';
import type { Inventory } from '../../config/schema.js';
import type { RegisterCommand } from '../types.js';

export interface ValidateOptions {
  inventory?: string;
}

export const registerValidate: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('validate')
    .description(
      'check drill and inventory files: every problem as file:line:col (default: drills/*.yaml and the inventory)',
    )
    .argument('[files...]', 'drill or inventory YAML files')
    .option('-i, --inventory <file>', 'check master:<name> targets against this inventory')
    .action((files: string[], opts: ValidateOptions) => {
      setExit(runValidate(ctx, files, opts));
    });
};

/** The files `validate` checks when given none: ./drills/*.yaml and the inventory, if any. */
function defaultFiles(ctx: Context, opts: ValidateOptions): string[] {
  const dir = path.join(ctx.cwd, 'drills');
  const drills = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join('drills', f))
    : [];
  const inv = findInventoryPath(ctx, opts.inventory);
  const files = [...drills, ...(inv ? [inv.display] : [])];
  if (!files.length) {
    throw new UsageError('nothing to validate: no drills/*.yaml and no inventory here', {
      hint: 'name the files: kha-drill validate my-drill.yaml inventory.yaml',
    });
  }
  return files;
}

export function runValidate(ctx: Context, files: string[], opts: ValidateOptions): number {
  const given = files.length ? files : defaultFiles(ctx, opts);
  const list = opts.inventory ? [opts.inventory, ...given] : given;
  // each file once, in the order given
  const seen = new Set<string>();
  const unique = list.filter((f) => {
    const abs = path.resolve(ctx.cwd, f);
    if (seen.has(abs)) return false;
    seen.add(abs);
    return true;
  });

  const results = new Map<string, CheckResult>();
  for (const f of unique) results.set(f, checkConfigFile(f, { cwd: ctx.cwd }));

  // Cross-references need one inventory: -i, else the only one among the files.
  const inventory = pickInventory(results, opts.inventory);
  if (inventory) {
    for (const [f, r] of results) {
      if (r.config?.kind !== 'Inventory') {
        results.set(f, checkConfigFile(f, { cwd: ctx.cwd, inventory }));
      }
    }
  }

  let bad = 0;
  const problems: Problem[] = [];
  for (const f of unique) {
    const r = results.get(f)!;
    if (r.config) ctx.stdout.write(`ok ${f} (${describe(r.config)})\n`);
    else {
      bad++;
      problems.push(...r.problems);
      for (const p of r.problems) ctx.stderr.write(`${formatProblem(p)}\n`);
    }
  }
  if (!bad) return ExitCode.Ok;
  const n = problems.length;
  ctx.stderr.write(
    `${n} problem${n === 1 ? '' : 's'} in ${bad} of ${unique.length} file${unique.length === 1 ? '' : 's'}\n`,
  );
  return ExitCode.BadInput;
}

function pickInventory(results: Map<string, CheckResult>, flag: string | undefined): Inventory | undefined {
  if (flag) {
    const r = results.get(flag);
    return r?.config?.kind === 'Inventory' ? r.config.data : undefined;
  }
  const inventories = [...results.values()].flatMap((r) =>
    r.config?.kind === 'Inventory' ? [r.config.data] : [],
  );
  return inventories.length === 1 ? inventories[0] : undefined;
}

function describe(c: LoadedConfig): string {
  return `${c.kind} ${c.data.metadata.name}`;
}
