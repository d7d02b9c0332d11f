import { describe, expect, it } from 'vitest';
import {
  firstLeaseChange,
  firstRaftChange,
  parseEtcdctlStatus,
  parseKubectlLease,
  type EtcdSample,
  type LeaseSample,
} from './observer.js';

// recorded from `etcdctl endpoint status -w json` on the lab (one member down: it is absent)
const STATUS = `[{"Endpoint":"http://127.0.10.81:2379","Status":{"header":{"cluster_id":2177124540831844903,"member_id":12067756503268874960,"revision":18,"raft_term":2},"version":"3.4.23","dbSize":40960,"leader":948842872336189233,"raftIndex":26,"raftTerm":2,"raftAppliedIndex":26,"dbSizeInUse":40960}},{"Endpoint":"http://127.0.10.83:2379","Status":{"header":{"cluster_id":2177124540831844903,"member_id":3240276885245276735,"revision":18,"raft_term":2},"version":"3.4.23","dbSize":40960,"leader":948842872336189233,"raftIndex":26,"raftTerm":2,"raftAppliedIndex":26,"dbSizeInUse":40960}}]`;

const LEASE = JSON.stringify({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'kube-scheduler', namespace: 'kube-system', resourceVersion: '18' },
  spec: { holderIdentity: 'master-1_d6a4', leaseDurationSeconds: 4, leaseTransitions: 0 },
});

describe('parsing what the operator runs', () => {
  it('keeps 64-bit member ids exact (JSON numbers that JavaScript would round)', () => {
    const s = parseEtcdctlStatus(STATUS);
    expect(s).toEqual([
      {
        endpoint: 'http://127.0.10.81:2379',
        memberId: '12067756503268874960',
        leader: '948842872336189233',
        term: 2n,
      },
      {
        endpoint: 'http://127.0.10.83:2379',
        memberId: '3240276885245276735',
        leader: '948842872336189233',
        term: 2n,
      },
    ]);
  });

  it('an answer that is not the JSON table gives no members', () => {
    expect(parseEtcdctlStatus('')).toEqual([]);
    expect(parseEtcdctlStatus('{"error":"context deadline exceeded"}')).toEqual([]);
    expect(parseEtcdctlStatus('[{"Endpoint":"x"}]')).toEqual([]);
  });

  it('reads the Lease holder; "" when released, null when unreadable', () => {
    expect(parseKubectlLease(LEASE)).toBe('master-1_d6a4');
    expect(parseKubectlLease(JSON.stringify({ kind: 'Lease', spec: { leaseDurationSeconds: 1 } }))).toBe('');
    expect(parseKubectlLease('Error from server (ServiceUnavailable)')).toBeNull();
  });
});

const member = (leader: string, term: number, id = 'm') => ({
  endpoint: id,
  memberId: id,
  leader,
  term: BigInt(term),
});

describe('the first change the operator sees', () => {
  const etcd: EtcdSample[] = [
    { at: 0, done: 30, members: [member('1', 2), member('1', 2)] },
    { at: 1000, done: 1030, members: [member('1', 2), member('1', 2)] },
    // the fault at 1500; the next poll hangs on the dead member and sees the new leader late
    { at: 2000, done: 2700, members: [member('0', 3)] },
    { at: 3000, done: 3600, members: [member('5', 3), member('5', 3)] },
  ];

  it('raft: a new leader at a higher term, stamped when the poll answered', () => {
    expect(firstRaftChange(etcd, 1500)).toEqual({ at: 3000, done: 3600, what: 'leader 1@2 → 5@3' });
    expect(firstRaftChange(etcd, -1)).toBe('the observer saw no leader before the fault');
    expect(firstRaftChange(etcd.slice(0, 3), 1500)).toBe('the observer saw no new leader');
  });

  it('lease: a holder other than the one before the fault; a release ("") is not a takeover', () => {
    const lease: LeaseSample[] = [
      { at: 0, done: 140, holder: 'a' },
      { at: 1000, done: 1150, holder: null },
      { at: 2000, done: 2140, holder: '' },
      { at: 3000, done: 3140, holder: 'b' },
    ];
    expect(firstLeaseChange(lease, 1500)).toEqual({ at: 3000, done: 3140, what: 'holder a → b' });
    expect(firstLeaseChange(lease, 10)).toBe('the observer saw no holder before the fault');
    expect(firstLeaseChange(lease.slice(0, 3), 1500)).toBe('the observer saw no new holder');
  });
});
