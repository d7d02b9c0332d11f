import { describe, expect, it } from 'vitest';
import { fakeInventory } from './testing/fakes.js';
import {
  drillLeases,
  judgeTimings,
  parseFlagsOutput,
  readFlagsCommand,
  type ComponentRead,
} from './leader-election.js';

// recorded on the lab (v1.37.2, lab up --lease-duration 4s --renew-deadline 3s --retry-period 1s):
// master-2 with kube-scheduler stopped (its unit's ExecStart) and kube-controller-manager running
const RECORDED = `#kha-le kube-scheduler
#kha-le-src unit
{ path=/opt/kubernetes/bin/kube-scheduler ; argv[]=/opt/kubernetes/bin/kube-scheduler --authentication-kubeconfig=/etc/kubernetes/scheduler.conf --authorization-kubeconfig=/etc/kubernetes/scheduler.conf --bind-address=127.0.0.1 --kubeconfig=/etc/kubernetes/scheduler.conf --leader-elect=true --leader-elect-lease-duration=4s --leader-elect-renew-deadline=3s --leader-elect-retry-period=1s ; ignore_errors=no ; start_time=[Sun 2026-12-06 01:09:29 UTC] ; stop_time=[Sun 2026-12-06 01:17:35 UTC] ; pid=35 ; code=exited ; status=0 }
#kha-le kube-controller-manager
#kha-le-src process
/opt/kubernetes/bin/kube-controller-manager
--kubeconfig=/etc/kubernetes/controller-manager.conf
--leader-elect=true
--leader-elect-lease-duration=4s
--leader-elect-renew-deadline=3s
--leader-elect-retry-period=1s

`;

const SCHED = 'kube-system/kube-scheduler';
const KCM = 'kube-system/kube-controller-manager';

describe('reading the components’ flags on a master', () => {
  it('the command quotes what it puts in and cannot match its own shell with pgrep', () => {
    const cmd = readFlagsCommand(fakeInventory());
    expect(cmd).toContain("pgrep -o -f '(^|/)[k]ube-scheduler( |$)'");
    expect(cmd).toContain('cat /etc/kubernetes/manifests/kube-controller-manager.yaml');
  });

  it('parses what the lab printed: a unit and a process', () => {
    const reads = parseFlagsOutput('master-2', RECORDED);
    expect(reads).toEqual([
      expect.objectContaining({
        component: 'kube-scheduler',
        source: 'unit',
        flags: expect.objectContaining({ leaseDuration: 4, renewDeadline: 3, retryPeriod: 1, lease: SCHED }),
      }),
      expect.objectContaining({
        component: 'kube-controller-manager',
        source: 'process',
        flags: expect.objectContaining({ leaseDuration: 4, lease: KCM }),
      }),
    ]);
  });

  it('nothing found, or a malformed flag, is an error for that component only', () => {
    const reads = parseFlagsOutput(
      'master-1',
      '#kha-le kube-scheduler\n#kha-le-src none\n#kha-le kube-controller-manager\n#kha-le-src process\nkcm\n--leader-elect-retry-period=fast\n',
    );
    expect(reads).toEqual([
      {
        master: 'master-1',
        component: 'kube-scheduler',
        source: null,
        error: 'no process, unit or manifest found',
      },
      expect.objectContaining({ error: '--leader-elect-retry-period=fast is not a duration' }),
    ]);
  });
});

const read = (
  master: string,
  component: ComponentRead['component'],
  t: [number, number, number],
  o: { leaderElect?: boolean; given?: boolean } = {},
): ComponentRead => ({
  master,
  component,
  source: 'process',
  flags: {
    leaderElect: o.leaderElect ?? true,
    leaseDuration: t[0],
    renewDeadline: t[1],
    retryPeriod: t[2],
    lease: `kube-system/${component}`,
    given: o.given === false ? [] : ['leaseDuration', 'renewDeadline', 'retryPeriod'],
  },
});

