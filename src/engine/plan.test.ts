import { describe, expect, it } from 'vitest';
import { buildPlan, formatPlan } from './plan.js';
import { FakeCluster, fakeDrill, fakeInventory } from './testing/fakes.js';

describe('plan', () => {
  it('resolves targets read-only and prints host, command and undo', async () => {
    const inv = fakeInventory();
    const cluster = new FakeCluster(inv);
    cluster.schedulerHolder = 'master-2';
    const drill = fakeDrill({
      restore: [{ action: 'restartService', target: 'step:victim', service: 'kube-scheduler' }],
    });
    const plan = await buildPlan(drill, inv, cluster, 'r1');
    const text = formatPlan(drill, inv, plan);
    expect(cluster.commands).toEqual([]);
    expect(text).toContain(
      'lease-holder:kube-system/kube-scheduler → master-2 (holder of Lease kube-system/kube-scheduler)',
    );
    expect(text).toContain('on master-2 (10.0.0.2): systemctl stop kube-scheduler');
    expect(text).toContain('undo on master-2 (10.0.0.2): systemctl start kube-scheduler');
    expect(text).toContain('verified by: systemctl is-active kube-scheduler');
    expect(text).toContain('step:victim → master-2');
    expect(text).toContain('Guardrails: ok');
    expect(formatPlan(drill, inv, plan, { sudo: true })).toContain(
      'on master-2 (10.0.0.2): sudo -n systemctl stop kube-scheduler',
    );
  });

  it('stopService with wait: false returns once the stop has begun (systemctl stop --no-block)', async () => {
    const inv = fakeInventory();
    const cluster = new FakeCluster(inv);
    const drill = fakeDrill({
      inject: [{ action: 'stopService', target: 'master:master-1', service: 'kube-apiserver', wait: false }],
    });
    const text = formatPlan(drill, inv, await buildPlan(drill, inv, cluster, 'r1'));
    expect(text).toContain('on master-1 (10.0.0.1): systemctl stop --no-block kube-apiserver');
    expect(text).toContain('undo on master-1 (10.0.0.1): systemctl start kube-apiserver');
  });

  it('shows what cannot be resolved', async () => {
    const inv = fakeInventory();
    const cluster = new FakeCluster(inv);
    cluster.schedulerHolder = null;
    const plan = await buildPlan(fakeDrill(), inv, cluster, 'r1');
    expect(formatPlan(fakeDrill(), inv, plan)).toMatch(
      /CANNOT RESOLVE: Lease kube-system\/kube-scheduler has no holder/,
    );
  });

  it('assumes a role target moves to another master once its first one is down (guardrails)', async () => {
    const inv = fakeInventory();
    const cluster = new FakeCluster(inv);
    const drill = fakeDrill({
      inject: [
        { action: 'killService', target: 'etcd-leader', service: 'etcd' },
        { action: 'wait', duration: '2s' },
        { action: 'killService', target: 'etcd-leader', service: 'etcd' },
      ],
    });
    const plan = await buildPlan(drill, inv, cluster, 'r1');
    expect(plan.violations.map((v) => v.message)).toEqual([
      'takes down 2 of 3 etcd members (master-1, master-2): etcd loses quorum (needs 2)',
    ]);
    expect(formatPlan(drill, inv, plan)).toMatch(/would be REFUSED without allowQuorumLoss: true and --yes/);
  });

  it('partition reads the peer addresses once, from the view, and prints them; a failure is the step’s error', async () => {
    const inv = fakeInventory();
    const cluster = new FakeCluster(inv);
    let reads = 0;
    const peers = { 'master-1': ['192.168.9.1'], 'master-2': ['fd00::2'], 'master-3': ['192.168.9.3'] };
    const view = Object.assign(Object.create(cluster) as FakeCluster, {
      peers: () => (reads++, Promise.resolve(peers)),
    });
    const drill = fakeDrill({
      inject: [{ action: 'partition', target: 'master:master-1' }],
      restore: [{ action: 'heal', target: 'master:master-1' }],
    });
    const plan = await buildPlan(drill, inv, view, 'r1');
    expect(reads).toBe(1);
    expect(plan.peers).toEqual(peers);
    const text = formatPlan(drill, inv, plan);
    expect(text).toContain(
      'peer addresses (etcd member list, resolved once): master-1 192.168.9.1, master-2 fd00::2',
    );
    expect(text).toContain('ip6tables -w -I INPUT -s fd00::2 -j DROP');
    expect(text).not.toContain('-s 10.0.0.');
    const failing = Object.assign(Object.create(cluster) as FakeCluster, {
      peers: () => Promise.reject(new Error("cannot read etcd's member list: timeout")),
    });
    const bad = await buildPlan(drill, inv, failing, 'r1');
    expect(bad.inject[0]?.error).toBe("cannot read etcd's member list: timeout");
    expect(bad.inject[0]?.rendered).toBeUndefined();
  });
});
