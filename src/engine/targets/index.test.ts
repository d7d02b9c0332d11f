import { describe, expect, it } from 'vitest';
import { FakeCluster, fakeInventory } from '../testing/fakes.js';
import type { ClusterView, MemberState } from '../types.js';
import { etcdLeader, resolveTarget, type TargetContext } from './index.js';

function ctx(over: Partial<ClusterView> = {}, stepTargets = new Map<string, string[]>()): TargetContext {
  const inventory = fakeInventory();
  const cluster = new FakeCluster(inventory);
  cluster.etcdLeader = 'master-2';
  cluster.schedulerHolder = 'master-3';
  const view: ClusterView = {
    etcd: over.etcd ?? (() => cluster.etcd()),
    lease: over.lease ?? ((ref) => cluster.lease(ref)),
    apiserver: (m) => cluster.apiserver(m),
    loadBalancer: () => cluster.loadBalancer(),
  };
  return { inventory, view, stepTargets, random: () => 0.5 };
}

const names = async (spec: string, c: TargetContext) =>
  (await resolveTarget(spec, c)).masters.map((m) => m.name);

describe('targets', () => {
  it.each([
    ['etcd-leader', ['master-2']],
    ['etcd-follower', ['master-1']],
    ['etcd-follower:all', ['master-1', 'master-3']],
    ['lease-holder:kube-system/kube-scheduler', ['master-3']],
    ['lease-standby:kube-system/kube-scheduler', ['master-1']],
    ['master:master-2', ['master-2']],
    ['random-master', ['master-2']],
    ['all-masters', ['master-1', 'master-2', 'master-3']],
  ])('%s → %j', async (spec, expected) => {
    expect(await names(spec, ctx())).toEqual(expected);
  });

  it('resolves step:<id> to what the inject step resolved to', async () => {
    expect(await names('step:victim', ctx({}, new Map([['victim', ['master-3']]])))).toEqual(['master-3']);
    await expect(names('step:nope', ctx())).rejects.toThrow(/no inject step with id 'nope' has run/);
  });

  it('maps the holderIdentity prefix `<nodeName>_` to the master', async () => {
    const c = ctx({
      lease: async () => ({
        lease: 'kube-system/x',
        holder: 'node-2_1234-abcd',
        master: null,
        transitions: 0,
        renewTime: null,
        leaseDurationSeconds: 15,
        resourceVersion: '1',
      }),
    });
    expect(await names('lease-holder:kube-system/x', c)).toEqual(['master-2']);
  });

  it.each([
    ['lease-holder:kube-system/missing', {}, /Lease kube-system\/missing does not exist/],
    [
      'lease-holder:kube-system/kube-scheduler',
      {
        lease: async () => ({
          lease: 'x',
          holder: 'stranger_1',
          master: null,
          transitions: 0,
          renewTime: null,
          leaseDurationSeconds: 1,
          resourceVersion: '1',
        }),
      },
      /held by 'stranger_1', which matches no master's nodeName/,
    ],
    [
      'lease-holder:kube-system/kube-scheduler',
      {
        lease: async () => ({
          lease: 'x',
          holder: null,
          master: null,
          transitions: 0,
          renewTime: null,
          leaseDurationSeconds: 1,
          resourceVersion: '1',
        }),
      },
      /has no holder/,
    ],
    [
      'etcd-leader',
      { etcd: async () => [{ master: 'master-1', ok: false, error: 'refused' }] as MemberState[] },
      /no etcd leader.*not answering: master-1/,
    ],
    ['master:master-9', {}, /no master named 'master-9'/],
  ])('%s fails naming what could not be resolved', async (spec, over, message) => {
    await expect(names(spec, ctx(over as Partial<ClusterView>))).rejects.toThrow(message);
  });

  it('needs a quorum to agree on the leader', () => {
    const rows: MemberState[] = [
      { master: 'master-1', ok: true, id: 'a', leader: 'a' },
      { master: 'master-2', ok: false },
      { master: 'master-3', ok: false },
    ];
    expect(() => etcdLeader(rows)).toThrow(/no etcd leader agreed by a quorum: 1 of 3/);
  });
});
