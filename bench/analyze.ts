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
import { leaseTruth, raftTruth, type Elected, type LeaseLog, type UnitLog } from './truth.js';

export type Measure = 'raft' | 'lease';

export interface TimingCheck {
  metric: string;
  /** kha-drill's value and ± bound, s */
  measuredS: number | null;
  boundS: number | null;
  /** the ground truth on the same scale (s after t_inject) */
  truthS: number | null;
  /** measured − truth, ms (null when either is missing) */
  errorMs: number | null;
  note?: string;
}

export interface ObserverCheck {
  /** when the operator sees the change (the poll's output complete) − truth, ms */
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
  /** systemd's lines about that unit on every master */
  unitLog: readonly UnitLog[];
  lease: string;
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
  if (m.tInject === null || m.tFault === null) {
    problems.push('no inject step succeeded');
    return out;
  }
  const injectMs = wallOf(m, m.tInject);
  const faultMs = wallOf(m, m.tFault);
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

  if (input.measure === 'raft') {
    const truth = raftTruth(input.elections, faultMs);
    const truthS = typeof truth === 'string' ? null : (truth.electedMs - injectMs) / 1000;
    if (typeof truth === 'string') problems.push(`raft truth: ${truth}`);
    out.checks.push(check(metricOf(input.metrics, 'raft.reelection_s'), 'raft.reelection_s', truthS));
    if (input.observer && typeof truth !== 'string') {
      const seen = firstRaftChange(input.observer.etcd, faultMs);
      out.observer['raft.reelection_s'] =
        typeof seen === 'string'
          ? { errorMs: null, errorStartMs: null, note: seen }
          : { errorMs: seen.done - truth.electedMs, errorStartMs: seen.at - truth.electedMs };
    }
  } else {
    const truth = leaseTruth(input.leaseLog, input.unitLog, faultMs, input.lease);
    if (typeof truth === 'string') problems.push(`lease truth: ${truth}`);
    const ok = typeof truth !== 'string';
    out.checks.push(
      check(
        metricOf(input.metrics, 'lease.takeover_s'),
        'lease.takeover_s',
        ok ? (truth.acquiredMs - injectMs) / 1000 : null,
      ),
    );
    out.checks.push(
      check(
        metricOf(input.metrics, 'lease.leaderless_s'),
        'lease.leaderless_s',
        ok ? truth.leaderlessS : null,
        ok
          ? truth.released
            ? `old holder released: no truth (${truth.leaderlessWhy ?? ''})`
            : 'old holder crashed'
          : undefined,
      ),
    );
    if (input.observer && ok) {
      const seen = firstLeaseChange(input.observer.lease, faultMs);
      out.observer['lease.takeover_s'] =
        typeof seen === 'string'
          ? { errorMs: null, errorStartMs: null, note: seen }
          : { errorMs: seen.done - truth.acquiredMs, errorStartMs: seen.at - truth.acquiredMs };
    }
  }
  for (const c of out.checks)
    if (c.errorMs === null) problems.push(`${c.metric}: no error (${c.note ?? 'missing'})`);
  return out;
}
