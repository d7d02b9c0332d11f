/**
 * SLO verdicts: parsed expressions (slo/parse.ts) checked against measured metrics.
 *
 * - A metric that is missing or `unknown` gives an `unknown` verdict, never a pass.
 * - The verdict follows the measured value itself. When the value's error interval
 *   (value ± errorS) straddles the bound, the verdict is marked `marginal` and its message says
 *   "within error bound": the run neither proves nor disproves the SLO more precisely than the
 *   watchers could see, and a reader must know that. (Failing every marginal pass instead would
 *   make a drill fail on a slow poll interval; passing every marginal fail would hide violations.)
 * - Composition: worst wins, fail > unknown > pass (Jepsen's checker rule).
 */
import { parseDuration } from '../text/duration.js';
import { ExitCode } from '../errors.js';
import type { MetricResult } from '../metrics/types.js';
import { formatMeasured, formatNumber } from '../text/numbers.js';
import type { Verdict, VerdictStatus } from './verdict.js';
import {
  aggregateValues,
  compare,
  evaluate,
  formatSubject,
  parseExpression,
  type ArithEnv,
  type MetricRef,
  type SloExpression,
} from './parse.js';

/** The inventory's leader-election timings in seconds: the identifiers of SLO expressions. */
export type SloTimings = ArithEnv;

/** Kubernetes' defaults (15 s / 10 s / 2 s). */
export const KUBERNETES_DEFAULT_TIMINGS: SloTimings = {
  leaseDuration: 15,
  renewDeadline: 10,
  retryPeriod: 2,
};

/** The timings an inventory declares (`kubernetes.leaderElection`), in seconds. */
export function defaultSloTimings(inventory: {
  kubernetes: { leaderElection: { leaseDuration: string; renewDeadline: string; retryPeriod: string } };
}): SloTimings {
  const le = inventory.kubernetes.leaderElection;
  return {
    leaseDuration: parseDuration(le.leaseDuration),
    renewDeadline: parseDuration(le.renewDeadline),
    retryPeriod: parseDuration(le.retryPeriod),
  };
}

/**
 * Timings per Lease, as observed on the cluster: an expression on a Lease metric uses its Lease's
 * (`{lease=…}`, else the drill's primary Lease); others use `primary`'s too when given.
 */
export interface LeaseSloTimings {
  byLease: Record<string, SloTimings>;
  /** the Lease the drill acts on: for unlabelled expressions */
  primary?: string;
}

/** The timings an expression's identifiers stand for, and which Lease they were observed for. */
export function timingsFor(
  metric: MetricRef,
  timings: SloTimings,
  perLease?: LeaseSloTimings,
): { env: SloTimings; lease?: string } {
  if (!perLease) return { env: timings };
  const lease = metric.labels.lease ?? perLease.primary;
  const env = lease === undefined ? undefined : perLease.byLease[lease];
  return env && lease !== undefined ? { env, lease } : { env: timings };
}

const SEVERITY: Record<VerdictStatus, number> = { pass: 0, unknown: 1, fail: 2 };

