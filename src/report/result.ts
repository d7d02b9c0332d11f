/**
 * The result of one drill run: what the engine produces, what every report renders and
 * what `report.json` stores (with `schemaVersion`). Rendering is pure over this + timeline.
 */
import type { MetricResult } from '../metrics/types.js';
import type { FaultEvent } from '../timeline/events.js';

export const REPORT_SCHEMA_VERSION = 1;

export type { Verdict, VerdictStatus } from '../slo/verdict.js';
import type { Verdict } from '../slo/verdict.js';

export interface StepRecord {
  phase: 'inject' | 'restore';
  index: number;
  id?: string;
  action: string;
  /** resolved master names */
  targets: string[];
  /** the symbolic target as written, e.g. `lease-holder:kube-system/kube-scheduler` */
  targetSpec?: string;
  host?: string;
  command?: string;
  startT: number;
  endT: number;
  ok: boolean;
  exitCode?: number | null;
  /** trimmed stdout/stderr, secrets never included */
  output?: string;
  error?: string;
  attempts?: number;
  /** inject steps: each command as the master's clock bracketed it (s since the epoch, master time) */
  brackets?: { master: string; start: number; end?: number }[];
}

/** t_fault of an inject step on one master: the timeline's FaultEvent as the report keeps it. */
export type FaultRecord = Pick<
  FaultEvent,
  | 'index'
  | 'master'
  | 'source'
  | 'tFault'
  | 'lo'
  | 'hi'
  | 'bracket'
  | 'commandStart'
  | 'commandEnd'
  | 'stopStart'
  | 'note'
>;

export type Outcome =
  /** every SLO held */
  | 'pass'
  /** an SLO failed */
  | 'fail'
  /** steady state not met: nothing injected */
  | 'not-steady'
  /** infrastructure error, restore ran */
  | 'error'
  /** restore failed */
  | 'restore-failed'
  /** interrupted (Ctrl-C / SIGTERM / SIGHUP), restore ran */
  | 'interrupted';

export interface RunResult {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  harnessVersion: string;
  runId: string;
  drill: { name: string; description: string; tags: string[]; file: string; digest: string };
  inventory: { cluster: string; file: string; digest: string; masters: string[] };
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** t (run clock) of the fault: first inject step that succeeded */
  tInject: number | null;
  tRestore: number | null;
  /** when each inject step's fault took effect, per master (absent in reports before t_fault) */
  faults?: FaultRecord[];
  /** symbolic target → master name(s), as resolved at inject time */
  targets: Record<string, string[]>;
  steps: StepRecord[];
  metrics: MetricResult[];
  verdicts: Verdict[];
  restore: { ok: boolean; pending: string[] };
  outcome: Outcome;
  exitCode: number;
  /** a short human line, e.g. "kube-scheduler Lease moved master-2 → master-1 in 2.61 s" */
  summary: string;
  errors: string[];
}
