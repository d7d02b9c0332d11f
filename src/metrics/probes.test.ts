import { describe, expect, it } from 'vitest';
import { TimelineBuilder } from '../../test/fixtures/timelines/builder.js';
import { computeMetrics } from './compute.js';
import type { MetricResult } from './types.js';

/** LB probes every 0.1 s from 0 to `end`, failing where `down(t)`. */
function lb(end: number, down: (t: number) => boolean, tb = new TimelineBuilder()): TimelineBuilder {
  for (let i = 0; i / 10 <= end; i++) tb.api(i / 10, 'lb', !down(i / 10));
  return tb;
}

function writes(end: number, down: (t: number) => boolean, tb = new TimelineBuilder()): TimelineBuilder {
  for (let i = 0; i / 10 <= end; i++) tb.write(i / 10 + 0.005, !down(i / 10));
  return tb;
}

const get = (results: MetricResult[], name: string) => results.find((r) => r.name === name)!;

interface Case {
  name: string;
  build: () => TimelineBuilder;
  metric: string;
  value: number | null;
  errorS?: number;
  note?: RegExp;
}

const cases: Case[] = [
  {
    name: 'availability: share of LB probes in the observe window',
    // window 5.0–9.9 (50 probes), failing 6.0–6.9 (10 probes); failures outside the window do not count
    build: () =>
      lb(12, (t) => (t >= 6 && t < 6.95) || t > 10.5)
        .inject(5.0, ['master-1'])
        .phase(9.9, 'observe', 'end'),
    metric: 'apiserver.availability',
    value: 0.8,
    errorS: 0.02,
    note: /40 of 50/,
  },
  {
    name: 'max outage: first failure to next success',
    build: () => lb(10, (t) => (t >= 6 && t < 6.95) || (t >= 8 && t < 8.25)).inject(5.0, ['x']),
    metric: 'apiserver.max_outage_s',
    value: 1.0,
    errorS: 0.1,
  },
  {
    name: 'max outage: none',
    build: () => lb(10, () => false).inject(5.0, ['x']),
    metric: 'apiserver.max_outage_s',
    value: 0,
  },
  {
    name: 'max outage: still failing at the end',
    build: () => lb(10, (t) => t >= 9).inject(5.0, ['x']),
    metric: 'apiserver.max_outage_s',
    value: 1.0,
    note: /at least/,
  },
  {
    name: 'availability: no probes',
    build: () => new TimelineBuilder().inject(1, ['x']),
    metric: 'apiserver.availability',
    value: null,
  },
  {
    name: 'write outage: longest gap between successes',
    build: () => writes(10, (t) => t >= 6 && t < 7.05).inject(5.0, ['x']),
    metric: 'etcd.write_outage_s',
    value: 1.2,
    errorS: 0.1,
  },
  {
    name: 'write outage: healthy is one interval',
    build: () => writes(10, () => false).inject(5.0, ['x']),
    metric: 'etcd.write_outage_s',
    value: 0.1,
  },
  {
    name: 'write outage: the gap spanning t_inject counts',
    build: () => writes(10, (t) => t >= 4.5 && t < 5.5).inject(5.0, ['x']),
    metric: 'etcd.write_outage_s',
    value: 1.1,
  },
  {
    name: 'write outage: no success after the fault',
    build: () => writes(10, (t) => t >= 6).inject(5.0, ['x']),
    metric: 'etcd.write_outage_s',
    value: 4.1,
    note: /at least/,
  },
  {
    name: 'write outage: nothing succeeded',
    build: () => writes(3, () => true).inject(1, ['x']),
    metric: 'etcd.write_outage_s',
    value: null,
  },
];

describe('probe metrics', () => {
  it.each(cases)('$name', (c) => {
    const r = get(computeMetrics(c.build().build()), c.metric);
    if (c.value === null) expect(r.status).toBe('unknown');
    else {
      expect(r.status).toBe('measured');
      expect(r.value).toBeCloseTo(c.value, 6);
    }
    if (c.errorS !== undefined) expect(r.errorS).toBeCloseTo(c.errorS, 6);
    if (c.note) expect(r.note).toMatch(c.note);
  });
});
