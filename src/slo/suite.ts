/**
 * SLOs of a drill inside a suite. The suite's expressions extend the drill's; one on the same
 * subject (metric, labels and aggregate, e.g. `raft.reelection_s`) replaces the drill's. Plain
 * expressions are judged per iteration (by the engine, as in a single run); aggregates such as
 * `p(95)(lease.takeover_s) < 18` are judged across the iterations (aggregateVerdicts).
 */
import type { MetricResult } from '../metrics/types.js';
import { formatMeasured, formatNumber } from '../text/numbers.js';
import type { Verdict } from './verdict.js';
import { matchMetrics } from './evaluate.js';
import {
  aggregateValues,
  compare,
  evaluate,
  formatSubject,
  parseExpression,
  type ArithEnv,
  type SloExpression,
} from './parse.js';

export interface SuiteSlos {
  /** judged in each iteration */
  perIteration: string[];
  /** judged across the iterations */
  aggregate: string[];
}

function subjectOf(source: string): string | null {
  try {
    return formatSubject(parseExpression(source).metric);
  } catch {
    return null;
  }
}

function isAggregate(source: string): boolean {
  try {
    return parseExpression(source).metric.aggregate !== undefined;
  } catch {
    return false;
  }
}

/** The drill's SLOs with the suite's overrides applied, split into per-iteration and aggregate. */
export function mergeSlos(drillSlos: readonly string[], suiteSlos: readonly string[]): SuiteSlos {
  const overridden = new Set(suiteSlos.map(subjectOf).filter((s): s is string => s !== null));
  const kept = drillSlos.filter((s) => {
    const subject = subjectOf(s);
    return subject === null || !overridden.has(subject);
  });
  const all = [...kept, ...suiteSlos];
  return { perIteration: all.filter((s) => !isAggregate(s)), aggregate: all.filter(isAggregate) };
}

/**
 * Verdicts of aggregate expressions over iterations (each iteration's metric results). An
 * unknown iteration is never a value: the aggregate is computed twice, with the unknowns as −∞
 * and as +∞; when both pass (or both fail) that is the verdict, otherwise it is unknown.
 */
export function aggregateVerdicts(
  exprs: readonly string[],
  iterations: readonly (readonly MetricResult[])[],
  timings: ArithEnv,
): Verdict[] {
  return exprs.map((source) => aggregateVerdict(source, iterations, timings));
}

function aggregateVerdict(
  source: string,
  iterations: readonly (readonly MetricResult[])[],
  timings: ArithEnv,
): Verdict {
  let expr: SloExpression;
  try {
    expr = parseExpression(source);
  } catch (err) {
    return {
      slo: source,
      metric: source,
      status: 'unknown',
      value: null,
      bound: '',
      message: `invalid expression: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const subject = formatSubject(expr.metric);
  const threshold = evaluate(expr.rhs, timings);
  const bound = `${expr.op} ${formatNumber(threshold)}`;
  const base = { slo: source, metric: subject, bound };
  const measured: number[] = [];
  let unknown = 0;
  let errorS = 0;
  let unit: MetricResult['unit'] | undefined;
  for (const results of iterations) {
    const matched = matchMetrics(expr.metric, results);
    if (matched.length === 0) unknown++;
    for (const m of matched) {
      unit ??= m.unit;
      if (m.status !== 'measured' || m.value === null) unknown++;
      else {
        measured.push(m.value);
        errorS = Math.max(errorS, m.errorS);
      }
    }
  }
  const total = measured.length + unknown;
  const unitPart = unit ? { unit } : {};
  if (measured.length === 0) {
    return {
      ...base,
      ...unitPart,
      status: 'unknown',
      value: null,
      message: `not measured in any of ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}`,
    };
  }
  const agg = expr.metric.aggregate;
  const value = aggregateValues(agg, measured);
  const low = aggregateValues(agg, [...measured, ...Array<number>(unknown).fill(-Infinity)]);
  const high = aggregateValues(agg, [...measured, ...Array<number>(unknown).fill(Infinity)]);
  // comparisons with ±Infinity are well defined: the unknowns at either extreme
  const holdsLow = compare(expr.op, low, threshold);
  const holdsHigh = compare(expr.op, high, threshold);
  const decided = holdsLow === holdsHigh;
  const shown = formatMeasured(value, errorS, unit ?? 's');
  const over = `over ${measured.length} of ${total} measurement${total === 1 ? '' : 's'}`;
  if (unknown > 0 && !decided) {
    return {
      ...base,
      ...unitPart,
      status: 'unknown',
      value,
      errorS,
      message: `${shown} ${over}; ${unknown} unknown could decide it either way: not judged`,
    };
  }
  const held = holdsLow;
  const marginal =
    errorS > 0 && compare(expr.op, value - errorS, threshold) !== compare(expr.op, value + errorS, threshold);
  const unknownNote = unknown > 0 ? `; holds whatever the ${unknown} unknown were` : '';
  return {
    ...base,
    ...unitPart,
    status: held ? 'pass' : 'fail',
    value,
    errorS,
    ...(marginal ? { marginal } : {}),
    message: `${shown} ${over}, bound ${bound}: ${held ? 'held' : 'violated'}${unknownNote}${marginal ? `; within error bound ±${formatNumber(errorS)}` : ''}`,
  };
}
