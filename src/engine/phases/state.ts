/**
 * The state of one run, shared by its phases, and what every phase receives with it: the run's
 * input, its ports and tuning, and the few helpers that write phases and marks on the timeline.
 */
import type { StepRecord } from '../../report/result.js';
import type { LeaseSloTimings } from '../../slo/evaluate.js';
import type { NewEvent, Phase } from '../../timeline/events.js';
import type { Baseline, ConditionDeps } from '../conditions.js';
import type { RunDeps, RunInput, RunPorts, RunTuning } from '../deps.js';
import type { Journal } from '../journal.js';
import type { OutcomeInput } from '../outcome.js';
import type { ServiceSnapshot } from '../service-snapshot.js';
import type { FaultDeps } from '../fault/record.js';
import type { StepRunner } from '../step-runner.js';
import { describePeers } from '../peers.js';
import { memoPeers } from '../plan.js';
import type { TargetContext } from '../targets/index.js';

export type MarkKind = 'until-met' | 'abort' | 'timeout' | 'interrupted' | 'note';

/** The mutable state of one run, shared by its phases. */
export class RunState {
  readonly steps: StepRecord[] = [];
  readonly errors: string[] = [];
  readonly targets: Record<string, string[]> = {};
  readonly stepTargets = new Map<string, string[]>();
  /** aborted on the first interrupt or a firing abort condition: stop injecting and observing */
  readonly stop = new AbortController();
  baseline: Baseline = { leases: new Map() };
  interrupts = 0;
  interruptedBy: string | null = null;
  abortMessage: string | null = null;
  tInject: number | null = null;
  tRestore: number | null = null;
  untilMet: boolean | null = null;
  journal: Journal | null = null;
  restoring = false;
  restoreOk = true;
  restorePending: string[] = [];
  /** a remote inject command was attempted: evaluation and the drill's restore steps apply */
  injected = false;
  notInjected: string | undefined;
  stoppedBefore: OutcomeInput['stoppedBefore'];
  /** leader-election timings observed per Lease (after preflight): what SLO bounds use */
  leaseTimings: LeaseSloTimings | undefined;
  /** services running before the fault, compared after restore */
  servicesBefore: ServiceSnapshot = new Map();
  /** what happened to the infrastructure (SSH refused, then recovered…): said in the verdict */
  readonly infrastructure: string[] = [];
}

/** One run as its phases see it. */
export interface Run {
  input: RunInput;
  ports: RunPorts;
  tuning: RunTuning;
  state: RunState;
  mark(m: MarkKind, message: string): void;
  phase(p: Phase, state: 'start' | 'end', ok?: boolean, message?: string): void;
  conditions(): ConditionDeps;
  runner: StepRunner;
  targetContext(): TargetContext;
  /** what recording the fault's moment needs (clock offsets, systemd's records) */
  faultDeps(): FaultDeps;
}

export function openRun(deps: RunDeps): Run {
  const { input, ports } = deps;
  const { inventory } = input;
  const { timeline, progress, remote, view, clock } = ports;
  const state = new RunState();
  const conditions = (): ConditionDeps => ({
    inventory,
    view,
    remote,
    baseline: state.baseline,
    events: () => timeline.events(),
    sleep: clock.sleep,
    now: () => timeline.now(),
    retryPeriodS: (lease) => state.leaseTimings?.byLease[lease]?.retryPeriod ?? input.timings.retryPeriod,
  });
  // read once per run; what partition and heal will cut goes on the timeline (and so the report)
  const readPeers = memoPeers(view);
  let noted = false;
  const peers = async () => {
    const p = await readPeers();
    if (p && !noted) {
      noted = true;
      timeline.append({
        kind: 'mark',
        mark: 'note',
        message: `peer addresses (etcd member list): ${describePeers(p)}`,
      });
    }
    return p;
  };
  return {
    input,
    ports,
    tuning: deps.tuning ?? {},
    state,
    mark: (m, message) => timeline.append({ kind: 'mark', mark: m, message }),
    phase: (p, s, ok, message) => {
      const e: NewEvent = { kind: 'phase', phase: p, state: s };
      if (ok !== undefined) e.ok = ok;
      if (message !== undefined) e.message = message;
      timeline.append(e);
      if (s === 'start') progress.start(p);
      else progress.end(p, ok ?? true, message);
    },
    conditions,
    runner: {
      inventory,
      remote,
      timeline,
      progress,
      conditions,
      sleep: clock.sleep,
      pause: clock.pause,
      stop: state.stop.signal,
    },
    faultDeps: () => ({ inventory, remote, timeline, sleep: clock.sleep }),
    targetContext: () => ({ inventory, view, stepTargets: state.stepTargets, random: ports.random, peers }),
  };
}
