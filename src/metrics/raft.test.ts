import { describe, expect, it } from 'vitest';
import { TimelineBuilder } from '../../test/fixtures/timelines/builder.js';
import { computeMetrics } from './compute.js';
import type { MetricResult } from './types.js';

type State = { leader?: string; term?: number; index?: number; ok?: boolean } | null;

/** Polls every member every 0.1 s from 0 to `end`; `at(master, t)` gives its state (null: no poll). */
function polled(
  end: number,
  at: (master: string, t: number) => State,
  tb = new TimelineBuilder(),
): TimelineBuilder {
  const masters = ['master-1', 'master-2', 'master-3'];
  for (let i = 0; i * 0.1 <= end + 1e-9; i++) {
    const t = i / 10;
    masters.forEach((m, k) => {
      const s = at(m, t);
      if (s) tb.raft(Math.round((t + k * 0.001) * 1e6) / 1e6, m, s);
    });
  }
  return tb;
}

const steady = { leader: 'master-1', term: 2 };

/** Leader master-1 killed at 5.0; master-2 leads term 3 from 6.0 (master-3 learns it at 6.05). */
const leaderKill = (m: string, t: number): State => {
  if (t < 5) return steady;
  if (m === 'master-1') return { ok: false };
  if (m === 'master-2') return t < 6 ? { term: 2 } : { leader: 'master-2', term: 3 };
  return t < 6.05 ? { term: 2 } : { leader: 'master-2', term: 3 };
};

/** As leaderKill, but a split vote wastes term 3: the leader is elected at term 4. */
const splitVote = (m: string, t: number): State => {
  const s = leaderKill(m, t);
  if (s && s.term === 3) return { leader: 'master-2', term: 4 };
  if (s && t > 5.5 && t < 6 && m !== 'master-1') return { term: 3 };
  return s;
};

/** master-3 partitioned from 5.0: its own term climbs without a leader; the others keep leader 1. */
const isolated = (m: string, t: number): State =>
  t >= 5 && m === 'master-3' ? { term: 2 + Math.floor((t - 5) * 2) + 1 } : steady;

/** No new leader at all. */
const noQuorum = (m: string, t: number): State =>
  t < 5 ? steady : m === 'master-1' ? { ok: false } : { term: 3 };

function one(results: MetricResult[], name: string): MetricResult {
  const r = results.find((m) => m.name === name);
  if (!r) throw new Error(`no ${name}`);
  return r;
}

interface Case {
  name: string;
  build: () => TimelineBuilder;
  metric: string;
  value: number | null;
  errorS?: [number, number];
  note?: RegExp;
}

const kill = () => polled(8, leaderKill).inject(5.0, ['master-1']);

const cases: Case[] = [
  {
    name: 'leader kill: the new leader reports itself',
    build: kill,
    metric: 'raft.reelection_s',
    // seen at 1.001 s, not at the poll 0.1 s before: the middle, ± half a poll period
    value: 0.951,
    errorS: [0.045, 0.055],
    note: /a1 \(term 2\) → b2 \(term 3\), reported by the new leader master-2/,
  },
  {
    name: 'leader kill: a quorum of followers without the leader’s own report',
    // the new leader's polls show no memberId (say, an older etcd): the survivors' quorum decides
    build: () =>
      polled(8, leaderKill)
        .inject(5.0, ['master-1'])
        .build()
        .reduce(
          (tb, e) => (e.kind === 'run' ? tb : tb.add(e.t, { ...e, memberId: undefined } as never)),
          new TimelineBuilder(),
        ),
    metric: 'raft.reelection_s',
    value: 1.052,
    errorS: [0.045, 0.055],
    note: /seen by master-2, master-3/,
  },
  { name: 'leader kill: one election', build: kill, metric: 'raft.elections', value: 1 },
  {
    name: 'split vote: two terms used',
    build: () => polled(8, splitVote).inject(5.0, ['master-1']),
    metric: 'raft.elections',
    value: 2,
  },
  {
    name: 'isolated member: its leaderless terms are not elections',
    build: () => polled(8, isolated).inject(5.0, ['master-3']),
    metric: 'raft.elections',
    value: 0,
  },
  {
    name: 'no quorum: unknown',
    build: () => polled(8, noQuorum).inject(5.0, ['master-1']),
    metric: 'raft.reelection_s',
    value: null,
    note: /no quorum/,
  },
  {
    name: 'no t_inject: unknown',
    build: () => polled(8, leaderKill),
    metric: 'raft.reelection_s',
    value: null,
    note: /t_inject/,
  },
  {
    name: 'a survivor not answering widens the bound',
    build: () =>
      polled(8, (m, t) => (m === 'master-2' && t > 5.3 && t < 6.5 ? { ok: false } : leaderKill(m, t)))
        .inject(5.0, ['master-1'])
        .blind(5.4, 'raft', 'master-2', 'start')
        .blind(6.5, 'raft', 'master-2', 'end'),
    metric: 'raft.reelection_s',
    // seen at 1.501 s after 1.2 s without an answer: the middle of that window, ± its half
    value: 0.901,
    errorS: [0.6, 0.65],
    note: /master-2 did not answer/,
  },
];

