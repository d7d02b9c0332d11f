import { describe, expect, it } from 'vitest';
import { TimelineBuilder } from '../../test/fixtures/timelines/builder.js';
import { computeMetrics } from './compute.js';
import type { MetricName } from './names.js';
import type { MetricResult } from './types.js';

const A = 'master-2_aaaa';
const B = 'master-1_bbbb';

/** A held by master-2, renewed every 2 s from t=0 up to and including `lastRenew`. */
function heldBy(
  tb: TimelineBuilder,
  lastRenew: number,
  o: { lease?: string; holder?: string } = {},
): TimelineBuilder {
  for (let t = 0; t <= lastRenew; t += 2) {
    tb.lease(t + 0.01, o.holder ?? A, {
      renew: t,
      acquire: 0,
      transitions: 1,
      lease: o.lease,
      type: t === 0 ? 'LIST' : 'MODIFIED',
    });
  }
  return tb;
}

const crash = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(10.5, ['master-2'])
    .lease(27.01, B, { renew: 27, acquire: 27, transitions: 2 })
    .phase(30, 'observe', 'end');

const release = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(10.5, ['master-2'])
    .lease(10.61, null, { renew: 10.6, acquire: 10.6, transitions: 1, duration: 1 })
    .lease(13.01, B, { renew: 13, acquire: 13, transitions: 2 });

const blindTakeover = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(10.5, ['master-2'])
    .blind(20, 'lease', 'kube-system/kube-scheduler', 'start')
    .blind(28, 'lease', 'kube-system/kube-scheduler', 'end')
    .lease(28.001, B, { renew: 27, acquire: 27, transitions: 2 });

/** The release lands while the (slow) stop command is still running. */
const releaseDuringStep = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(11.5, ['master-2'])
    .lease(11.47, null, { renew: 11.46, acquire: 11.46, transitions: 1, duration: 1 })
    .lease(12.31, B, { renew: 12.3, acquire: 12.3, transitions: 2 });

/** The watch went silent (restarted after 5 s); the change came in the replay. */
const silentWatch = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(10.5, ['master-2'])
    .add(15.01, {
      kind: 'blind',
      watcher: 'lease',
      subject: 'kube-system/kube-scheduler',
      state: 'start',
      reason: 'silent watch: no event for 5000 ms',
    })
    .blind(15.02, 'lease', 'kube-system/kube-scheduler', 'end')
    .lease(15.03, B, { renew: 14, acquire: 14, transitions: 2 });

/** A blip long before the change does not widen the bound. */
const earlierBlip = () =>
  crash()
    .blind(12, 'lease', 'kube-system/kube-scheduler', 'start')
    .blind(12.01, 'lease', 'kube-system/kube-scheduler', 'end');

const noTakeover = () => heldBy(new TimelineBuilder(), 30).inject(10.5, ['master-2']);
const noInject = () =>
  heldBy(new TimelineBuilder(), 10).lease(27.01, B, { renew: 27, acquire: 27, transitions: 2 });
const splitBrain = () =>
  heldBy(new TimelineBuilder(), 10)
    .inject(10.5, ['master-2'])
    .lease(12.01, B, { renew: 12, acquire: 12, transitions: 2 })
    .lease(14.01, A, { renew: 14, acquire: 14, transitions: 3 });

function one(results: MetricResult[], name: string): MetricResult {
  const r = results.find((m) => m.name === name);
  if (!r) throw new Error(`no ${name} in ${results.map((m) => m.name).join(', ')}`);
  return r;
}

interface Case {
  name: string;
  events: () => TimelineBuilder;
  metric: string;
  value: number | null;
  errorS?: number;
  note?: RegExp;
}

