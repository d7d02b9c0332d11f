/**
 * The one-word verdict every format leads with. It is the worse of the run's outcome and its SLO
 * verdicts, so a run whose outcome says `pass` while an SLO is unknown is never shown as PASS.
 */
import { overallVerdict } from '../slo/evaluate.js';
import type { RunResult } from './result.js';

export type HeadlineStatus =
  'pass' | 'fail' | 'unknown' | 'not-steady' | 'error' | 'interrupted' | 'restore-failed';

export interface Headline {
  status: HeadlineStatus;
  /** e.g. `PASS`, `FAIL`, `RESTORE FAILED` */
  label: string;
  /** one sentence on what the status means */
  meaning: string;
  counts: { pass: number; fail: number; unknown: number };
}

const MEANING: Record<HeadlineStatus, [string, string]> = {
  pass: ['PASS', 'every SLO held'],
  fail: ['FAIL', 'an SLO was violated'],
  unknown: ['UNKNOWN', 'an SLO could not be verified: a metric was not measured'],
  'not-steady': ['NOT STEADY', 'steady state did not hold before injection: nothing was injected'],
  error: ['ERROR', 'an infrastructure error stopped the drill; restore ran'],
  interrupted: ['INTERRUPTED', 'the run was interrupted; restore ran'],
  'restore-failed': ['RESTORE FAILED', 'restore failed: the cluster may be degraded'],
};

export function headline(result: RunResult): Headline {
  const counts = { pass: 0, fail: 0, unknown: 0 };
  for (const v of result.verdicts) counts[v.status]++;
  let status: HeadlineStatus;
  if (!result.restore.ok || result.outcome === 'restore-failed') status = 'restore-failed';
  else if (result.outcome === 'pass' || result.outcome === 'fail') {
    const slo = overallVerdict(result.verdicts);
    // unknown-only runs say UNKNOWN even though they exit 1 (sloExitCode): not verified ≠ violated
    status = slo !== 'pass' ? slo : result.outcome;
  } else status = result.outcome;
  const [label, meaning] = MEANING[status];
  return { status, label, meaning, counts };
}

/** `3 passed, 1 failed, 1 unknown` (only the non-zero parts, or `no SLOs`). */
export function verdictCounts(h: Headline): string {
  const parts: string[] = [];
  if (h.counts.pass) parts.push(`${h.counts.pass} passed`);
  if (h.counts.fail) parts.push(`${h.counts.fail} failed`);
  if (h.counts.unknown) parts.push(`${h.counts.unknown} unknown`);
  return parts.length ? parts.join(', ') : 'no SLOs';
}

/** Run-clock seconds → ISO wall time, from the run's start. */
export function wallTime(result: RunResult, t: number): string {
  const base = Date.parse(result.startedAt);
  return Number.isFinite(base) ? new Date(base + t * 1000).toISOString() : `t=${t.toFixed(3)}s`;
}
