/**
 * The result of a game-day run (a suite, or drills with --iterations): what suite.json stores
 * (versioned) and what every suite report renders. Each iteration is also a normal run report
 * in its own sub-directory.
 */
import type { MetricResult } from '../../metrics/types.js';
import type { Outcome, Verdict } from '../result.js';

export const SUITE_SCHEMA_VERSION = 1;
export const SUITE_FILE = 'suite.json';

export interface IterationRecord {
  /** 1-based, per drill */
  index: number;
  runId: string;
  /** the iteration's run directory, relative to the suite directory */
  dir: string;
  outcome: Outcome;
  exitCode: number;
  startedAt: string;
  durationS: number;
  summary: string;
  /** per-iteration SLO verdicts (as in the iteration's report.json) */
  verdicts: Verdict[];
  metrics: MetricResult[];
}

export interface DrillSummary {
  name: string;
  description: string;
  file: string;
  digest: string;
  plannedIterations: number;
  /** SLOs judged in each iteration (the drill's, with the suite's overrides) */
  slo: string[];
  /** SLOs judged across the iterations, e.g. `p(95)(lease.takeover_s) < 18` */
  aggregateSlo: string[];
  iterations: IterationRecord[];
  stats: MetricStats[];
  aggregateVerdicts: Verdict[];
  /** worst of its iterations and aggregate verdicts */
  exitCode: number;
}

export type SuiteOutcome =
  /** every iteration passed, every aggregate held, no regression made it fail */
  | 'pass'
  /** an SLO (per iteration or aggregate) failed, or a regression with --fail-on-regression */
  | 'fail'
  /** an iteration could not run or errored (exit 3 or 4) */
  | 'error'
  /** a restore failed: the cluster may be degraded */
  | 'restore-failed'
  /** Ctrl-C / SIGTERM / SIGHUP */
  | 'interrupted';

export interface SuiteResult {
  schemaVersion: typeof SUITE_SCHEMA_VERSION;
  kind: 'suite';
  harnessVersion: string;
  /** the suite directory's name */
  runId: string;
  suite: { name: string; description: string; file: string | null; digest: string | null };
  inventory: { cluster: string; file: string; digest: string; masters: string[] };
  startedAt: string;
  endedAt: string;
  durationS: number;
  options: {
    cooldownS: number;
    stopOnFail: boolean;
    steadyTimeoutS: number;
    tolerance: Tolerance;
    failOnRegression: boolean;
    lock: { master: string; file: string } | null;
  };
  drills: DrillSummary[];
  baseline: Comparison | null;
  outcome: SuiteOutcome;
  exitCode: number;
  summary: string;
  /** why the suite stopped before its last planned iteration, if it did */
  stopped: string | null;
  errors: string[];
}

/** Statistics of one metric over a drill's iterations (computed in gameday/stats.ts). */
export interface MetricStats {
  /** full name with labels, e.g. `lease.takeover_s{lease=kube-system/kube-scheduler}` */
  metric: string;
  unit: MetricResult['unit'];
  /** iterations in which it was measured */
  count: number;
  /** iterations in which it was not measured (unknown, or the iteration never got that far) */
  unknown: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** one entry per iteration, in order; null where unknown */
  values: (number | null)[];
  /** the largest ± bound of a measured value */
  errorS: number;
}

/** The baseline comparison (computed in gameday/baseline.ts), stored in suite.json. */
export interface Tolerance {
  /** relative, 0.2 = 20 % */
  pct: number;
  /** seconds metrics: the least change that counts */
  absS: number;
}

/** One metric of one drill in a stored run or suite. */
export interface MetricSummary {
  drill: string;
  metric: string;
  unit: MetricResult['unit'];
  /** measured iterations */
  count: number;
  unknown: number;
  p50: number | null;
  p95: number | null;
}

export interface RunSummary {
  kind: 'run' | 'suite';
  /** the directory as given */
  dir: string;
  runId: string;
  /** drill or suite name */
  name: string;
  startedAt: string;
  metrics: MetricSummary[];
}

export type ComparedStat = 'p50' | 'p95' | 'value';
export type RowStatus = 'ok' | 'regression' | 'improved' | 'unknown' | 'new' | 'missing';

export interface ComparisonRow {
  drill: string;
  metric: string;
  unit: MetricResult['unit'];
  stat: ComparedStat;
  baseline: number | null;
  current: number | null;
  /** current − baseline */
  delta: number | null;
  /** delta / |baseline|; null when the baseline is 0 or unknown */
  deltaPct: number | null;
  status: RowStatus;
}

export interface Comparison {
  baseline: Omit<RunSummary, 'metrics'>;
  current: Omit<RunSummary, 'metrics'>;
  tolerance: Tolerance;
  rows: ComparisonRow[];
  regressions: number;
}