const cases: Case[] = [
  {
    name: 'crash: takeover from t_inject',
    events: crash,
    metric: 'lease.takeover_s',
    value: 16.51,
    errorS: 0.01,
  },
  {
    name: 'crash: leaderless from last renew',
    events: crash,
    metric: 'lease.leaderless_s',
    value: 17,
    note: /last renew/,
  },
  { name: 'crash: one transition', events: crash, metric: 'lease.transitions', value: 1 },
  { name: 'crash: no split brain', events: crash, metric: 'lease.split_brain', value: 0 },
  {
    name: 'release: empty holder is not a takeover',
    events: release,
    metric: 'lease.takeover_s',
    value: 2.51,
  },
  {
    name: 'release: leaderless from the release',
    events: release,
    metric: 'lease.leaderless_s',
    value: 2.4,
    note: /release by/,
  },
  { name: 'release: one transition', events: release, metric: 'lease.transitions', value: 1 },
  { name: 'release: no split brain', events: release, metric: 'lease.split_brain', value: 0 },
  {
    name: 'blind: bound covers the blind window',
    events: blindTakeover,
    metric: 'lease.takeover_s',
    value: 17.501,
    errorS: 8.011,
    note: /blind .*20\.000–28\.000.*acquireTime says 16\.500/,
  },
  {
    name: 'blind: leaderless still from the records',
    events: blindTakeover,
    metric: 'lease.leaderless_s',
    value: 17,
  },
  {
    name: 'release during the inject step: holder from before the step',
    events: releaseDuringStep,
    metric: 'lease.takeover_s',
    value: 0.81,
  },
  {
    name: 'release during the inject step: leaderless',
    events: releaseDuringStep,
    metric: 'lease.leaderless_s',
    value: 0.84,
  },
  {
    name: 'release during the inject step: transitions',
    events: releaseDuringStep,
    metric: 'lease.transitions',
    value: 1,
  },
  {
    name: 'silent watch: bound reaches back to the last event seen',
    events: silentWatch,
    metric: 'lease.takeover_s',
    value: 4.53,
    errorS: 4.53 + 0.01,
    note: /silent watch|blind/,
  },
  {
    name: 'an earlier blind blip does not widen the bound',
    events: earlierBlip,
    metric: 'lease.takeover_s',
    value: 16.51,
    errorS: 0.01,
  },
  {
    name: 'no new holder: unknown',
    events: noTakeover,
    metric: 'lease.takeover_s',
    value: null,
    note: /no new holder/,
  },
  { name: 'no new holder: zero transitions', events: noTakeover, metric: 'lease.transitions', value: 0 },
  {
    name: 'no t_inject: unknown',
    events: noInject,
    metric: 'lease.takeover_s',
    value: null,
    note: /t_inject/,
  },
  { name: 'split brain: two overlapping holders', events: splitBrain, metric: 'lease.split_brain', value: 2 },
];

describe('lease metrics', () => {
  it.each(cases)('$name', (c) => {
    const r = one(computeMetrics(c.events().build()), c.metric);
    if (c.value === null) {
      expect(r.status).toBe('unknown');
      expect(r.value).toBeNull();
    } else {
      expect(r.status).toBe('measured');
      expect(r.value).toBeCloseTo(c.value, 6);
    }
    if (c.errorS !== undefined) expect(r.errorS).toBeCloseTo(c.errorS, 6);
    if (c.note) expect(r.note).toMatch(c.note);
  });

  it('labels every Lease and gives the attacked one without a label', () => {
    const tb = heldBy(new TimelineBuilder(), 10);
    heldBy(tb, 30, { lease: 'kube-system/kube-controller-manager', holder: 'master-3_cccc' });
    tb.inject(10.5, ['master-2']).lease(27.01, B, { renew: 27, acquire: 27, transitions: 2 });
    const results = computeMetrics(tb.build(), { metrics: ['lease.takeover_s'] });
    expect(results.map((r) => r.name)).toEqual([
      'lease.takeover_s',
      'lease.takeover_s{lease=kube-system/kube-scheduler}',
      'lease.takeover_s{lease=kube-system/kube-controller-manager}',
    ]);
    expect(results[0]!.value).toBeCloseTo(16.51, 6);
    expect(results[2]!.status).toBe('unknown');
  });

  it('uses the primary Lease it is given', () => {
    const tb = heldBy(new TimelineBuilder(), 10);
    heldBy(tb, 30, { lease: 'kube-system/kube-controller-manager', holder: 'master-3_cccc' });
    tb.inject(10.5, ['master-2']);
    const r = computeMetrics(tb.build(), {
      metrics: ['lease.takeover_s'],
      primaryLease: 'kube-system/kube-controller-manager',
    });
    expect(r[0]!.name).toBe('lease.takeover_s');
    expect(r[0]!.note).toMatch(/master-3_cccc until the end/);
  });

  it('is unknown when no Lease was watched', () => {
    const r = computeMetrics(new TimelineBuilder().inject(1, ['master-1']).build(), {
      metrics: ['lease.takeover_s'],
    });
    expect(r).toEqual([
      expect.objectContaining({ name: 'lease.takeover_s', status: 'unknown', note: 'no Lease was watched' }),
    ]);
  });
});

