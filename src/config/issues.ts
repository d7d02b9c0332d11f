/**
 * Turns zod issues into Problems a person can act on: "what is wrong (what was expected)",
 * with "did you mean" for misspelt keys and values, pointing at the offending key or value.
 */
import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { closest, suggestion } from '../text/suggest.js';
import type { PathSegment, YamlSource } from './source.js';

type Issue = z.core.$ZodIssue;

/** The parts of zod's internal definitions this file walks (zod 4 `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, Walkable>;
  element?: Walkable;
  innerType?: Walkable;
  in?: Walkable;
  getter?: () => Walkable;
  options?: Walkable[];
  discriminator?: string;
  values?: unknown[];
}
interface Walkable {
  _zod: { def: Def };
}

export function issuesToProblems(
  issues: readonly Issue[],
  raw: unknown,
  schema: unknown,
  src: YamlSource,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) problems.push(...issueToProblems(issue, raw, schema as Walkable, src));
  // "unknown key 'hots' (did you mean 'host'?)" already says what "missing required key 'host'" would
  const suggested = new Set(
    problems.flatMap((p) => {
      const m = /^unknown key '[^']*' \(did you mean '([^']*)'\?\)$/.exec(p.message);
      return m && p.path ? [`${p.path.replace(/(\.[^.[]*|^[^.[]*)$/, '')}|${m[1]}`] : [];
    }),
  );
  return problems.filter((p) => {
    const m = /^missing required key '([^']*)'/.exec(p.message);
    return !(m && p.path && suggested.has(`${p.path.replace(/(\.[^.[]*|^[^.[]*)$/, '')}|${m[1]}`));
  });
}

function issueToProblems(issue: Issue, raw: unknown, schema: Walkable, src: YamlSource): Problem[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const present = has(raw, path);
  const value = valueAt(raw, path);
  const last = path[path.length - 1];
  const at = (p: PathSegment[], message: string, key = false): Problem =>
    src.problemAt(key ? src.keyOffset(p) : src.offsetOf(p), p, message);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeys(schemaAt(schema, path, raw));
      return issue.keys.map((k) =>
        at([...path, k], `unknown key '${k}' (${suggestion(k, allowed, 'one of')})`, true),
      );
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc && (issue as { note?: string }).note === 'No matching discriminator') {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
        if (!present) {
          return [at(path, `missing required key '${disc}' (expected one of: ${options.join(', ')})`)];
        }
        if (typeof value === 'string') {
          return [at(path, `unknown ${disc} '${value}' (${suggestion(value, options, 'one of')})`)];
        }
        return [at(path, `got ${describeValue(value)} (expected one of: ${options.join(', ')})`)];
      }
      const options = unwrap(schemaAt(schema, path, raw))?._zod.def.options ?? [];
      const forms = options.map(describeSchema).join(' or ') || 'one of the allowed forms';
      const literals = options.flatMap((o) => unwrap(o)?._zod.def.values ?? []).map(String);
      const near = typeof value === 'string' ? closest(value, literals) : undefined;
      if (near) return [at(path, `invalid value ${describeValue(value)} (did you mean '${near}'?)`)];
      return [at(path, `got ${describeValue(value)} (expected ${forms})`)];
    }
    case 'invalid_type': {
      const expected = expectedName(issue.expected);
      if (!present && typeof last === 'string')
        return [at(path, `missing required key '${last}' (expected ${expected})`)];
      if (value === null) return [at(path, `empty value (expected ${expected})`)];
      return [at(path, `got ${describeValue(value)} (expected ${expected})`)];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      if (!present && typeof last === 'string') {
        const expected = values.length === 1 ? `'${values[0]}'` : `one of: ${values.join(', ')}`;
        return [at(path, `missing required key '${last}' (expected ${expected})`)];
      }
      if (values.length === 1) return [at(path, `got ${describeValue(value)} (expected '${values[0]}')`)];
      const near = typeof value === 'string' ? closest(value, values) : undefined;
      const hint = near ? `did you mean '${near}'?` : `expected one of: ${values.join(', ')}`;
      return [at(path, `invalid value ${describeValue(value)} (${hint})`)];
    }
    case 'invalid_format': {
      if (typeof value === 'string' && issue.message.startsWith('a target'))
        return [at(path, targetMessage(value))];
      const expected =
        issue.format === 'regex' && issue.message.startsWith('Invalid')
          ? `text matching ${issue.pattern}`
          : issue.message;
      return [at(path, `invalid value ${describeValue(value)} (expected ${expected})`)];
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') {
        return [at(path, `empty list (expected at least ${min} item${min === 1 ? '' : 's'})`)];
      }
      if (issue.origin === 'string')
        return [at(path, `empty value (expected at least ${min} character${min === 1 ? '' : 's'})`)];
      return [
        at(
          path,
          `got ${describeValue(value)} (expected ${issue.inclusive ? 'at least' : 'more than'} ${min})`,
        ),
      ];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string' && typeof value === 'string') {
        return [at(path, `too long: ${value.length} characters (expected at most ${max})`)];
      }
      if (issue.origin === 'array') return [at(path, `too many items (expected at most ${max})`)];
      return [
        at(
          path,
          `got ${describeValue(value)} (expected ${issue.inclusive ? 'at most' : 'less than'} ${max})`,
        ),
      ];
    }
    case 'not_multiple_of':
      return [at(path, `got ${describeValue(value)} (expected a multiple of ${String(issue.divisor)})`)];
    default:
      return [at(path, lowerFirst(issue.message))];
  }
}

const TARGET_KINDS = [
  'etcd-leader',
  'etcd-follower',
  'etcd-follower:all',
  'random-master',
  'all-masters',
  'lease-holder',
  'lease-standby',
  'master',
  'step',
];

function targetMessage(value: string): string {
  const expected =
    'expected etcd-leader, etcd-follower[:all], lease-holder:<ns>/<name>, lease-standby:<ns>/<name>, master:<name>, random-master, all-masters or step:<id>';
  const head =
    value.includes(':') && !value.startsWith('etcd-follower') ? value.slice(0, value.indexOf(':')) : value;
  const near = TARGET_KINDS.includes(head) ? undefined : closest(head, TARGET_KINDS);
  if (near) return `invalid target '${value}' (did you mean '${value.replace(head, near)}'?)`;
  if (head === 'lease-holder' || head === 'lease-standby') {
    return `invalid target '${value}' (expected ${head}:<namespace>/<name>, e.g. ${head}:kube-system/kube-scheduler)`;
  }
  return `invalid target '${value}' (${expected})`;
}

// ---------------------------------------------------------------------------------------------
// values and schemas
// ---------------------------------------------------------------------------------------------

function has(raw: unknown, path: readonly PathSegment[]): boolean {
  let cur: unknown = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return false;
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return true;
}

export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return cur;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') {
    // one line: a newline or other control character in a value is shown escaped
    const shown = [...v].map((c) => (c < ' ' || c === '\x7f' ? JSON.stringify(c).slice(1, -1) : c)).join('');
    return `'${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}'`;
  }
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

function unwrap(s: Walkable | undefined): Walkable | undefined {
  let cur = s;
  for (let i = 0; cur && i < 20; i++) {
    const def: Def = cur._zod.def;
    if (def.getter) cur = def.getter();
    else if (def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
  return cur;
}

/** The schema that validates the value at `path`, choosing union members by their discriminator. */
function schemaAt(root: Walkable, path: readonly PathSegment[], raw: unknown): Walkable | undefined {
  let cur = unwrap(root);
  for (let i = 0; i <= path.length && cur; i++) {
    const def = cur._zod.def;
    if (def.type === 'union' && def.options && (def.discriminator || i < path.length)) {
      const here = valueAt(raw, path.slice(0, i));
      const disc = def.discriminator;
      const pick = disc
        ? def.options.find((o) => {
            const shape = unwrap(o)?._zod.def.shape;
            const lit = shape?.[disc] ? unwrap(shape[disc])?._zod.def.values : undefined;
            return lit?.includes((here as Record<string, unknown> | undefined)?.[disc]);
          })
        : def.options.find((o) => unwrap(o)?._zod.def.type === (Array.isArray(here) ? 'array' : 'object'));
      cur = unwrap(pick);
      i--;
      if (!pick) return undefined;
      continue;
    }
    if (i === path.length) break;
    const seg = path[i]!;
    if (def.type === 'object' && typeof seg === 'string') cur = unwrap(def.shape?.[seg]);
    else if (def.type === 'array' && typeof seg === 'number') cur = unwrap(def.element);
    else return undefined;
  }
  return cur;
}

function objectKeys(s: Walkable | undefined): string[] {
  return Object.keys(s?._zod.def.shape ?? {});
}

function describeSchema(s: Walkable): string {
  const def = unwrap(s)?._zod.def;
  switch (def?.type) {
    case 'literal':
      return (def.values ?? []).map((v) => `'${String(v)}'`).join(' or ');
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return def?.type ?? 'a value';
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
