/**
 * Finding drills: built-in ones ship in <package>/drills/, local ones live in ./drills/ of the
 * working directory. A drill argument is a path (has a / or ends in .yaml/.yml) or a name.
 */
import path from 'node:path';
import { checkConfigFile } from './load.js';
import { builtInDrillsDir, yamlFiles } from './resolve-drill.js';

export { builtInDrillsDir, isDrillPath, resolveDrill } from './resolve-drill.js';

export interface DrillEntry {
  /** what `run <name>` takes: the file's base name (normally equal to metadata.name) */
  name: string;
  description: string;
  tags: string[];
  /** built-in (shipped with kha-drill) or local (./drills of the working directory) */
  source: 'built-in' | 'local';
  /** absolute path */
  path: string;
  /** false when the file does not validate; description then says so */
  valid: boolean;
}

/** Built-in drills, then ./drills/*.yaml of `cwd` when that is another folder; a local file shadows a built-in of the same name. */
export function listDrills(cwd: string): DrillEntry[] {
  const builtInDir = builtInDrillsDir();
  const localDir = path.resolve(cwd, 'drills');
  const entries = new Map<string, DrillEntry>();
  const add = (file: string, source: DrillEntry['source']): void => {
    const entry = describeDrillFile(file, source, cwd);
    entries.set(entry.name, entry);
  };
  for (const f of yamlFiles(builtInDir)) add(f, 'built-in');
  if (localDir !== builtInDir) for (const f of yamlFiles(localDir)) add(f, 'local');
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Name, description and tags of a drill file; a broken drill is listed too, marked invalid. */
function describeDrillFile(file: string, source: DrillEntry['source'], cwd: string): DrillEntry {
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const checked = checkConfigFile(file, { expect: 'Drill' });
  if (checked.config?.kind === 'Drill') {
    const { metadata } = checked.config.data;
    return {
      name: name,
      description: metadata.description,
      tags: metadata.tags,
      source,
      path: file,
      valid: true,
    };
  }
  return {
    name: name,
    description: `(invalid: run kha-drill validate ${path.relative(cwd, file) || file})`,
    tags: [],
    source,
    path: file,
    valid: false,
  };
}