describe('same-master reacquire (a restart is not a takeover)', () => {
  const A2 = 'master-2_cccc'; // kube-scheduler restarted by systemd on master-2: a new uuid
  /** SIGKILL at 10.5; systemd restarts it 5 s later and it wins its own Lease back at 17. */
  const restartedOnVictim = () =>
    heldBy(new TimelineBuilder(), 10)
      .inject(10.5, ['master-2'])
      .lease(17.01, A2, { renew: 17, acquire: 17, transitions: 2 })
      .lease(19.01, A2, { renew: 19, acquire: 17, transitions: 2 })
      .phase(30, 'observe', 'end');
  const metric = (tb: TimelineBuilder, name: MetricName) =>
    computeMetrics(tb.build(), { metrics: [name] })[0]!;

  it('the takeover is unknown and says the component won its own Lease back', () => {
    const r = metric(restartedOnVictim(), 'lease.takeover_s');
    expect(r.status).toBe('unknown');
    expect(r.note).toMatch(
      /no holder on another master.*restarted on master-2 and won its own Lease back \(master-2_aaaa → master-2_cccc at 6\.510 s after t_inject\).*not a takeover/,
    );
    expect(metric(restartedOnVictim(), 'lease.leaderless_s').status).toBe('unknown');
  });

  it('counts the reacquire; leaseTransitions still moved (the identity changed)', () => {
    expect(metric(restartedOnVictim(), 'lease.same_master_reacquire')).toMatchObject({
      status: 'measured',
      value: 1,
      at: 17.01,
      note: expect.stringMatching(/same-master reacquire/),
    });
    expect(metric(restartedOnVictim(), 'lease.transitions').value).toBe(1);
  });

  it('a later holder on another master is the takeover, timed from t_inject', () => {
    const tb = restartedOnVictim().lease(25.01, B, { renew: 25, acquire: 25, transitions: 3 });
    const t = metric(tb, 'lease.takeover_s');
    expect(t).toMatchObject({ status: 'measured', at: 25.01 });
    expect(t.value).toBeCloseTo(14.51, 6);
    expect(metric(tb, 'lease.same_master_reacquire')).toMatchObject({
      value: 1,
      note: expect.stringMatching(/then master-1_bbbb \(master-1\) took over/),
    });
    // the victim's master held it until 19 (its restarted instance's last renew), not 10
    expect(metric(tb, 'lease.leaderless_s').value).toBeCloseTo(6, 6);
  });

  it('a clean crash takeover reports no reacquire', () => {
    expect(metric(crash(), 'lease.same_master_reacquire')).toMatchObject({
      status: 'measured',
      value: 0,
      note: expect.stringMatching(/no new identity on master-2 held the Lease; then master-1_bbbb/),
    });
  });

  it('is unknown without a holder before the fault', () => {
    const tb = new TimelineBuilder().inject(1, ['master-1']).lease(2, A2, { renew: 2, acquire: 2 });
    expect(metric(tb, 'lease.same_master_reacquire').status).toBe('unknown');
  });
});