describe('judgeTimings: observed per Lease, compared with the inventory', () => {
  const inv = fakeInventory(); // 15s / 10s / 2s
  it('agreeing cluster: no warning, the observed values', () => {
    const reads = ['master-1', 'master-2', 'master-3'].map((m) => read(m, 'kube-scheduler', [15, 10, 2]));
    const j = judgeTimings(inv, [SCHED], reads, new Map([[SCHED, 15]]));
    expect(j.warnings).toEqual([]);
    expect(j.leases[0]!.timings).toEqual({ leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 });
    expect(j.leases[0]!.from.leaseDuration).toBe('Lease spec.leaseDurationSeconds');
  });

  it('a cluster tuned faster than the inventory says: a warning per timing, bounds use the cluster', () => {
    const reads = ['master-1', 'master-2', 'master-3'].map((m) => read(m, 'kube-scheduler', [4, 3, 1]));
    const j = judgeTimings(inv, [SCHED], reads, new Map([[SCHED, 4]]));
    expect(j.leases[0]!.timings).toEqual({ leaseDuration: 4, renewDeadline: 3, retryPeriod: 1 });
    expect(j.warnings).toEqual([
      "kube-system/kube-scheduler: the cluster's leaseDuration is 4s (Lease spec.leaseDurationSeconds) but the inventory says 15s; SLO bounds use 4s",
      "kube-system/kube-scheduler: the cluster's renewDeadline is 3s (--leader-elect-renew-deadline on master-1 (process), master-2 (process), master-3 (process)) but the inventory says 10s; SLO bounds use 3s",
      "kube-system/kube-scheduler: the cluster's retryPeriod is 1s (--leader-elect-retry-period on master-1 (process), master-2 (process), master-3 (process)) but the inventory says 2s; SLO bounds use 1s",
    ]);
  });

  it('per-Lease inventory timings are what each Lease is compared with', () => {
    const tuned = fakeInventory(3, {
      kubernetes: {
        loadBalancer: 'https://lb:6443',
        leaderElection: { leases: { [KCM]: { leaseDuration: '30s', renewDeadline: '20s' } } },
      },
    });
    const reads = [
      read('master-1', 'kube-scheduler', [15, 10, 2]),
      read('master-1', 'kube-controller-manager', [30, 20, 2]),
    ];
    const j = judgeTimings(tuned, [SCHED, KCM], reads, new Map());
    expect(j.warnings).toEqual([]);
    expect(j.leases.map((l) => l.timings.leaseDuration)).toEqual([15, 30]);
  });

  it('masters that disagree: the largest, with a warning; a master out of leader election is said', () => {
    const reads = [
      read('master-1', 'kube-scheduler', [15, 10, 2]),
      read('master-2', 'kube-scheduler', [15, 10, 3]),
      read('master-3', 'kube-scheduler', [1, 1, 1], { leaderElect: false }),
    ];
    const j = judgeTimings(inv, [SCHED], reads, new Map([[SCHED, null]]));
    expect(j.leases[0]!.timings.retryPeriod).toBe(3);
    expect(j.warnings).toContain(
      'kube-scheduler on master-3 runs with --leader-elect=false: it takes no part in leader election',
    );
    expect(j.warnings).toContain(
      'kube-system/kube-scheduler: the masters disagree on --leader-elect-retry-period (master-1 2s, master-2 3s); judging by the largest',
    );
  });

  it('nothing readable: the inventory’s values, with a warning', () => {
    const reads: ComponentRead[] = [
      { master: 'master-1', component: 'kube-scheduler', source: null, error: 'SSH refused' },
    ];
    const j = judgeTimings(inv, [SCHED], reads, new Map([[SCHED, null]]));
    expect(j.leases[0]!.timings).toEqual({ leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 });
    expect(j.warnings[0]).toBe('could not read the kube-scheduler flags on master-1: SSH refused');
    expect(j.warnings).toContain(
      "kube-system/kube-scheduler: could not read retryPeriod from the cluster; using the inventory's 2s (Kubernetes' default 15s/10s/2s unless the inventory sets it)",
    );
  });

  it('a Lease no component names (a custom one): only its leaseDurationSeconds is observed', () => {
    const j = judgeTimings(inv, ['ns/custom'], [], new Map([['ns/custom', 8]]));
    expect(j.leases[0]!.timings).toEqual({ leaseDuration: 8, renewDeadline: 10, retryPeriod: 2 });
  });
});

it('drillLeases: watched, waited for and checked Leases, once each', () => {
  expect(
    drillLeases({
      watchers: { lease: { leases: [SCHED] } },
      observe: { until: { check: 'leaseHolderChanged', lease: KCM } },
      steadyState: [{ check: 'leaseHeld', lease: SCHED }, { check: 'etcdHealthy' }],
    }),
  ).toEqual([SCHED, KCM]);
});
