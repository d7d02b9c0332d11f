import { describe, expect, it } from 'vitest';
import { checkGuardrails, enforceGuardrails } from './guardrails.js';
import { fakeDrill } from './testing/fakes.js';
import type { Effect } from './types.js';

const masters = ['m1', 'm2', 'm3'];
const down = (master: string, component: 'etcd' | 'kube-scheduler' = 'etcd'): Effect => ({
  kind: 'down',
  master,
  component,
});

describe('guardrails', () => {
  it.each([
    // the inventory lists two masters, etcd has three voters: one stop keeps quorum
    ['one of two listed, three voters', 3, [], 0],
    ['one of two listed, three voters, the unlisted one down', 3, ['etcd member m3 (c3)'], 1],
    // without etcd's count, two listed masters are taken as two members: one stop breaks it
    ['one of two listed, voters unknown', undefined, [], 1],
  ] as [string, number | undefined, string[], number][])(
    "counts from etcd's member list: %s → %i violation(s)",
    (_name, etcdVoters, already, n) => {
      const v = checkGuardrails({
        masters: ['m1', 'm2'],
        effects: [[down('m1')]],
        etcdAlreadyDown: already,
        ...(etcdVoters !== undefined ? { etcdVoters } : {}),
      });
      expect(v).toHaveLength(n);
      if (n && etcdVoters) expect(v[0]?.message).toContain(`of ${etcdVoters} etcd members`);
    },
  );

  it.each([
    ['one etcd member down', [[down('m1')]], [], 0],
    ['two of three etcd members', [[down('m1')], [down('m2')]], [], 1],
    ['one more when one is already down', [[down('m1')]], ['m3'], 1],
    ['the same member twice', [[down('m1')], [down('m1')]], [], 0],
    [
      'stop, start, stop another',
      [[down('m1')], [{ kind: 'up', master: 'm1', component: 'etcd' }], [down('m2')]],
      [],
      0,
    ],
    [
      'isolating two masters',
      [[{ kind: 'isolate', master: 'm1' }], [{ kind: 'isolate', master: 'm2' }]],
      [],
      1,
    ],
    ['isolate one, stop etcd on another', [[{ kind: 'isolate', master: 'm1' }], [down('m2')]], [], 1],
    [
      'isolate then heal then stop another',
      [[{ kind: 'isolate', master: 'm1' }], [{ kind: 'heal', master: 'm1' }], [down('m2')]],
      [],
      0,
    ],
  ] as [string, Effect[][], string[], number][])('%s → %i violation(s)', (_name, effects, already, n) => {
    const v = checkGuardrails({ masters, effects, etcdAlreadyDown: already });
    expect(v.filter((x) => /etcd/.test(x.message))).toHaveLength(n);
  });

  it('refuses every instance of a component', () => {
    const v = checkGuardrails({
      masters,
      effects: [[down('m1', 'kube-scheduler'), down('m2', 'kube-scheduler'), down('m3', 'kube-scheduler')]],
      etcdAlreadyDown: [],
    });
    expect(v.map((x) => x.message)).toEqual(['takes down every kube-scheduler (m1, m2, m3)']);
  });

  it('names the members and counts those already down', () => {
    const [v] = checkGuardrails({ masters, effects: [[down('m1')]], etcdAlreadyDown: ['m3'] });
    expect(v?.message).toBe(
      'takes down 2 of 3 etcd members (m1, m3) (m3 already down): etcd loses quorum (needs 2)',
    );
  });

  it('lets it through only with allowQuorumLoss AND --yes', () => {
    const v = [{ step: 0, message: 'takes down 2 of 3 etcd members' }];
    expect(() => enforceGuardrails(fakeDrill(), v, true)).toThrow(/does not say allowQuorumLoss: true/);
    expect(() => enforceGuardrails(fakeDrill({ allowQuorumLoss: true }), v, false)).toThrow(
      /--yes was not given/,
    );
    expect(() => enforceGuardrails(fakeDrill({ allowQuorumLoss: true }), v, true)).not.toThrow();
    expect(() => enforceGuardrails(fakeDrill(), [], false)).not.toThrow();
  });
});
