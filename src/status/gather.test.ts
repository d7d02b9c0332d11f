import { describe, expect, it } from 'vitest';
import type { MemberStatus } from '../clients/etcd.js';
import type { Lease } from '../clients/kube.js';
import type { ProbeResult } from '../clients/probe.js';
import { gatherStatus, leaseRow, type StatusProbes, type StatusTarget } from './gather.js';

const masters = [1, 2, 3].map((n) => ({
  name: `master-${n}`,
  nodeName: `node-${n}`,
  etcd: `http://127.0.10.${n}:2379`,
  apiserver: `http://127.0.10.${n}:6443`,
}));
const target: StatusTarget = {
  cluster: 'c',
  masters,
  loadBalancer: 'http://127.0.10.100:6443',
  leases: ['kube-system/kube-scheduler'],
  timeoutMs: 500,
};
const NOW = Date.parse('2025-01-01T00:00:10Z');

function lease(holder: string, renewTime = '2025-01-01T00:00:08.500000Z'): Lease {
  return {
    metadata: { name: 'kube-scheduler', namespace: 'kube-system', resourceVersion: '7' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime, leaseTransitions: 3 },
  };
}

function fake(opts: { deadServers?: string[]; deadEtcd?: string[] } = {}): StatusProbes {
  const dead = new Set(opts.deadServers ?? []);
  return {
    async etcdStatus(m, timeoutMs): Promise<MemberStatus> {
      if (opts.deadEtcd?.includes(m.name))
        return {
          ok: false,
          endpoint: m.etcd,
          errors: [`no answer within ${timeoutMs} ms`],
          latencyMs: timeoutMs,
        };
      return {
        ok: true,
        endpoint: m.etcd,
        id: `${m.name.slice(-1)}aa`,
        leader: '1aa',
        term: '9007199254740993',
        raftIndex: '10',
        raftAppliedIndex: '10',
        version: '3.4.23',
        dbSize: 20480,
        isLearner: false,
        errors: [],
        latencyMs: 1,
      };
    },
    async probe(url): Promise<ProbeResult> {
      return dead.has(url)
        ? { ok: false, error: 'connect ECONNREFUSED', latencyMs: 0.2 }
        : { ok: true, status: 200, body: 'ok', latencyMs: 1 };
    },
    async readLease(server) {
      if (dead.has(server)) throw new Error('connect ECONNREFUSED');
      return lease('node-2_abc');
    },
    now: () => NOW,
  };
}

describe('leaseRow', () => {
  it.each([
    { renew: '2025-01-01T00:00:08.500000Z', age: 1.5, stale: false },
    { renew: '2024-12-31T23:59:50.000000Z', age: 20, stale: true },
  ])('renewed $age s ago → stale $stale', ({ renew, age, stale }) => {
    const r = leaseRow('kube-system/kube-scheduler', lease('node-3_x', renew), 'load-balancer', masters, NOW);
    expect(r).toMatchObject({
      holder: 'node-3_x',
      master: 'master-3',
      renewAgeSeconds: age,
      stale,
      transitions: 3,
    });
  });
  it('a missing Lease', () => {
    expect(leaseRow('a/b', null, 'load-balancer', masters, NOW)).toMatchObject({
      exists: false,
      holder: null,
      stale: false,
    });
  });
});

describe('gatherStatus', () => {
  it('a healthy cluster', async () => {
    const r = await gatherStatus(target, fake());
    expect(r.healthy).toBe(true);
    expect(r.etcd.map((e) => e.isLeader)).toEqual([true, false, false]);
    expect(r.etcd[0]?.raftTerm).toBe('9007199254740993');
    expect(r.leases[0]).toMatchObject({ source: 'load-balancer', master: 'master-2', renewAgeSeconds: 1.5 });
    expect(r.api.map((a) => a.target)).toEqual(['master-1', 'master-2', 'master-3', 'load-balancer']);
    expect(r.notes).toEqual([]);
  });

  it('reads Leases from the first working API server when the load balancer fails, and says so', async () => {
    const r = await gatherStatus(target, fake({ deadServers: [target.loadBalancer, masters[0]!.apiserver] }));
    expect(r.leases[0]).toMatchObject({ source: 'master-2', holder: 'node-2_abc' });
    expect(r.notes).toEqual([
      "Leases read from master-2's API server: the load balancer failed (connect ECONNREFUSED)",
    ]);
    expect(r.problems).toEqual(['kube-apiserver master-1 unreachable', 'load balancer unreachable']);
  });

  it('Leases unreadable when no server answers', async () => {
    const r = await gatherStatus(
      target,
      fake({ deadServers: [target.loadBalancer, ...masters.map((m) => m.apiserver)] }),
    );
    expect(r.leases[0]).toMatchObject({ read: false });
    expect(r.problems[0]).toMatch(/^Lease kube-system\/kube-scheduler unreadable/);
  });

  it('a dead etcd member is a row with its error', async () => {
    const r = await gatherStatus(target, fake({ deadEtcd: ['master-3'] }));
    expect(r.etcd[2]).toMatchObject({ ok: false, errors: ['no answer within 500 ms'], raftTerm: null });
    expect(r.problems).toEqual(['etcd master-3 unreachable']);
  });

  it('notes a holder that matches no nodeName', async () => {
    const probes = fake();
    probes.readLease = async () => lease('stranger_1');
    const r = await gatherStatus(target, probes);
    expect(r.healthy).toBe(true);
    expect(r.notes[0]).toMatch(/holder 'stranger_1' matches no master's nodeName/);
  });
});
