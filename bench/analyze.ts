/**
 * One drill run, judged: kha-drill's metrics (report.json) against the ground truth (the lab
 * masters' journals: etcd's zap lines, the scheduler's klog lines), the one-second runbook observer against the same truth, and what the
 * harness cost (CPU, RSS, requests) while it observed. Pure: everything comes in as data.
 */
import type { MetricResult } from '../src/metrics/types.js';
import type { TimelineEvent } from '../src/timeline/events.js';
import { firstLeaseChange, firstRaftChange, type EtcdSample, type LeaseSample } from './observer.js';
import { windowCost, type ProcSample, type WindowCost } from './procstat.js';
import { momentsOf, requestRates, wallOf, type RequestRates } from './timeline.js';
import {
  faultTruth,
  leaseFaultMs,
  leaseTruth,
  raftTruth,
  type Elected,
  type FaultTruth,
  type LeaseLog,
  type UnitLog,
} from './truth.js';

/** journald receives systemd's line a little after the event; the laptop starts the command before it */
const FAULT_SLACK_MS = 50;

export type Measure = 'raft' | 'lease';

export interface TimingCheck {
  metric: string;
  /** kha-drill's value and ± bound, s */
  measuredS: number | null;
  boundS: number | null;
  /**
   * the ground truth of the duration, end to end: the component's own record of the outcome minus
   * the fault's true moment (systemd's record of the process leaving, or a partition's command
   * return), s
   */
  truthS: number | null;
  /** measured − truth, ms (null when either is missing) */
  errorMs: number | null;
  note?: string;
}

export interface ObserverCheck {
  /**
   * the operator's duration (the poll's output complete, the clock started when their inject
   * command returned) − the true duration, ms
   */
  errorMs: number | null;
  /** the same with the poll's start time instead */
  errorStartMs: number | null;
  note?: string;
}

export interface InjectBreakdown {
  /** spawn → the timeline's t = 0: Node start, module loading, config */
  startupS: number;
  /** t = 0 → steady state checked: preflight and steady state */
  checksS: number;
  /**
   * steady state → inject phase start: the engine's baseline (the services snapshot over SSH)
   * and the watchers starting and seeing each subject once
   */
  watchersS: number;
  /** inject phase start → inject step end: target resolution, the SSH command */
  injectS: number;
}

export interface RunInput {
  drill: string;
  measure: Measure;
  /** the raft watcher's poll period of this run, ms */
  pollMs: number;
  exitCode: number;
  metrics: MetricResult[];
  events: readonly TimelineEvent[];
  elections: readonly Elected[];
  /** the leader-election klog lines of every master's unit behind `lease` */
  leaseLog: readonly LeaseLog[];
  /** systemd's lines about etcd and the Lease units on every master */
  unitLog: readonly UnitLog[];
  lease: string;
  /** the unit the drill's fault hits (its systemd record is the fault's true moment) */
  unit: string;
  /**
   * `process`: the fault is the unit's process leaving, recorded by systemd; `rule`: a partition,
   * in place when its command returns (nothing logs it)
   */
  fault: 'process' | 'rule';
  observer?: { etcd: readonly EtcdSample[]; lease: readonly LeaseSample[] };
  proc: readonly ProcSample[];
  ticksPerS: number;
  /** epoch ms just before the harness process was spawned */
  spawnMs: number;
}

export interface RunAnalysis {
  drill: string;
  measure: Measure;
  pollMs: number;
  exitCode: number;
  checks: TimingCheck[];
  observer: Record<string, ObserverCheck>;
  /** spawn → end of the inject step, s (wall clock) */
  injectAfterSpawnS: number | null;
  /** where that time went, s */
  injectBreakdown: InjectBreakdown | null;
  observeCost: WindowCost | null;
  /** RSS of the last sample before the process exited, kB */
  endRssKb: number | null;
  rates: RequestRates | null;
  problems: string[];
}

const metricOf = (metrics: readonly MetricResult[], name: string) => metrics.find((m) => m.name === name);

function check(
  metric: MetricResult | undefined,
  name: string,
  truthS: number | null,
  note?: string,
): TimingCheck {
  const measuredS = metric?.status === 'measured' ? metric.value : null;
  const c: TimingCheck = {
    metric: name,
    measuredS,
    boundS: metric?.status === 'measured' ? metric.errorS : null,
    truthS,
    errorMs: measuredS !== null && truthS !== null ? (measuredS - truthS) * 1000 : null,
  };
  const notes = [note, metric && metric.status !== 'measured' ? `unknown: ${metric.note ?? ''}` : undefined];
  const joined = notes.filter(Boolean).join('; ');
  if (joined) c.note = joined;
  return c;
}

