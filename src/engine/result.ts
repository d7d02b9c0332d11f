/** The run's result for the report: the outcome decided from the state, and what was done. */
import { REPORT_SCHEMA_VERSION, type FaultRecord, type RunResult } from '../report/result.js';
import type { FaultEvent } from '../timeline/events.js';
import { describeCondition } from './conditions.js';
import { decideOutcome } from './outcome.js';
import type { Evaluation } from './phases/evaluate.js';
import type { Run } from './phases/state.js';

export function assembleResult(run: Run, startedAt: string, { metrics, verdicts }: Evaluation): RunResult {
  const { state: s, input, ports } = run;
  const { drill, inventory } = input;
  const { outcome, exitCode, summary } = decideOutcome({
    ...(s.stoppedBefore ? { stoppedBefore: s.stoppedBefore } : {}),
    ...(s.notInjected ? { notInjected: s.notInjected } : {}),
    restoreOk: s.restoreOk,
    restorePending: s.restorePending,
    interruptedBy: s.interruptedBy,
    abortMessage: s.abortMessage,
    errors: s.errors,
    verdicts,
    sloCount: drill.slo.length,
    untilMet: s.untilMet,
    infrastructure: s.infrastructure,
    untilText: drill.observe.until ? describeCondition(drill.observe.until) : null,
    observeTimeout: drill.observe.timeout,
  });
  if (s.notInjected) s.errors.push(s.notInjected);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    harnessVersion: input.harnessVersion,
    runId: input.runId,
    drill: {
      name: drill.metadata.name,
      description: drill.metadata.description,
      tags: drill.metadata.tags,
      file: input.drillFile,
      digest: input.drillDigest,
    },
    inventory: {
      cluster: inventory.metadata.name,
      file: input.inventoryFile,
      digest: input.inventoryDigest,
      masters: inventory.masters.map((m) => m.name),
    },
    startedAt,
    endedAt: ports.clock.wallTime(),
    durationS: ports.timeline.now(),
    tInject: s.tInject,
    tRestore: s.tRestore,
    faults: faultRecords(run),
    targets: s.targets,
    steps: s.steps,
    metrics,
    verdicts,
    restore: { ok: s.restoreOk, pending: s.restoreOk ? [] : s.restorePending },
    outcome,
    exitCode,
    summary,
    errors: s.errors,
  };
}

/** t_fault of each inject step per master, from the timeline's fault events. */
function faultRecords(run: Run): FaultRecord[] {
  // a moment read again before restore supersedes the provisional one of the same step and master
  const latest = new Map<string, FaultEvent>();
  for (const e of run.ports.timeline.events())
    if (e.kind === 'fault') latest.set(`${e.index}/${e.master}`, e);
  return [...latest.values()].flatMap((e) => {
    const r: FaultRecord = {
      index: e.index,
      master: e.master,
      source: e.source,
      tFault: e.tFault,
      lo: e.lo,
      hi: e.hi,
      commandStart: e.commandStart,
      commandEnd: e.commandEnd,
      note: e.note,
    };
    if (e.bracket) r.bracket = e.bracket;
    if (e.stopStart !== undefined) r.stopStart = e.stopStart;
    return [r];
  });
}
