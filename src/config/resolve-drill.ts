/**
 * Where a drill argument points: a path (has a / or ends in .yaml/.yml) or a name looked up in
 * ./drills of the working directory, then among the built-in drills. Reads folder listings only,
 * never a drill's content, so the config loader can use it.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { suggestion } from '../text/suggest.js';

export function builtInDrillsDir(): string {
  return path.join(PACKAGE_ROOT, 'drills');
}

export function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** The names `run <name>` takes (built-in and local, as `kha-drill list` shows them), sorted. */
function drillNames(cwd: string): string[] {
  const builtInDir = builtInDrillsDir();
  const localDir = path.resolve(cwd, 'drills');
  const files = [...yamlFiles(builtInDir), ...(localDir !== builtInDir ? yamlFiles(localDir) : [])];
  const names = new Set(files.map((f) => path.basename(f).replace(/\.ya?ml$/, '')));
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** Is this argument a path rather than a drill name? */
export function isDrillPath(arg: string): boolean {
  return arg.includes('/') || arg.includes(path.sep) || /\.ya?ml$/.test(arg);
}

/**
 * The file of a drill given by path or name. A name is looked up in ./drills of `cwd`, then
 * among the built-in drills; an unknown name is a usage error with "did you mean".
 */
export function resolveDrill(nameOrPath: string, cwd: string): string {
  if (isDrillPath(nameOrPath)) return path.resolve(cwd, nameOrPath);
  const candidates = [path.resolve(cwd, 'drills'), builtInDrillsDir()].flatMap((dir) => [
    path.join(dir, `${nameOrPath}.yaml`),
    path.join(dir, `${nameOrPath}.yml`),
  ]);
  const found = candidates.find((f) => existsSync(f));
  if (found) return found;
  const names = drillNames(cwd);
  throw new UsageError(`unknown drill '${nameOrPath}' (${suggestion(nameOrPath, names, 'one of')})`, {
    hint: 'kha-drill list shows the drills; a path to a drill file works too',
  });
}

/** The drill file a suite entry names: a path relative to the suite file, or a drill name. */
export function resolveSuiteDrill(ref: string, suiteFile: string, cwd: string): string {
  return isDrillPath(ref) ? path.resolve(path.dirname(suiteFile), ref) : resolveDrill(ref, cwd);
}
