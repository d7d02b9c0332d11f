import { describe, expect, it } from 'vitest';
import { haproxyConfig } from './haproxy.js';
import { inCgroups } from './cgroup.js';
import { laptop, loadBalancer, masters, peerSubnet, type LabOptions } from './layout.js';
import { unitText } from './units.js';

const o: LabOptions = {
  name: 'kha',
  net: 7,
  masters: 3,
  dir: '/tmp/x',
  kubernetes: 'v1.37.2',
  etcd: 'v3.6.16',
  leaseDuration: '4s',
  renewDeadline: '3s',
  retryPeriod: '1s',
};
const ms = masters(o);

describe('the lab layout and units', () => {
  it('numbers hosts on the lab subnet, each in a namespace of its own', () => {
    expect(ms.map((m) => [m.name, m.address, m.netns])).toEqual([
      ['master-1', '198.18.7.11', 'kha-master-1'],
      ['master-2', '198.18.7.12', 'kha-master-2'],
      ['master-3', '198.18.7.13', 'kha-master-3'],
    ]);
    expect(loadBalancer(o).address).toBe('198.18.7.100');
    expect(laptop(o)).toMatchObject({ address: '198.18.7.1', netns: 'kha-laptop' });
  });

  it('writes systemd units with Restart=on-failure and the leader-election flags, without dependencies between them', () => {
    const sched = unitText(o, ms, ms[0]!, 'kube-scheduler');
    expect(sched).toMatch(/^ExecStart=\/opt\/kubernetes\/bin\/kube-scheduler \\$/m);
    expect(sched).toContain('--leader-elect-lease-duration=4s');
    expect(sched).toContain('--leader-elect-renew-deadline=3s');
    expect(sched).toContain('--leader-elect-retry-period=1s');
    expect(sched).toMatch(/^Restart=on-failure$/m);
    expect(sched).toMatch(/^RestartSec=5$/m);
    expect(sched).not.toMatch(/^(Wants|Requires)=/m);
    expect(sched).not.toContain('--vmodule');
    const etcd = unitText(o, ms, ms[1]!, 'etcd');
    expect(etcd).toContain(
      '--initial-cluster=master-1=https://198.18.7.11:2380,master-2=https://198.18.7.12:2380,master-3=https://198.18.7.13:2380',
    );
    expect(etcd).toMatch(/^Type=notify$/m);
    expect(etcd).not.toContain('--logger=zap');
    expect(unitText({ ...o, etcd: 'debian' }, ms, ms[1]!, 'etcd')).toContain('--logger=zap');
    expect(unitText(o, ms, ms[2]!, 'kube-apiserver')).toContain('--etcd-servers=https://198.18.7.13:2379');
  });

  it("raises the verbosity of client-go's leader election alone when asked", () => {
    const louder = { ...o, leaderElectionVerbosity: 5 };
    for (const c of ['kube-scheduler', 'kube-controller-manager'] as const)
      expect(unitText(louder, ms, ms[0]!, c)).toContain('  --vmodule=leaderelection=5');
    expect(unitText(louder, ms, ms[0]!, 'kube-apiserver')).not.toContain('--vmodule');
    expect(unitText(louder, ms, ms[0]!, 'etcd')).not.toContain('--vmodule');
  });

  it('health-checks /readyz over TLS in front of every master', () => {
    const cfg = haproxyConfig(loadBalancer(o), ms);
    expect(cfg).toContain('bind 198.18.7.100:6443');
    expect(cfg).toContain('option httpchk GET /readyz');
    expect(cfg.match(/^ {4}server master-\d 198\.18\.7\.1\d:6443 check$/gm)).toHaveLength(3);
  });

  it('moves nspawn into its own cgroups before it execs (and does nothing without any)', () => {
    const argv = inCgroups(
      ['/sys/fs/cgroup/unified/kha-drill-lab/kha-master-1'],
      ['systemd-nspawn', '--boot'],
    );
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).toBe(
      'echo $$ > \'/sys/fs/cgroup/unified/kha-drill-lab/kha-master-1/cgroup.procs\' && exec "$@"',
    );
    expect(argv.slice(3)).toEqual(['sh', 'systemd-nspawn', '--boot']);
    expect(inCgroups([], ['systemd-nspawn'])).toEqual(['systemd-nspawn']);
  });
});

describe('the peer network (lab up --peer-net)', () => {
  const po: LabOptions = { ...o, peerNet: true };
  const pms = masters(po);

  it('gives each lab a /28 of its own in 198.18.240.0/20, derived from --net', () => {
    expect(peerSubnet(7)).toBe('198.18.240.112/28');
    expect(peerSubnet(64)).toBe('198.18.244.0/28');
    expect(peerSubnet(239)).toBe('198.18.254.240/28');
    expect(pms.map((m) => [m.address, m.peerAddress])).toEqual([
      ['198.18.7.11', '198.18.240.113'],
      ['198.18.7.12', '198.18.240.114'],
      ['198.18.7.13', '198.18.240.115'],
    ]);
    // one /28 per --net: no two labs share a peer subnet
    const all = Array.from({ length: 239 }, (_, k) => peerSubnet(k + 1));
    expect(new Set(all).size).toBe(239);
    expect(masters(o).every((m) => m.peerAddress === undefined)).toBe(true);
  });

  it('puts etcd peer URLs and the advertise address on it, client URLs on the management network', () => {
    const etcd = unitText(po, pms, pms[1]!, 'etcd');
    expect(etcd).toContain('--listen-peer-urls=https://198.18.240.114:2380');
    expect(etcd).toContain('--initial-advertise-peer-urls=https://198.18.240.114:2380');
    expect(etcd).toContain(
      '--initial-cluster=master-1=https://198.18.240.113:2380,master-2=https://198.18.240.114:2380,master-3=https://198.18.240.115:2380',
    );
    expect(etcd).toContain('--listen-client-urls=https://198.18.7.12:2379,https://127.0.0.1:2379');
    expect(etcd).toContain('--advertise-client-urls=https://198.18.7.12:2379');
    const api = unitText(po, pms, pms[1]!, 'kube-apiserver');
    expect(api).toContain('--advertise-address=198.18.240.114');
    expect(api).toContain('--etcd-servers=https://198.18.7.12:2379');
    // without --peer-net everything stays on the management network
    expect(unitText(o, ms, ms[1]!, 'etcd')).toContain('--listen-peer-urls=https://198.18.7.12:2380');
  });
});
