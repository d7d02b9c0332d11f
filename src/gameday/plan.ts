/**
 * What a game-day runs: from a suite file, or from drills named on the command line with
 * --iterations. Flags given on the command line win over the suite file's settings.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { resolveDrill } from '../config/drills.js';
import { MAX_DURATION_TEXT, isTooLong, parseDuration } from '../text/duration.js';
import { checkConfigFile, loadSuiteFile } from '../config/load.js';
import { readBoundedFile, readInputFile } from '../fs/read-file.js';
import { UsageError } from '../errors.js';
import { mergeSlos, type SuiteSlos } from '../slo/suite.js';
import { resolveSuiteDrill } from '../config/resolve-drill.js';

export interface PlannedDrill {
  /** as written (name or path) */
  ref: string;
  /** absolute drill file */
  file: string;
  iterations: number;
  /** SLOs from the suite entry, before merging with the drill's */
  suiteSlo: string[];
  cooldownS: number;
}

export interface GameDayPlan {
  name: string;
  description: string;
  file: string | null;
  digest: string | null;
  cooldownS: number;
  stopOnFail: boolean;
  drills: PlannedDrill[];
}

export interface PlanFlags {
  iterations?: string;
  cooldown?: string;
  stopOnFail?: boolean;
}

/** Is this argument a suite file (kind: Suite) rather than a drill? */
export function isSuiteFile(arg: string, cwd: string): boolean {
  if (!/\.ya?ml$/.test(arg)) return false;
  const abs = path.resolve(cwd, arg);
  // a FIFO, device or huge file is not a suite: loading it as a drill says what is wrong
  const read = readBoundedFile(abs);
  return read.ok && /^kind:\s*Suite\s*$/m.test(read.data.toString('utf8'));
}

export function parseIterations(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new UsageError(`bad --iterations '${text}' (expected a whole number from 1 to 1000)`);
  return n;
}

export function parseDurationFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?(ms|s|m)$/.test(text))
    throw new UsageError(`bad ${flag} '${text}' (expected a duration such as 0s, 30s or 2m)`);
  if (isTooLong(text)) throw new UsageError(`bad ${flag} '${text}' (expected at most ${MAX_DURATION_TEXT})`);
  return parseDuration(text);
}

const digestOf = (file: string) => `sha256:${createHash('sha256').update(readInputFile(file)).digest('hex')}`;

/**
 * The plan for `run <args...>`: one suite file alone, or drills (names or files). Drills named
 * on the command line run `--iterations` times each (default 1) with `--cooldown` (default 30 s).
 */
export function planGameDay(args: readonly string[], cwd: string, flags: PlanFlags): GameDayPlan {
  const iterations = parseIterations(flags.iterations);
  const cooldownS = parseDurationFlag('--cooldown', flags.cooldown);
  const suites = args.filter((a) => isSuiteFile(a, cwd));
  if (suites.length > 0) {
    if (args.length > 1)
      throw new UsageError('a suite file runs alone: give either one suite file or drills', {
        hint: 'add the drills to the suite, or run them in a second command',
      });
    const file = path.resolve(cwd, suites[0]!);
    const suite = loadSuiteFile(file, { cwd });
    const suiteCooldown = cooldownS ?? parseDuration(suite.cooldown);
    return {
      name: suite.metadata.name,
      description: suite.metadata.description,
      file,
      digest: digestOf(file),
      cooldownS: suiteCooldown,
      stopOnFail: flags.stopOnFail ?? suite.stopOnFail,
      drills: suite.drills.map((d) => ({
        ref: d.drill,
        file: resolveSuiteDrill(d.drill, file, cwd),
        iterations: iterations ?? d.iterations,
        suiteSlo: d.slo,
        cooldownS: cooldownS ?? (d.cooldown ? parseDuration(d.cooldown) : suiteCooldown),
      })),
    };
  }
  const drills = args.map((ref): PlannedDrill => {
    const file = resolveDrill(ref, cwd);
    return { ref, file, iterations: iterations ?? 1, suiteSlo: [], cooldownS: cooldownS ?? 30 };
  });
  const names = drills.map((d) => {
    const c = checkConfigFile(d.file, { cwd, expect: 'Drill' });
    return c.config?.kind === 'Drill'
      ? c.config.data.metadata.name
      : path.basename(d.file).replace(/\.ya?ml$/, '');
  });
  return {
    name: names.length === 1 ? names[0]! : names.join('+').slice(0, 80),
    description: `${names.join(', ')} × ${iterations ?? 1}`,
    file: null,
    digest: null,
    cooldownS: cooldownS ?? 30,
    stopOnFail: flags.stopOnFail ?? false,
    drills,
  };
}

/** The SLOs a planned drill runs with, from its own list and the suite's. */
export function slosFor(planned: PlannedDrill, drillSlo: readonly string[]): SuiteSlos {
  return mergeSlos(drillSlo, planned.suiteSlo);
}