describe('raft metrics', () => {
  it.each(cases)('$name', (c) => {
    const r = one(computeMetrics(c.build().build()), c.metric);
    if (c.value === null) expect(r.status).toBe('unknown');
    else expect(r.value).toBeCloseTo(c.value, 3);
    if (c.errorS) {
      expect(r.errorS).toBeGreaterThanOrEqual(c.errorS[0]);
      expect(r.errorS).toBeLessThanOrEqual(c.errorS[1]);
    }
    if (c.note) expect(r.note).toMatch(c.note);
  });
});

describe('raft.catchup_s', () => {
  /** master-1 killed at 5, restarted at 8: answers from 8.3 far behind, caught up from 8.6. */
  const restart = (m: string, t: number): State => {
    if (t < 8 || m !== 'master-1') {
      const s = leaderKill(m, t);
      return s && s.term === 3 ? { ...s, index: Math.round(200 + t * 10) } : s;
    }
    if (t < 8.3) return { ok: false };
    return { leader: 'master-2', term: 3, index: t < 8.6 ? 20 : 275 };
  };

  it('measures from the restore step to within maxLag of the leader', () => {
    const events = polled(10, restart).inject(5.0, ['master-1']).restore(8.0, ['master-1']).build();
    const [plain, labelled] = computeMetrics(events, { metrics: ['raft.catchup_s'] });
    expect(labelled!.name).toBe('raft.catchup_s{member=master-1}');
    expect(plain!.name).toBe('raft.catchup_s');
    expect(plain!.value).toBeCloseTo(0.6, 3);
    expect(plain!.errorS).toBeCloseTo(0.1, 2);
  });

  it('counts from the restart command, not its return (etcd tells systemd when it serves)', () => {
    // `systemctl start etcd` sent at 8.0 returns at 8.7, after the member caught up at 8.6
    const events = polled(10, restart)
      .inject(5.0, ['master-1'])
      .restore(8.7, ['master-1'], true, 8.0)
      .build();
    const [plain] = computeMetrics(events, { metrics: ['raft.catchup_s'] });
    expect(plain!.value).toBeCloseTo(0.6, 3);
  });

  it('honours maxLag', () => {
    const events = polled(10, restart).inject(5.0, ['master-1']).restore(8.0, ['master-1']).build();
    const [r] = computeMetrics(events, { metrics: ['raft.catchup_s'], catchupMaxLag: 1000 });
    expect(r!.value).toBeCloseTo(0.3, 3);
  });

  it('is unknown when the member was never interrupted', () => {
    const events = polled(10, () => steady)
      .inject(5.0, ['master-2'])
      .restore(8.0, ['master-2'])
      .build();
    const [r] = computeMetrics(events, { metrics: ['raft.catchup_s'] });
    expect(r).toMatchObject({ status: 'unknown', note: expect.stringMatching(/not interrupted/) });
  });

  it('is unknown when the member never catches up', () => {
    const events = polled(10, (m, t) =>
      m === 'master-1' && t >= 8.3 ? { leader: 'master-2', term: 3, index: 1 } : restart(m, t),
    )
      .inject(5.0, ['master-1'])
      .restore(8.0, ['master-1'])
      .build();
    const [r] = computeMetrics(events, { metrics: ['raft.catchup_s'] });
    expect(r).toMatchObject({ status: 'unknown', note: expect.stringMatching(/not within 100 entries/) });
  });
});