/** Worst wins: fail > unknown > pass. An empty list passes (no SLO to break). */
export function worstStatus(statuses: Iterable<VerdictStatus>): VerdictStatus {
  let worst: VerdictStatus = 'pass';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

export function overallVerdict(verdicts: readonly Verdict[]): VerdictStatus {
  return worstStatus(verdicts.map((v) => v.status));
}

/**
 * The exit code the SLO verdicts call for: 1 when any failed. An `unknown` verdict also gives 1
 * by default (an SLO that could not be verified did not hold as far as anyone knows; a pipeline
 * must not go green on it); `{ unknownFails: false }` makes it 0.
 */
export function sloExitCode(
  verdicts: readonly Verdict[],
  options: { unknownFails?: boolean } = {},
): ExitCode {
  const worst = overallVerdict(verdicts);
  if (worst === 'fail') return ExitCode.SloViolated;
  if (worst === 'unknown' && (options.unknownFails ?? true)) return ExitCode.SloViolated;
  return ExitCode.Ok;
}

/** Evaluates each SLO expression against the run's metrics; one verdict per expression. */
export function evaluateSlos(
  exprs: readonly string[],
  metrics: readonly MetricResult[],
  timings: SloTimings,
  perLease?: LeaseSloTimings,
): Verdict[] {
  return exprs.map((source) => evaluateOne(source, metrics, timings, perLease));
}

/**
 * Live abort check while observing: the first abort expression that holds on a measured value,
 * as a message, or null. Unknown metrics never abort (they are not evidence of harm).
 */
export function evaluateAbort(
  exprs: readonly string[],
  metrics: readonly MetricResult[],
  timings: SloTimings = KUBERNETES_DEFAULT_TIMINGS,
  perLease?: LeaseSloTimings,
): string | null {
  for (const source of exprs) {
    let expr: SloExpression;
    try {
      expr = parseExpression(source);
    } catch {
      continue; // validated before the run; an unparsable one cannot fire
    }
    const threshold = evaluate(expr.rhs, timingsFor(expr.metric, timings, perLease).env);
    const matched = matchMetrics(expr.metric, metrics);
    for (const m of matched) {
      if (m.status !== 'measured' || m.value === null) continue;
      if (compare(expr.op, m.value, threshold)) {
        return `abort condition '${source}' holds: ${m.name} = ${formatMeasured(m.value, m.errorS, m.unit)}`;
      }
    }
  }
  return null;
}

function evaluateOne(
  source: string,
  metrics: readonly MetricResult[],
  timings: SloTimings,
  perLease?: LeaseSloTimings,
): Verdict {
  let expr: SloExpression;
  try {
    expr = parseExpression(source);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      slo: source,
      metric: source.split(/[<>=!]/)[0]?.trim() ?? source,
      status: 'unknown',
      value: null,
      bound: '',
      message: `invalid expression: ${message}`,
    };
  }
  const subject = formatSubject(expr.metric);
  const { env, lease } = timingsFor(expr.metric, timings, perLease);
  const threshold = evaluate(expr.rhs, env);
  const bound = `${expr.op} ${formatNumber(threshold)}`;
  const rhsText = source.slice(expr.rhs.span.start, expr.rhs.span.end).trim();
  const observed =
    lease !== undefined
      ? ` with ${lease}'s observed ${formatNumber(env.leaseDuration)}/${formatNumber(env.renewDeadline)}/${formatNumber(env.retryPeriod)} s`
      : '';
  const boundNote = /[A-Za-z]/.test(rhsText) ? ` (${rhsText}${observed})` : '';
  const base = { slo: source, metric: subject, bound };

  const matched = matchMetrics(expr.metric, metrics);
  if (matched.length === 0) {
    return { ...base, status: 'unknown', value: null, message: `not measured: no ${subject} in this run` };
  }
  const unit = matched[0]!.unit;
  const unknown = matched.find((m) => m.status !== 'measured' || m.value === null);
  if (unknown) {
    return {
      ...base,
      status: 'unknown',
      value: null,
      unit,
      message: `could not be measured${unknown.note ? `: ${unknown.note}` : ''}${matched.length > 1 ? ` (${unknown.name})` : ''}`,
    };
  }

  // One value to judge: the aggregate across iterations, or the worst of several results.
  let value: number;
  let errorS: number;
  let which = '';
  if (expr.metric.aggregate) {
    value = aggregateValues(
      expr.metric.aggregate,
      matched.map((m) => m.value as number),
    );
    errorS = Math.max(...matched.map((m) => m.errorS));
  } else {
    const judged = matched.map((m) => ({ m, ok: compare(expr.op, m.value as number, threshold) }));
    const pick = judged.find((j) => !j.ok) ?? judged[0]!;
    value = pick.m.value as number;
    errorS = pick.m.errorS;
    if (matched.length > 1) which = ` (${pick.m.name}, worst of ${matched.length})`;
  }

  const held = compare(expr.op, value, threshold);
  const marginal =
    errorS > 0 && compare(expr.op, value - errorS, threshold) !== compare(expr.op, value + errorS, threshold);
  const measured = formatMeasured(value, errorS, unit);
  const marginNote = marginal
    ? `; within error bound: the margin is smaller than ±${formatNumber(errorS)}`
    : '';
  return {
    ...base,
    status: held ? 'pass' : 'fail',
    value,
    unit,
    errorS,
    ...(marginal ? { marginal } : {}),
    message: `${measured}${which}, bound ${bound}${boundNote}: ${held ? 'held' : 'violated'}${marginNote}`,
  };
}

/**
 * The results an expression's subject refers to: those of the same name whose labels equal the
 * expression's; failing that, every result of that name carrying at least those labels (so
 * `lease.takeover_s < 20` covers each Lease measured when no unlabelled result exists).
 */
export function matchMetrics(ref: MetricRef, metrics: readonly MetricResult[]): MetricResult[] {
  const parsed = metrics.map((m) => ({ m, ...splitMetricName(m.name) }));
  const sameName = parsed.filter((p) => p.name === ref.name);
  const wanted = Object.entries(ref.labels);
  const exact = sameName.filter(
    (p) => Object.keys(p.labels).length === wanted.length && wanted.every(([k, v]) => p.labels[k] === v),
  );
  if (exact.length > 0) return exact.map((p) => p.m);
  return sameName.filter((p) => wanted.every(([k, v]) => p.labels[k] === v)).map((p) => p.m);
}

/** `lease.takeover_s{lease=kube-system/kube-scheduler}` → name and labels. */
export function splitMetricName(full: string): { name: string; labels: Record<string, string> } {
  const open = full.indexOf('{');
  if (open < 0 || !full.endsWith('}')) return { name: full, labels: {} };
  const labels: Record<string, string> = {};
  for (const part of full.slice(open + 1, -1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0)
      labels[part.slice(0, eq).trim()] = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return { name: full.slice(0, open), labels };
}
