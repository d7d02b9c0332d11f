/** The one-line verdict every suite format leads with, and shared wording. */
import type { Verdict } from '../result.js';
import type { DrillSummary, MetricStats, SuiteOutcome, SuiteResult } from './result.js';

const LABEL: Record<SuiteOutcome, [string, string]> = {
  pass: ['PASS', 'every iteration passed and every aggregate SLO held'],
  fail: ['FAIL', 'an SLO was violated or could not be verified'],
  error: ['ERROR', 'an iteration could not run or hit an infrastructure error; restore ran'],
  interrupted: ['INTERRUPTED', 'the game-day was interrupted; restore ran'],
  'restore-failed': ['RESTORE FAILED', 'a restore failed: the cluster may be degraded'],
};

export function suiteHeadline(r: SuiteResult): { label: string; meaning: string } {
  const [label, meaning] = LABEL[r.outcome];
  return { label, meaning };
}

export function iterationCounts(d: DrillSummary): { passed: number; total: number; planned: number } {
  return {
    passed: d.iterations.filter((i) => i.outcome === 'pass').length,
    total: d.iterations.length,
    planned: d.plannedIterations,
  };
}

/** `3/3 passed`, `2/3 passed (5 planned)`. */
export function iterationLine(d: DrillSummary): string {
  const c = iterationCounts(d);
  return `${c.passed}/${c.total} iterations passed${c.total < c.planned ? ` (${c.planned} planned)` : ''}`;
}

export function regressionLine(r: SuiteResult): string | null {
  if (!r.baseline) return null;
  const n = r.baseline.regressions;
  const what = n
    ? `${n} regression${n === 1 ? '' : 's'} beyond the tolerance`
    : 'no regression beyond the tolerance';
  return `${what} against ${r.baseline.baseline.dir}${n && !r.options.failOnRegression ? ' (reported only: --fail-on-regression not given)' : ''}`;
}

export function verdictSymbol(v: Pick<Verdict, 'status'>): string {
  return v.status === 'pass' ? '✓' : v.status === 'fail' ? '✗' : '?';
}

/** Whole seconds as `3m 05s` / `42s`. */
export function formatDuration(s: number): string {
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * The statistics worth a row: every unlabelled metric, and labelled ones that were measured
 * and differ from their unlabelled twin (the metrics give the primary Lease's values both ways).
 */
export function displayedStats(stats: readonly MetricStats[]): MetricStats[] {
  const plain = new Map(stats.filter((s) => !s.metric.includes('{')).map((s) => [s.metric, s]));
  return stats.filter((s) => {
    const open = s.metric.indexOf('{');
    if (open < 0) return true;
    if (s.count === 0) return false;
    const twin = plain.get(s.metric.slice(0, open));
    return !twin || JSON.stringify(twin.values) !== JSON.stringify(s.values);
  });
}
