import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../metrics/compute.js';
import type { MetricResult } from '../metrics/types.js';
import { parseTimeline } from '../timeline/read.js';
import { metricStats, percentile, summarize } from './stats.js';

const dir = fileURLToPath(new URL('../../test/fixtures/timelines/', import.meta.url));

/** A recorded lab run replayed through the metrics, as one iteration. */
function iteration(name: string): MetricResult[] {
  const { events } = parseTimeline(readFileSync(`${dir}${name}.ndjson`, 'utf8'));
  const truth = JSON.parse(readFileSync(`${dir}${name}.truth.json`, 'utf8')) as { primaryLease?: string };
  return computeMetrics(events, truth.primaryLease ? { primaryLease: truth.primaryLease } : {});
}

describe('percentile (nearest rank, as SLO aggregates)', () => {
  it.each([
    [[5], 50, 5],
    [[5], 95, 5],
    [[1, 2], 50, 1],
    [[1, 2], 95, 2],
    [[3, 1, 2], 50, 2],
    [[1, 2, 3, 4, 5], 95, 5],
    [Array.from({ length: 20 }, (_, i) => i + 1), 95, 19],
    [Array.from({ length: 20 }, (_, i) => i + 1), 50, 10],
    [Array.from({ length: 100 }, (_, i) => 100 - i), 95, 95],
    [[], 50, null],
  ])('p(%j, %d) = %j', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('summarize', () => {
  it('counts unknown iterations apart and never as a value', () => {
    const s = summarize('lease.takeover_s', 's', [1.5, null, 0.5, 2.5, null]);
    expect(s).toMatchObject({ count: 3, unknown: 2, min: 0.5, p50: 1.5, p95: 2.5, max: 2.5 });
    expect(s.values).toEqual([1.5, null, 0.5, 2.5, null]);
  });

  it('has no statistics when nothing was measured', () => {
    expect(summarize('raft.reelection_s', 's', [null, null])).toMatchObject({
      count: 0,
      unknown: 2,
      min: null,
      p50: null,
      p95: null,
      max: null,
    });
  });
});

describe('metricStats on recorded lab timelines', () => {
  const failover = iteration('scheduler-failover');
  const crash = iteration('scheduler-crash');
  const etcdKill = iteration('etcd-leader-kill');
  const stats = metricStats([failover, crash, etcdKill]);
  const get = (name: string) => {
    const s = stats.find((x) => x.metric === name);
    if (!s) throw new Error(`no ${name}`);
    return s;
  };
  const value = (results: MetricResult[], name: string) => results.find((r) => r.name === name)?.value;

  it('gives the distribution of the takeover over the iterations that measured it', () => {
    const t = get('lease.takeover_s');
    expect(t.values).toEqual([
      value(failover, 'lease.takeover_s'),
      value(crash, 'lease.takeover_s'),
      null, // etcd-leader-kill: no takeover happened, unknown
    ]);
    expect(t).toMatchObject({ unit: 's', count: 2, unknown: 1 });
    expect(t.min).toBe(value(failover, 'lease.takeover_s'));
    expect(t.max).toBe(value(crash, 'lease.takeover_s'));
    // nearest rank over two values: p50 is the smaller, p95 the larger
    expect(t.p50).toBe(t.min);
    expect(t.p95).toBe(t.max);
    expect(t.max! - t.min!).toBeGreaterThan(3); // crash waits out the lease, a release does not
  });

  it('keeps labelled metrics apart and counts a metric absent from an iteration as unknown', () => {
    const cm = get('lease.takeover_s{lease=kube-system/kube-controller-manager}');
    expect(cm).toMatchObject({ count: 0, unknown: 3 });
    const reelection = get('raft.reelection_s');
    expect(reelection).toMatchObject({ count: 1, unknown: 2 });
    expect(reelection.p95).toBe(value(etcdKill, 'raft.reelection_s'));
  });

  it('summarises counts and ratios with the same rule', () => {
    expect(get('lease.split_brain')).toMatchObject({ unit: 'count', count: 3, max: 0 });
    expect(get('raft.elections')).toMatchObject({ count: 3, min: 0, p50: 0, max: 1 });
    expect(get('apiserver.availability')).toMatchObject({ unit: 'ratio', count: 3, min: 1 });
  });

  it('reports the widest error bound of the measured values', () => {
    const t = get('lease.takeover_s');
    const bounds = [failover, crash].map((r) => r.find((m) => m.name === 'lease.takeover_s')!.errorS);
    expect(t.errorS).toBe(Math.max(...bounds));
  });
});
