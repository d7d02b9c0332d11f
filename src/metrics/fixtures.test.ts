/**
 * Recorded lab runs (test/fixtures/timelines, see its README) replayed through the metrics and
 * checked against the ground truth recorded with them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTimeline } from '../timeline/read.js';
import { computeMetrics } from './compute.js';
import type { MetricResult } from './types.js';

const dir = fileURLToPath(new URL('../../test/fixtures/timelines/', import.meta.url));
/** the acceptance bound: poll period + 50 ms */
const AGREE_S = 0.1 + 0.05;

function replay(name: string): { metrics: MetricResult[]; truth: Record<string, number | string> } {
  const { events, truncated } = parseTimeline(readFileSync(`${dir}${name}.ndjson`, 'utf8'));
  expect(truncated).toBe(false);
  const truth = JSON.parse(readFileSync(`${dir}${name}.truth.json`, 'utf8')) as Record<
    string,
    number | string
  >;
  const primaryLease = typeof truth.primaryLease === 'string' ? truth.primaryLease : undefined;
  return { metrics: computeMetrics(events, primaryLease ? { primaryLease } : {}), truth };
}

const get = (metrics: MetricResult[], name: string): MetricResult => {
  const m = metrics.find((r) => r.name === name);
  if (!m) throw new Error(`no ${name}`);
  return m;
};

type Check = (m: MetricResult, truth: Record<string, number | string>) => void;
const agreesWithTruth: Check = (m, truth) => {
  expect(m.status).toBe('measured');
  expect(Math.abs(m.value! - Number(truth[m.name]))).toBeLessThanOrEqual(AGREE_S);
};
const between =
  (lo: number, hi: number): Check =>
  (m) => {
    expect(m.status).toBe('measured');
    expect(m.value).toBeGreaterThanOrEqual(lo);
    expect(m.value).toBeLessThanOrEqual(hi);
  };
const exactly =
  (v: number): Check =>
  (m) =>
    expect(m).toMatchObject({ status: 'measured', value: v });

const table: { fixture: string; metric: string; check: Check }[] = [
  // released Lease: taken at a standby's next try (retryPeriod 1 s × 1..1.2 jitter)
  { fixture: 'scheduler-failover', metric: 'lease.takeover_s', check: agreesWithTruth },
  { fixture: 'scheduler-failover', metric: 'lease.takeover_s', check: between(0, 2.2 + 1) },
  { fixture: 'scheduler-failover', metric: 'lease.leaderless_s', check: between(0, 2.2 + 1) },
  { fixture: 'scheduler-failover', metric: 'lease.transitions', check: exactly(1) },
  { fixture: 'scheduler-failover', metric: 'lease.split_brain', check: exactly(0) },
  {
    fixture: 'scheduler-failover',
    metric: 'lease.takeover_s{lease=kube-system/kube-controller-manager}',
    check: (m) => expect(m.status).toBe('unknown'),
  },
  { fixture: 'scheduler-failover', metric: 'apiserver.availability', check: exactly(1) },
  // crashed holder: the standbys wait out leaseDuration (4 s) first
  { fixture: 'scheduler-crash', metric: 'lease.takeover_s', check: agreesWithTruth },
  { fixture: 'scheduler-crash', metric: 'lease.leaderless_s', check: between(4, 4 + 2 * 1.2 + 0.5) },
  { fixture: 'scheduler-crash', metric: 'lease.transitions', check: exactly(1) },
  { fixture: 'scheduler-crash', metric: 'lease.split_brain', check: exactly(0) },
  // etcd leader SIGKILL: one election within a few election timeouts, then catch-up
  { fixture: 'etcd-leader-kill', metric: 'raft.reelection_s', check: agreesWithTruth },
  {
    fixture: 'etcd-leader-kill',
    metric: 'raft.reelection_s',
    check: (m, truth) => {
      // the bound is honest: the truth lies within [value − errorS, value] (logs: ms resolution)
      expect(Number(truth[m.name])).toBeGreaterThanOrEqual(m.value! - m.errorS - 0.002);
      expect(Number(truth[m.name])).toBeLessThanOrEqual(m.value! + 0.002);
    },
  },
  { fixture: 'etcd-leader-kill', metric: 'raft.elections', check: exactly(1) },
  { fixture: 'etcd-leader-kill', metric: 'raft.catchup_s', check: between(0, 5) },
  { fixture: 'etcd-leader-kill', metric: 'etcd.write_outage_s', check: between(0.2, 5) },
  { fixture: 'etcd-leader-kill', metric: 'observe.blind_s{watcher=raft}', check: between(1, 30) },
  // every API server down for 3 s: the LB fails, the lease watch is blind and says so
  { fixture: 'apiservers-down', metric: 'observe.blind_s{watcher=lease}', check: between(2.5, 15) },
  { fixture: 'apiservers-down', metric: 'apiserver.max_outage_s', check: between(2.5, 10) },
  { fixture: 'apiservers-down', metric: 'apiserver.availability', check: between(0, 0.2) },
];

describe('recorded lab timelines', () => {
  it.each(table)('$fixture: $metric', ({ fixture, metric, check }) => {
    const { metrics, truth } = replay(fixture);
    check(get(metrics, metric), truth);
  });
});

describe('the Lease a drill acts on, inferred', () => {
  it.each(['scheduler-failover', 'scheduler-crash'])(
    '%s: the scheduler Lease, whose holder the inject step hit',
    (fixture) => {
      const { events } = parseTimeline(readFileSync(`${dir}${fixture}.ndjson`, 'utf8'));
      const metrics = computeMetrics(events, { metrics: ['lease.takeover_s'] });
      const plain = get(metrics, 'lease.takeover_s');
      expect(plain.status).toBe('measured');
      expect(plain.value).toBe(get(metrics, 'lease.takeover_s{lease=kube-system/kube-scheduler}').value);
    },
  );
});
