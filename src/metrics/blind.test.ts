import { describe, expect, it } from 'vitest';
import { TimelineBuilder } from '../../test/fixtures/timelines/builder.js';
import { unionLength } from './blind.js';
import { computeMetrics } from './compute.js';

describe('unionLength', () => {
  it.each([
    {
      name: 'disjoint',
      intervals: [
        { start: 1, end: 2 },
        { start: 3, end: 5 },
      ],
      w: { start: 0, end: 10 },
      want: 3,
    },
    {
      name: 'overlapping',
      intervals: [
        { start: 1, end: 4 },
        { start: 3, end: 5 },
      ],
      w: { start: 0, end: 10 },
      want: 4,
    },
    {
      name: 'nested',
      intervals: [
        { start: 1, end: 6 },
        { start: 2, end: 3 },
      ],
      w: { start: 0, end: 10 },
      want: 5,
    },
    { name: 'clipped', intervals: [{ start: 1, end: 6 }], w: { start: 2, end: 4 }, want: 2 },
    { name: 'outside', intervals: [{ start: 1, end: 2 }], w: { start: 3, end: 4 }, want: 0 },
  ])('$name', ({ intervals, w, want }) => expect(unionLength(intervals, w)).toBeCloseTo(want, 9));
});

describe('observe.blind_s', () => {
  it('adds up blind windows within the drill, per watcher and in total', () => {
    const events = new TimelineBuilder()
      .blind(0, 'lease', 'kube-system/kube-scheduler', 'start') // before t_inject: not counted
      .blind(0.5, 'lease', 'kube-system/kube-scheduler', 'end')
      .inject(2, ['master-1'])
      .blind(3, 'lease', 'kube-system/kube-scheduler', 'start')
      .blind(5, 'lease', 'kube-system/kube-scheduler', 'end')
      .blind(4, 'raft', 'master-1', 'start') // open until the end (10)
      .write(10, true)
      .build();
    const results = computeMetrics(events, { metrics: ['observe.blind_s'] });
    expect(results.map((r) => [r.name, r.value])).toEqual([
      ['observe.blind_s', 7],
      ['observe.blind_s{watcher=lease}', 2],
      ['observe.blind_s{watcher=raft}', 6],
    ]);
    expect(results[0]!.note).toMatch(/master-1 4\.000–end/);
  });

  it('is zero when nothing was blind', () => {
    const [r] = computeMetrics(new TimelineBuilder().inject(1, ['x']).write(2, true).build(), {
      metrics: ['observe.blind_s'],
    });
    expect(r).toMatchObject({ value: 0, status: 'measured', note: expect.stringMatching(/saw throughout/) });
  });
});

describe('computeMetrics', () => {
  it('gives every metric of the vocabulary, unknown where nothing was recorded', () => {
    const results = computeMetrics(new TimelineBuilder().build());
    const names = new Set(results.map((r) => r.name.replace(/\{.*$/, '')));
    expect([...names].sort()).toEqual(
      [
        'apiserver.availability',
        'apiserver.max_outage_s',
        'etcd.write_outage_s',
        'lease.leaderless_s',
        'lease.same_master_reacquire',
        'lease.split_brain',
        'lease.takeover_s',
        'lease.transitions',
        'observe.blind_s',
        'raft.catchup_s',
        'raft.elections',
        'raft.reelection_s',
      ].sort(),
    );
    for (const r of results) if (r.name !== 'observe.blind_s') expect(r.status, r.name).toBe('unknown');
  });
});