export function analyzeRun(input: RunInput): RunAnalysis {
  const problems: string[] = [];
  const out: RunAnalysis = {
    drill: input.drill,
    measure: input.measure,
    pollMs: input.pollMs,
    exitCode: input.exitCode,
    checks: [],
    observer: {},
    injectAfterSpawnS: null,
    injectBreakdown: null,
    observeCost: null,
    endRssKb: input.proc.length > 0 ? input.proc[input.proc.length - 1]!.rssKb : null,
    rates: null,
    problems,
  };
  const m = momentsOf(input.events);
  if (typeof m === 'string') {
    problems.push(m);
    return out;
  }
  if (m.tInject === null || m.tCommand === null) {
    problems.push('no inject step succeeded');
    return out;
  }
  const injectMs = wallOf(m, m.tInject);
  /** the inject command's start: the truths' and observer's search for "after the fault" starts here */
  const faultMs = wallOf(m, m.tCommand);
  out.injectAfterSpawnS = (injectMs - input.spawnMs) / 1000;
  if (m.steadyEnd !== null && m.injectStart !== null)
    out.injectBreakdown = {
      startupS: (m.wallMs - input.spawnMs) / 1000,
      checksS: m.steadyEnd,
      watchersS: m.injectStart - m.steadyEnd,
      injectS: m.tInject - m.injectStart,
    };
  if (m.observe) {
    out.observeCost = windowCost(
      input.proc,
      wallOf(m, m.observe.start),
      wallOf(m, m.observe.end),
      input.ticksPerS,
    );
    out.rates = requestRates(input.events, m.observe.start, m.observe.end);
  }

  // the fault's true moment: systemd's record of the victim's process leaving, looked for from
  // the inject command's start (minus the journal's lag) to well after a --no-block stop returns
  let fault: FaultTruth | null = null;
  if (input.fault === 'process') {
    const f = faultTruth(input.unitLog, input.unit, faultMs - FAULT_SLACK_MS, injectMs + 70_000);
    if (typeof f === 'string') problems.push(`fault truth: ${f}`);
    else fault = f;
  }
  // A partition is logged by nothing. Its moment is the last rule in place, which the master's own
  // clock read right after the rules' chain returned (the bracket's end printed by the same shell;
  // the lab's hosts share one clock). That reading is the one kha-drill's t_fault starts from, so
  // this row judges the offset mapping and the detection, not the moment's definition. (Until
  // 6 Dec the truth was the laptop's return of the command: later by the SSH answer's way back.)
  const ruleEnd = input.events.find(
    (e) => e.kind === 'fault' && e.action === 'partition' && e.masterBracket?.end !== undefined,
  );
  const ruleMs =
    ruleEnd?.kind === 'fault' && ruleEnd.masterBracket?.end !== undefined
      ? ruleEnd.masterBracket.end * 1000
      : injectMs;
  const ruleNote =
    ruleEnd !== undefined
      ? "a partition is logged by nothing: its moment is the master's clock read right after the last rule went in"
      : "a partition is logged by nothing: its true moment is taken as the command's return";

  if (input.measure === 'raft') {
    const truth = raftTruth(input.elections, faultMs);
    if (typeof truth === 'string') problems.push(`raft truth: ${truth}`);
    const fromMs = input.fault === 'rule' ? ruleMs : (fault?.exitMs ?? null);
    const truthS = typeof truth === 'string' || fromMs === null ? null : (truth.electedMs - fromMs) / 1000;
    out.checks.push(
      check(
        metricOf(input.metrics, 'raft.reelection_s'),
        'raft.reelection_s',
        truthS,
        input.fault === 'rule' ? ruleNote : undefined,
      ),
    );
    if (input.observer && typeof truth !== 'string' && truthS !== null) {
      const seen = firstRaftChange(input.observer.etcd, faultMs);
      out.observer['raft.reelection_s'] =
        typeof seen === 'string'
          ? { errorMs: null, errorStartMs: null, note: seen }
          : {
              errorMs: seen.done - injectMs - truthS * 1000,
              errorStartMs: seen.at - injectMs - truthS * 1000,
            };
    }
  } else {
    // a release shows on the timeline as the Lease held by nobody, after the command started
    const releasedSeen = input.events.some(
      (e) => e.kind === 'lease' && e.lease === input.lease && e.t >= m.tCommand! && !e.holder,
    );
    const truth = leaseTruth(input.leaseLog, input.unitLog, faultMs, input.lease, releasedSeen);
    if (typeof truth === 'string') problems.push(`lease truth: ${truth}`);
    const ok = typeof truth !== 'string';
    const from = ok && fault ? leaseFaultMs(fault, truth.acquiredMs) : null;
    const truthS = ok && from ? (truth.acquiredMs - from.ms) / 1000 : null;
    out.checks.push(
      check(
        metricOf(input.metrics, 'lease.takeover_s'),
        'lease.takeover_s',
        truthS,
        from?.released ? "released during the stop: counted from the stop's start" : undefined,
      ),
    );
    // leaderless: the new holder's acquireTime (its clock, mapped) from the fault's moment; its
    // truth is the same acquired line from the same moment (the klog line comes after the write)
    out.checks.push(
      check(
        metricOf(input.metrics, 'lease.leaderless_s'),
        'lease.leaderless_s',
        truthS,
        ok
          ? truth.released
            ? 'old holder released during its stop'
            : 'old holder crashed or stopped'
          : undefined,
      ),
    );
    if (input.observer && ok && truthS !== null) {
      const seen = firstLeaseChange(input.observer.lease, faultMs);
      out.observer['lease.takeover_s'] =
        typeof seen === 'string'
          ? { errorMs: null, errorStartMs: null, note: seen }
          : {
              errorMs: seen.done - injectMs - truthS * 1000,
              errorStartMs: seen.at - injectMs - truthS * 1000,
            };
    }
  }
  for (const c of out.checks)
    if (c.errorMs === null) problems.push(`${c.metric}: no error (${c.note ?? 'missing'})`);
  return out;
}
