/**
 * Loading kha-drill files: read defensively, parse YAML, validate against the schema chosen by
 * `kind`, check cross-references. Every problem is collected; none throws a stack trace.
 */
import path from 'node:path';
import { ValidationError, type Problem } from '../errors.js';
import { parseConfigText, readConfigText, type YamlSource } from './source.js';
import { issuesToProblems } from './issues.js';
import { checkDrillReferences, checkInventoryRules } from './references.js';
import { API_VERSION, Drill, Inventory, Suite } from './schema.js';
import { checkSuiteReferences } from './suite-check.js';
import { suggestion } from '../text/suggest.js';

export const CONFIG_KINDS = ['Inventory', 'Drill', 'Suite'] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

export interface LoadOptions {
  /** directory relative file names are read from (the Context's cwd) */
  cwd?: string;
  /** refuse any other kind */
  expect?: ConfigKind;
  /** checks master:<name> targets against it */
  inventory?: Inventory;
}

export type LoadedConfig =
  | { kind: 'Inventory'; file: string; absPath: string; data: Inventory }
  | { kind: 'Drill'; file: string; absPath: string; data: Drill }
  | { kind: 'Suite'; file: string; absPath: string; data: Suite };

export interface CheckResult {
  problems: Problem[];
  /** present when there are no problems */
  config?: LoadedConfig;
}

/** Validates one file; never throws for bad input. `file` is shown in problems as given. */
export function checkConfigFile(file: string, opts: LoadOptions = {}): CheckResult {
  const absPath = path.resolve(opts.cwd ?? process.cwd(), file);
  const read = readConfigText(absPath, file);
  if (!read.ok) return { problems: read.problems };
  return checkConfigText(read.text, file, { ...opts, absPath });
}

/** Validates YAML text as if read from `file`. */
export function checkConfigText(
  text: string,
  file: string,
  opts: LoadOptions & { absPath?: string } = {},
): CheckResult {
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) return { problems: parsed.problems };
  const { source, value } = parsed;
  const absPath = opts.absPath ?? path.resolve(opts.cwd ?? process.cwd(), file);

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = Array.isArray(value)
      ? 'a list'
      : `a ${typeof value === 'string' ? 'string' : 'single value'}`;
    return {
      problems: [
        source.problemAt(
          source.offsetOf([]),
          [],
          `top level is ${what} (expected a mapping with apiVersion and kind)`,
        ),
      ],
    };
  }
  const raw = value as Record<string, unknown>;
  const kind = chooseKind(raw, source, opts.expect);
  if (!kind.ok) return { problems: kind.problems };

  const problems: Problem[] = [];
  if (kind.kind === 'Inventory') {
    const result = Inventory.safeParse(raw);
    if (!result.success) problems.push(...issuesToProblems(result.error.issues, raw, Inventory, source));
    else problems.push(...checkInventoryRules(result.data, source));
    if (problems.length || !result.success) return { problems: sortProblems(problems) };
    return { problems, config: { kind: 'Inventory', file, absPath, data: result.data } };
  }
  if (kind.kind === 'Suite') {
    const result = Suite.safeParse(raw);
    if (!result.success) problems.push(...issuesToProblems(result.error.issues, raw, Suite, source));
    const cwd = opts.cwd ?? process.cwd();
    const checkDrill = (f: string) => {
      const c = checkConfigFile(f, { cwd, expect: 'Drill' });
      return { problems: c.problems, ...(c.config?.kind === 'Drill' ? { drill: c.config.data } : {}) };
    };
    problems.push(...checkSuiteReferences(raw, source, { absPath, cwd, checkDrill }));
    if (problems.length || !result.success) return { problems: sortProblems(dedupe(problems)) };
    return { problems, config: { kind: 'Suite', file, absPath, data: result.data } };
  }
  const result = Drill.safeParse(raw);
  if (!result.success) problems.push(...issuesToProblems(result.error.issues, raw, Drill, source));
  problems.push(...checkDrillReferences(raw, source, opts.inventory));
  if (problems.length || !result.success) return { problems: sortProblems(dedupe(problems)) };
  return { problems, config: { kind: 'Drill', file, absPath, data: result.data } };
}

function chooseKind(
  raw: Record<string, unknown>,
  source: YamlSource,
  expect: ConfigKind | undefined,
): { ok: true; kind: ConfigKind } | { ok: false; problems: Problem[] } {
  const kinds = expect ? [expect] : [...CONFIG_KINDS];
  const expected = kinds.join(' or ');
  const fail = (message: string, keyOnly = false): { ok: false; problems: Problem[] } => ({
    ok: false,
    problems: [
      source.problemAt(
        keyOnly ? source.offsetOf([]) : source.offsetOf(['kind']),
        keyOnly ? [] : ['kind'],
        message,
      ),
    ],
  });
  const kind = raw.kind;
  if (kind === undefined) {
    const apiHint = raw.apiVersion === undefined ? ` and apiVersion: ${API_VERSION}` : '';
    return fail(`missing key 'kind' (expected kind: ${expected}${apiHint})`, true);
  }
  if (typeof kind !== 'string') return fail(`kind must be a string (expected ${expected})`);
  if ((CONFIG_KINDS as readonly string[]).includes(kind)) {
    if (expect && kind !== expect)
      return fail(`this file is ${article(kind)} (expected ${article(expect)} here)`);
    return { ok: true, kind: kind as ConfigKind };
  }
  return fail(`unknown kind '${kind}' (${suggestion(kind, kinds, 'one of')})`);
}

function article(kind: string): string {
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Loads a file of any known kind; throws ValidationError (exit 2) listing every problem. */
export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadedConfig {
  const { problems, config } = checkConfigFile(file, opts);
  if (!config) throw new ValidationError(problems);
  return config;
}

export function loadInventoryFile(
  file: string,
  opts: Omit<LoadOptions, 'expect' | 'inventory'> = {},
): Inventory {
  const c = loadConfigFile(file, { ...opts, expect: 'Inventory' });
  if (c.kind !== 'Inventory')
    throw new ValidationError([{ file, message: `expected an Inventory, got ${article(c.kind)}` }]);
  return c.data;
}

export function loadSuiteFile(file: string, opts: Omit<LoadOptions, 'expect' | 'inventory'> = {}): Suite {
  const c = loadConfigFile(file, { ...opts, expect: 'Suite' });
  if (c.kind !== 'Suite')
    throw new ValidationError([{ file, message: `expected a Suite, got ${article(c.kind)}` }]);
  return c.data;
}

export function loadDrillFile(file: string, opts: Omit<LoadOptions, 'expect'> = {}): Drill {
  const c = loadConfigFile(file, { ...opts, expect: 'Drill' });
  if (c.kind !== 'Drill')
    throw new ValidationError([{ file, message: `expected a Drill, got ${article(c.kind)}` }]);
  return c.data;
}
