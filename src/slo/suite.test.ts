import { describe, expect, it } from 'vitest';
import type { MetricResult } from '../metrics/types.js';
import { aggregateVerdicts, mergeSlos } from './suite.js';

const timings = { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 };
const m = (name: string, value: number | null, unit: MetricResult['unit'] = 's'): MetricResult => ({
  name,
  value,
  unit,
  errorS: 0,
  status: value === null ? 'unknown' : 'measured',
});
const takeovers = (...values: (number | null)[]) => values.map((v) => [m('lease.takeover_s', v)]);

describe('mergeSlos', () => {
  it('adds the suite’s expressions, replaces those on the same subject, splits out aggregates', () => {
    const merged = mergeSlos(
      ['lease.takeover_s < 2.2 * retryPeriod + 1', 'lease.split_brain == 0', 'p(95)(lease.takeover_s) < 9'],
      ['lease.takeover_s < 10', 'p(95)(lease.takeover_s) < 18', 'max(raft.elections) <= 2'],
    );
    expect(merged.perIteration).toEqual(['lease.split_brain == 0', 'lease.takeover_s < 10']);
    expect(merged.aggregate).toEqual(['p(95)(lease.takeover_s) < 18', 'max(raft.elections) <= 2']);
  });

  it('keeps labelled subjects apart', () => {
    const merged = mergeSlos(
      ['lease.takeover_s{lease=kube-system/kube-scheduler} < 5'],
      ['lease.takeover_s < 9'],
    );
    expect(merged.perIteration).toHaveLength(2);
  });
});

describe('aggregateVerdicts', () => {
  it.each([
    ['p(95)(lease.takeover_s) < 18', takeovers(1, 2, 3, 4, 17), 'pass', 17],
    ['p(95)(lease.takeover_s) < 18', takeovers(1, 2, 3, 4, 19), 'fail', 19],
    ['p(50)(lease.takeover_s) < 3', takeovers(1, 2, 3, 4, 19), 'fail', 3],
    ['p(50)(lease.takeover_s) <= 3', takeovers(1, 2, 3, 4, 19), 'pass', 3],
    ['max(lease.takeover_s) < 5', takeovers(1, 2), 'pass', 2],
    ['min(lease.takeover_s) > 0.5', takeovers(1, 2), 'pass', 1],
    ['avg(lease.takeover_s) < 2', takeovers(1, 2), 'pass', 1.5],
  ])('%s over %j → %s', (expr, iterations, status, value) => {
    const [v] = aggregateVerdicts([expr], iterations, timings);
    expect(v).toMatchObject({ status, value });
  });

  it('substitutes the timings in the bound', () => {
    const [v] = aggregateVerdicts(
      ['p(95)(lease.takeover_s) < leaseDuration + 2 * retryPeriod'],
      takeovers(5),
      timings,
    );
    expect(v).toMatchObject({ status: 'pass', bound: '< 19' });
  });

  describe('unknown iterations never count as values', () => {
    it('is unknown when they could decide it', () => {
      const [v] = aggregateVerdicts(['p(95)(lease.takeover_s) < 18'], takeovers(1, 2, null), timings);
      expect(v!.status).toBe('unknown');
      expect(v!.message).toMatch(/over 2 of 3 measurements; 1 unknown could decide it either way/);
    });

    it('fails when the measured ones already break it whatever the unknown were', () => {
      const [v] = aggregateVerdicts(['max(lease.takeover_s) < 18'], takeovers(20, null), timings);
      expect(v!.status).toBe('fail');
    });

    it('passes when the measured ones hold it whatever the unknown were', () => {
      // p50 of 5: the 3rd smallest. With 1, 2, 3, 4 measured it is at most 4 even if the unknown is +∞
      const [v] = aggregateVerdicts(['p(50)(lease.takeover_s) < 5'], takeovers(1, 2, 3, 4, null), timings);
      expect(v!.status).toBe('pass');
      expect(v!.message).toMatch(/holds whatever the 1 unknown were/);
    });

    it('counts an iteration without the metric at all as unknown', () => {
      const [v] = aggregateVerdicts(
        ['max(raft.elections) <= 1'],
        [[m('raft.elections', 1, 'count')], []],
        timings,
      );
      expect(v!.status).toBe('unknown');
    });

    it('is unknown when nothing was measured', () => {
      const [v] = aggregateVerdicts(['p(95)(lease.takeover_s) < 18'], takeovers(null, null), timings);
      expect(v).toMatchObject({ status: 'unknown', value: null });
    });
  });

  it('marks a verdict inside the error bound as marginal', () => {
    const it1 = [[{ ...m('lease.takeover_s', 17.9), errorS: 0.2 }]];
    const [v] = aggregateVerdicts(['p(95)(lease.takeover_s) < 18'], it1, timings);
    expect(v).toMatchObject({ status: 'pass', marginal: true });
  });
});
