/**
 * How a run ends: outcome, exit code (DESIGN §1) and the one-line summary. Pure.
 * Worst wins: restore failed (5) > interrupted (4) > error (4) > abort fired (1) > SLO verdicts.
 * A run stopped before anything was injected keeps the code it stopped with (2 or 3).
 */
import { ExitCode } from '../errors.js';
import type { Outcome, Verdict } from '../report/result.js';
import { sloExitCode } from '../slo/evaluate.js';

export interface OutcomeInput {
  /** set when the run stopped before injecting */
  stoppedBefore?: { outcome: Outcome; exitCode: number; message: string };
  /** an inject step could not be resolved or rendered before anything ran */
  notInjected?: string;
  restoreOk: boolean;
  restorePending: string[];
  interruptedBy: string | null;
  abortMessage: string | null;
  errors: string[];
  verdicts: Verdict[];
  sloCount: number;
  untilMet: boolean | null;
  /** what happened to the infrastructure during the drill, said in every summary */
  infrastructure?: string[];
  untilText: string | null;
  observeTimeout: string;
}

export function decideOutcome(i: OutcomeInput): { outcome: Outcome; exitCode: number; summary: string } {
  const d = decide(i);
  const infra = i.infrastructure?.length ? `; infrastructure: ${i.infrastructure.join('; ')}` : '';
  return { ...d, summary: `${d.summary}${infra}` };
}

function decide(i: OutcomeInput): { outcome: Outcome; exitCode: number; summary: string } {
  const restoreNote = i.restoreOk ? 'restore completed' : 'restore FAILED';
  if (!i.restoreOk) {
    return {
      outcome: 'restore-failed',
      exitCode: ExitCode.RestoreFailed,
      summary: `RESTORE FAILED: the cluster may be degraded: ${i.restorePending.join('; ')}`,
    };
  }
  if (i.stoppedBefore) {
    return { ...i.stoppedBefore, summary: i.stoppedBefore.message.split('\n')[0] ?? i.stoppedBefore.message };
  }
  if (i.interruptedBy) {
    return {
      outcome: 'interrupted',
      exitCode: ExitCode.Infrastructure,
      summary: `interrupted by ${i.interruptedBy}; ${restoreNote}`,
    };
  }
  if (i.notInjected) {
    return {
      outcome: 'not-steady',
      exitCode: ExitCode.NotSteady,
      summary: `nothing injected: ${i.notInjected}`,
    };
  }
  if (i.errors.length) {
    return {
      outcome: 'error',
      exitCode: ExitCode.Infrastructure,
      summary: `drill error: ${i.errors[0]}; ${restoreNote}`,
    };
  }
  if (i.abortMessage)
    return { outcome: 'fail', exitCode: ExitCode.SloViolated, summary: `aborted: ${i.abortMessage}` };
  let exitCode: number = sloExitCode(i.verdicts);
  // an SLO without a verdict was not evaluated: unknown, and "0 of N" is never a pass
  const missing = Math.max(0, i.sloCount - i.verdicts.length);
  if (missing > 0) exitCode = ExitCode.SloViolated;
  const unknown = i.verdicts.filter((v) => v.status === 'unknown').length + missing;
  // without SLOs, an observe condition that never held is the failure
  if (i.untilMet === false && exitCode === ExitCode.Ok && i.sloCount === 0) exitCode = ExitCode.SloViolated;
  const held = i.verdicts.filter((v) => v.status === 'pass').length;
  const timedOut =
    i.untilMet === false
      ? `; ${i.untilText ?? 'the observe condition'} not met within ${i.observeTimeout}`
      : '';
  return {
    outcome: exitCode === ExitCode.Ok ? 'pass' : 'fail',
    exitCode,
    summary: `${held}/${i.verdicts.length + missing} SLOs held${unknown ? `, ${unknown} unknown` : ''}${timedOut}`,
  };
}
