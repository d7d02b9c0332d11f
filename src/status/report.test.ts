import { describe, expect, it } from 'vitest';
import { findProblems, verdictLine, withVerdict, type Observations } from './report.js';
import { apiOk, etcdDead, etcdOk, healthy, leaseOk } from './fixtures.test.js';

const refused = { ok: false, status: null, latencyMs: 0.3, error: 'connect ECONNREFUSED 127.0.10.2:6443' };
const http500 = { ok: false, status: 500, latencyMs: 1, error: 'HTTP 500' };

const cases: { name: string; change: (o: Observations) => void; problems: string[] }[] = [
  { name: 'everything fine', change: () => {}, problems: [] },
  {
    name: 'one etcd member down, one API server down',
    change: (o) => {
      o.etcd[1] = etcdDead(2);
      o.api[1] = apiOk('master-2', { healthz: refused, readyz: refused });
    },
    problems: ['etcd master-2 unreachable', 'kube-apiserver master-2 unreachable'],
  },
  {
    name: 'etcd auth on, asked through the JSON gateway: a setting to change, not members down',
    change: (o) => {
      o.etcd = [1, 2, 3].map((n) =>
        etcdDead(
          n,
          'HTTP 400: CommonName of client sending a request against gateway will be ignored and not used as expected',
        ),
      );
    },
    problems: [1, 2, 3].map(
      (n) => `etcd master-${n} refuses the JSON gateway (etcd auth on: set etcd.transport: grpc)`,
    ),
  },
  {
    name: 'API server answers but is not ready',
    change: (o) => {
      o.api[2] = apiOk('master-3', { readyz: http500 });
    },
    problems: ['kube-apiserver master-3 not ready'],
  },
  {
    name: 'API server answers healthz with an error',
    change: (o) => {
      o.api[2] = apiOk('master-3', { healthz: http500, readyz: http500 });
    },
    problems: ['kube-apiserver master-3 not healthy'],
  },
  {
    name: 'load balancer unreachable',
    change: (o) => {
      o.api[3] = apiOk('load-balancer', { healthz: refused, readyz: refused });
    },
    problems: ['load balancer unreachable'],
  },
  {
    name: 'no leader anywhere',
    change: (o) => {
      o.etcd = [1, 2, 3].map((n) =>
        etcdOk(n, { isLeader: false, leader: null, errors: ['etcdserver: no leader'] }),
      );
    },
    problems: [
      'etcd master-1: etcdserver: no leader',
      'etcd master-2: etcdserver: no leader',
      'etcd master-3: etcdserver: no leader',
      'etcd has no leader',
    ],
  },
  {
    name: 'members disagree on the leader',
    change: (o) => {
      o.etcd[2] = etcdOk(3, { leader: '91bc3c398fb3c146', isLeader: true });
    },
    problems: ['etcd members disagree on the leader'],
  },
  {
    name: 'two of three members down: quorum lost',
    change: (o) => {
      o.etcd[1] = etcdDead(2);
      o.etcd[2] = etcdDead(3);
    },
    problems: [
      'etcd master-2 unreachable',
      'etcd master-3 unreachable',
      'etcd quorum lost: 1 of 3 members answer',
    ],
  },
  {
    name: 'the leader is the dead member',
    change: (o) => {
      o.etcd[0] = etcdDead(1);
    },
    problems: [
      'etcd master-1 unreachable',
      'etcd leader 8e9e05c52164694d is not among the members that answered',
    ],
  },
  {
    name: 'stale, released and missing Leases',
    change: (o) => {
      o.leases = [
        leaseOk('kube-scheduler', { renewAgeSeconds: 22.04, stale: true }),
        leaseOk('kube-controller-manager', { holder: null, master: null }),
        leaseOk('x', { exists: false, holder: null, master: null }),
      ];
    },
    problems: [
      'Lease kube-system/kube-scheduler stale: renewed 22.0s ago, duration 15s',
      'Lease kube-system/kube-controller-manager has no holder',
      'Lease kube-system/x does not exist',
    ],
  },
  {
    name: 'Leases unreadable',
    change: (o) => {
      o.leases = [leaseOk('kube-scheduler', { read: false, exists: false, error: 'boom' })];
    },
    problems: ['Lease kube-system/kube-scheduler unreadable (boom)'],
  },
  {
    name: 'a holder that maps to no master is a note, not a problem',
    change: (o) => {
      o.leases[0] = leaseOk('kube-scheduler', { holder: 'elsewhere_1', master: null });
    },
    problems: [],
  },
];

describe('status verdict', () => {
  it.each(cases)('$name', ({ change, problems }) => {
    const o = healthy();
    change(o);
    expect(findProblems(o)).toEqual(problems);
    const r = withVerdict(o);
    expect(r.healthy).toBe(problems.length === 0);
    expect(verdictLine(r)).toBe(problems.length ? `not healthy: ${problems.join('; ')}` : 'healthy');
  });
});
