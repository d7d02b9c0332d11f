/** Fake rows for the status unit tests: a healthy three-member picture, changed per case. */
import { describe, expect, it } from 'vitest';
import { findProblems } from './report.js';
import type { ApiRow, EtcdRow, LeaseRow, Observations } from './report.js';

export function etcdOk(n: number, over: Partial<EtcdRow> = {}): EtcdRow {
  const ids = ['8e9e05c52164694d', 'fd422379fda50e48', '91bc3c398fb3c146'];
  return {
    master: `master-${n}`,
    endpoint: `http://127.0.10.${n}:2379`,
    ok: true,
    id: ids[n - 1] ?? `${n}`,
    version: '3.4.23',
    dbSize: 20480,
    isLeader: n === 1,
    isLearner: false,
    leader: ids[0]!,
    raftTerm: '2',
    raftIndex: '18446744073709551615',
    raftAppliedIndex: '18446744073709551615',
    errors: [],
    latencyMs: 1.2,
    ...over,
  };
}

export function etcdDead(n: number, error = 'connect ECONNREFUSED 127.0.10.2:2379'): EtcdRow {
  return {
    ...etcdOk(n),
    ok: false,
    id: null,
    version: null,
    dbSize: null,
    isLeader: false,
    leader: null,
    raftTerm: null,
    raftIndex: null,
    raftAppliedIndex: null,
    errors: [error],
    latencyMs: 0.4,
  };
}

export function leaseOk(name: string, over: Partial<LeaseRow> = {}): LeaseRow {
  return {
    lease: `kube-system/${name}`,
    read: true,
    exists: true,
    holder: 'master-1_0b7a2c4e-1111-4222-8333-944455556666',
    master: 'master-1',
    renewAgeSeconds: 1.3,
    leaseDurationSeconds: 15,
    stale: false,
    transitions: 2,
    renewTime: '2025-01-01T00:00:00.000000Z',
    source: 'load-balancer',
    error: null,
    ...over,
  };
}

const probe = { ok: true, status: 200, latencyMs: 2.5, error: null };

export function apiOk(target: string, over: Partial<ApiRow> = {}): ApiRow {
  const url =
    target === 'load-balancer' ? 'http://127.0.10.100:6443' : `http://127.0.10.${target.slice(-1)}:6443`;
  return { target, url, healthz: { ...probe }, readyz: { ...probe }, ...over };
}

export function healthy(): Observations {
  return {
    schemaVersion: 1,
    cluster: 'kha-lab',
    checkedAt: '2025-01-01T00:00:01.000Z',
    timeoutMs: 2000,
    etcd: [etcdOk(1), etcdOk(2), etcdOk(3)],
    leases: [leaseOk('kube-scheduler'), leaseOk('kube-controller-manager')],
    api: [apiOk('master-1'), apiOk('master-2'), apiOk('master-3'), apiOk('load-balancer')],
    notes: [],
  };
}

describe('the fixture every status case starts from', () => {
  it('is healthy, so each case shows exactly the problems it adds', () => {
    expect(findProblems(healthy())).toEqual([]);
  });
});
