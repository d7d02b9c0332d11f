/**
 * Suite checks beyond the schema, on the raw data so they add to schema problems: each drill
 * reference resolves to a valid drill file, and each SLO expression parses, names a known metric
 * and a metric the drill's watchers can measure. Problems point inside the YAML (file:line:col).
 */
import { existsSync } from 'node:fs';
import type { Drill } from './schema.js';
import { resolveSuiteDrill } from './resolve-drill.js';
import type { PathSegment, YamlSource } from './source.js';
import type { Problem } from '../errors.js';
import { METRICS, isMetricName, type MetricInfo } from '../metrics/names.js';
import { ExpressionError, checkVocabulary, parseExpression } from '../slo/parse.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface SuiteCheckContext {
  /** the suite file (drill paths are relative to its folder) */
  absPath: string;
  /** where drill names are looked up (./drills), as for `kha-drill run <name>` */
  cwd: string;
  /** validates a drill file (the config loader's check, passed in: it calls this one) */
  checkDrill: (file: string) => { problems: Problem[]; drill?: Drill };
}

export function checkSuiteReferences(raw: Obj, src: YamlSource, ctx: SuiteCheckContext): Problem[] {
  const problems: Problem[] = [];
  const at = (p: PathSegment[], message: string, inside?: number): void => {
    const start = inside === undefined ? undefined : src.stringContentOffset(p);
    problems.push(src.problemAt(start === undefined ? src.offsetOf(p) : start + (inside ?? 0), p, message));
  };
  const drills = Array.isArray(raw.drills) ? raw.drills : [];
  drills.forEach((entry, i) => {
    if (!isObj(entry)) return;
    let drill: Drill | undefined;
    if (typeof entry.drill === 'string' && entry.drill.length > 0) {
      drill = checkDrillRef(entry.drill, ['drills', i, 'drill'], ctx, at);
    }
    const slos = Array.isArray(entry.slo) ? entry.slo : [];
    slos.forEach((expr, j) => {
      if (typeof expr !== 'string') return;
      const p = ['drills', i, 'slo', j];
      try {
        const parsed = parseExpression(expr);
        for (const e of checkVocabulary(parsed)) at(p, e.message, e.offset);
        const name = parsed.metric.name;
        if (drill && isMetricName(name)) {
          const info: MetricInfo = METRICS[name];
          if (info.watcher && !Object.hasOwn(drill.watchers, info.watcher)) {
            at(
              p,
              `${name} needs the ${info.watcher} watcher, which drill ${drill.metadata.name} does not run`,
              parsed.metric.nameSpan.start,
            );
          }
        }
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        at(p, err.message, err.offset);
      }
    });
  });
  return problems;
}

function checkDrillRef(
  ref: string,
  p: PathSegment[],
  ctx: SuiteCheckContext,
  at: (p: PathSegment[], message: string, inside?: number) => void,
): Drill | undefined {
  let file: string;
  try {
    file = resolveSuiteDrill(ref, ctx.absPath, ctx.cwd);
  } catch (err) {
    at(p, err instanceof Error ? err.message : String(err), 0);
    return undefined;
  }
  if (!existsSync(file)) {
    at(p, `no drill file ${file} (paths are relative to the suite file)`, 0);
    return undefined;
  }
  const checked = ctx.checkDrill(file);
  if (checked.drill) return checked.drill;
  const n = checked.problems.length;
  const first = checked.problems[0];
  const where = first?.line !== undefined ? `${first.file}:${first.line}:${first.col ?? 1}` : file;
  at(
    p,
    `drill '${ref}' does not validate (${n} problem${n === 1 ? '' : 's'}, first at ${where}: ${first?.message ?? '?'})`,
    0,
  );
  return undefined;
}
