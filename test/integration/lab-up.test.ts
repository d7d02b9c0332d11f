/**
 * `kha-drill lab up|status|env|down`, checked with tools nobody here wrote: etcdctl, kubectl,
 * ssh (strict host keys), ss, iptables-save, ps. Needs `npm run build`, the Debian packages
 * etcd-server etcd-client openssh-server haproxy iptables, and root for the partition checks.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { kha, labSsh, startLab, stopLab, type Lab } from './lab.js';

const IDENTITY = /^master-\d+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OLD_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
const IS_ROOT = process.getuid?.() === 0;

interface EtcdRow {
  endpoint: string;
  id: string;
  isLeader: boolean;
  term: number;
  index: number;
  errors: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeout = 20_000) {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout });
}

/** `etcdctl endpoint status -w table` rows (ETCDCTL_ENDPOINTS would clash with --endpoints). */
function etcdStatus(lab: Lab, endpoints: string[]): EtcdRow[] {
  const { ETCDCTL_ENDPOINTS: _omit, ...env } = lab.env;
  const r = run(
    'etcdctl',
    [`--endpoints=${endpoints.join(',')}`, '--command-timeout=2s', 'endpoint', 'status', '-w', 'table'],
    env,
  );
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('| http'))
    .map((l) => {
      const c = l.split('|').map((s) => s.trim());
      return {
        endpoint: c[1]!,
        id: c[2]!,
        isLeader: c[5] === 'true',
        term: Number(c[7]),
        index: Number(c[8]),
        errors: c[10] ?? '',
      };
    });
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** All members answer, exactly one leader, everyone at the same raft index. */
function converged(lab: Lab): EtcdRow[] | undefined {
  const rows = etcdStatus(
    lab,
    lab.masters.map((m) => m.etcd),
  );
  const ok =
    rows.length === lab.masters.length &&
    rows.filter((r) => r.isLeader).length === 1 &&
    new Set(rows.map((r) => r.index)).size === 1 &&
    rows.every((r) => r.errors === '');
  return ok ? rows : undefined;
}

function kubectl(lab: Lab, args: string[], bin = 'kubectl') {
  return run(bin, ['--kubeconfig', lab.kubeconfig, ...args]);
}

function holder(lab: Lab, lease: string): string {
  const r = kubectl(lab, [
    'get',
    'lease',
    lease,
    '-n',
    'kube-system',
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  return r.status === 0 ? r.stdout.trim() : '';
}

function masterOf(identity: string): string {
  return identity.split('_')[0] as string;
}

function ssLabListeners(lab: Lab): string[] {
  const addresses = [...lab.masters.map((m) => m.address), lab.lbIp];
  const ports = [lab.sshPort, 2379, 2380, 6443];
  return run('ss', ['-ltnH'])
    .stdout.split('\n')
    .map((l) => l.trim().split(/\s+/)[3] ?? '')
    .filter((local) => {
      const i = local.lastIndexOf(':');
      return addresses.includes(local.slice(0, i)) && ports.includes(Number(local.slice(i + 1)));
    });
}

/** What `lab down` must leave: no process, no listener, no rule. */
async function expectNothingLeft(lab: Lab): Promise<void> {
  const pids = Object.values(lab.state.pids);
  // zombies (state Z) are dead; this container's init reaps them when it gets to it
  const ps = run('ps', ['-eo', 'pid=,stat=,args='])
    .stdout.split('\n')
    .filter((l) => !/^\s*\d+\s+Z/.test(l));
  const alive = ps.filter(
    (l) => pids.includes(Number(l.trim().split(/\s+/)[0])) || l.includes(`${lab.dir}/`),
  );
  expect(alive).toEqual([]);
  expect(ssLabListeners(lab)).toEqual([]);
  if (IS_ROOT) {
    // other labs on this machine (other octets) may have their own chains
    const rules = run('iptables-save', []).stdout;
    for (const m of lab.masters) {
      const octet = m.address.split('.')[3];
      expect(rules).not.toMatch(new RegExp(`KHA-LAB-${octet}(?!\\d)`));
      expect(rules).not.toContain(`${m.address}/`);
    }
  }
}

function exerciseLab(tls: boolean): void {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab({ masters: 3, tls });
  });
  afterAll(async () => {
    await stopLab();
  });

  it('is ready well under 30 s and says what to type next', () => {
    expect(lab.readyAfterMs).toBeLessThan(15_000);
    expect(lab.upOutput).toContain(`export KUBECONFIG=${lab.kubeconfig}`);
    expect(lab.upOutput).toContain('kubectl --kubeconfig');
    expect(lab.env.ETCDCTL_ENDPOINTS).toBe(lab.masters.map((m) => m.etcd).join(','));
    if (tls)
      expect(Object.keys(lab.env)).toEqual(
        expect.arrayContaining(['ETCDCTL_CACERT', 'ETCDCTL_CERT', 'ETCDCTL_KEY']),
      );
  });

  it('writes a valid inventory and a kubeconfig with the certificate paths', async () => {
    expect((await kha(['validate', lab.inventory])).code).toBe(0);
    const inv = parseYaml(readFileSync(lab.inventory, 'utf8')) as {
      masters: Array<{ etcd: string; apiserver: string; nodeName: string }>;
      ssh: { identityFile: string; knownHosts: string; strictHostKeyChecking: boolean };
      etcd: { tls?: { ca: string } };
      services: { manager: string };
    };
    expect(inv.masters.map((m) => m.etcd)).toEqual(lab.masters.map((m) => m.etcd));
    expect(inv.ssh).toMatchObject({
      identityFile: lab.sshKey,
      knownHosts: lab.knownHosts,
      strictHostKeyChecking: true,
    });
    expect(inv.services.manager).toBe('systemd');
    const kubeconfig = readFileSync(lab.kubeconfig, 'utf8');
    if (tls) {
      expect(inv.etcd.tls?.ca).toMatch(/pki\/ca\.crt$/);
      expect(kubeconfig).toMatch(/certificate-authority: .*ca\.crt/);
      expect(kubeconfig).toMatch(/client-certificate: .*admin\.crt/);
      expect(kubeconfig).toMatch(/client-key: .*admin\.key/);
    } else {
      expect(kubeconfig).toContain(`server: http://${lab.lbIp}:6443`);
    }
  });

  it('etcdctl: every member, one leader, equal raft index', async () => {
    const rows = await waitFor('a converged etcd', 5_000, () => converged(lab));
    expect(rows.map((r) => r.endpoint)).toEqual(lab.masters.map((m) => m.etcd));
  });

  if (tls) {
    it('etcd refuses clients without a certificate', () => {
      const r = run('etcdctl', [
        `--endpoints=${lab.masters[0]!.etcd}`,
        `--cacert=${lab.env.ETCDCTL_CACERT}`,
        '--command-timeout=2s',
        'endpoint',
        'health',
      ]);
      expect(r.status).not.toBe(0);
    });
  }

  it('kubectl: Lease holders through the load balancer and against each master; /healthz; NotFound', () => {
    const r = kubectl(lab, ['get', 'lease', 'kube-scheduler', '-n', 'kube-system', '-o', 'yaml']);
    expect(r.stderr).toBe('');
    const lease = parseYaml(r.stdout) as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toMatch(IDENTITY);
    for (const m of lab.masters) {
      const direct = kubectl(lab, [
        '--server',
        m.apiserver,
        'get',
        'lease',
        'kube-controller-manager',
        '-n',
        'kube-system',
        '-o',
        'yaml',
      ]);
      expect(direct.status, direct.stderr).toBe(0);
      expect((parseYaml(direct.stdout) as { spec: { holderIdentity: string } }).spec.holderIdentity).toMatch(
        IDENTITY,
      );
    }
    expect(kubectl(lab, ['get', '--raw', '/healthz']).stdout).toBe('ok');
    const missing = kubectl(lab, ['get', 'lease', 'no-such-lease', '-n', 'kube-system']);
    expect(missing.stderr).toContain(
      'Error from server (NotFound): leases.coordination.k8s.io "no-such-lease" not found',
    );
    if (existsSync(OLD_KUBECTL)) {
      const old = kubectl(lab, ['get', 'lease', '-n', 'kube-system'], OLD_KUBECTL);
      expect(old.status, old.stderr).toBe(0);
      expect(old.stdout).toContain('kube-scheduler');
    }
  });

  it('lab status and lab up on a running lab', async () => {
    const st = await kha(['lab', 'status', '--dir', lab.dir, '--json']);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as {
      masters: Array<{
        units: Record<string, { state: string }>;
        sshd: { state: string };
        etcd: { role: string };
      }>;
      haproxy: { state: string; ready: boolean };
      leases: Array<{ holder?: string }>;
    };
    for (const m of status.masters) {
      expect(Object.values(m.units).map((u) => u.state)).toEqual(['active', 'active', 'active', 'active']);
      expect(m.sshd.state).toBe('active');
    }
    expect(status.masters.filter((m) => m.etcd.role === 'leader')).toHaveLength(1);
    expect(status.haproxy).toMatchObject({ state: 'active', ready: true });
    expect(status.leases.every((l) => l.holder && IDENTITY.test(l.holder))).toBe(true);

    const again = await kha([
      'lab',
      'up',
      '--dir',
      lab.dir,
      '--first-ip',
      lab.masters[0]!.address,
      '--lb-ip',
      lab.lbIp,
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already running');
  });

  it('ssh systemctl stop kube-scheduler stops only that master’s scheduler; another takes the Lease', async () => {
    const before = holder(lab, 'kube-scheduler');
    const target = masterOf(before);
    const stop = labSsh(lab, target, 'systemctl stop kube-scheduler');
    expect(stop.status, stop.stderr).toBe(0);
    for (const m of lab.masters) {
      const r = labSsh(lab, m.name, 'systemctl is-active kube-scheduler');
      expect(r.stdout.trim()).toBe(m.name === target ? 'inactive' : 'active');
    }
    // released on graceful stop: a standby takes it at its next try (≤ 2.2 × 1 s retry period)
    const t0 = Date.now();
    const after = await waitFor('a new kube-scheduler holder', 6_000, () => {
      const h = holder(lab, 'kube-scheduler');
      return h && h !== before ? h : undefined;
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(masterOf(after)).not.toBe(target);
    expect(
      labSsh(
        lab,
        target,
        'systemctl start kube-scheduler && systemctl is-active kube-scheduler',
      ).stdout.trim(),
    ).toBe('active');
  });

  it('ssh systemctl kill -s KILL: a crash, taken over after about the lease duration', async () => {
    const before = holder(lab, 'kube-controller-manager');
    const target = masterOf(before);
    expect(labSsh(lab, target, 'systemctl kill -s KILL kube-controller-manager').status).toBe(0);
    expect(labSsh(lab, target, 'sleep 0.3; systemctl is-active kube-controller-manager').stdout.trim()).toBe(
      'failed',
    );
    const t0 = Date.now();
    await waitFor('a new kube-controller-manager holder', 12_000, () => {
      const h = holder(lab, 'kube-controller-manager');
      return h && h !== before ? h : undefined;
    });
    // 4 s lease + up to two 1.2 s retries, and no sooner than most of the lease
    expect(Date.now() - t0).toBeGreaterThan(2_000);
    expect(
      labSsh(
        lab,
        target,
        'systemctl restart kube-controller-manager; systemctl is-active kube-controller-manager',
      ).stdout.trim(),
    ).toBe('active');
  });

  it('kill -9 of the etcd leader: the others elect, the API keeps serving, the member rejoins', async () => {
    const rows = await waitFor('a converged etcd', 5_000, () => converged(lab));
    const leader = rows.find((r) => r.isLeader)!;
    const m = lab.masters.find((x) => x.etcd === leader.endpoint)!;
    const pid = Number(readFileSync(path.join(lab.dir, 'run', m.name, 'etcd.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const others = lab.masters.filter((x) => x !== m).map((x) => x.etcd);
    const elected = await waitFor('a new etcd leader', 8_000, () => {
      const r = etcdStatus(lab, others);
      const l = r.find((x) => x.isLeader);
      return r.length === others.length && l && l.term > leader.term ? l : undefined;
    });
    expect(elected.endpoint).not.toBe(leader.endpoint);
    // HAProxy takes the dead member's API server out (fall 2 × 500 ms); then every request works
    await sleep(1_500);
    for (let i = 0; i < 5; i++)
      expect(kubectl(lab, ['get', 'lease', 'kube-scheduler', '-n', 'kube-system']).status).toBe(0);
    expect(labSsh(lab, m.name, 'systemctl is-active etcd').stdout.trim()).toBe('failed');
    expect(labSsh(lab, m.name, 'systemctl start etcd').status).toBe(0);
    await waitFor('the member to rejoin', 10_000, () => converged(lab));
  });

  it('lab down of another dir on the same addresses leaves this lab alone', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-other-'));
    try {
      // a stale lab.json naming the same masters, as an old lab dir would
      writeFileSync(path.join(other, 'lab.json'), readFileSync(path.join(lab.dir, 'lab.json')));
      const r = await kha(['lab', 'down', '--dir', other]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('0 processes stopped');
      if (IS_ROOT) {
        for (const m of lab.masters)
          expect(run('iptables', ['-w', '-S', `KHA-LAB-${m.address.split('.')[3]}`]).status).toBe(0);
      }
      expect(converged(lab)).toBeDefined();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  if (IS_ROOT) {
    it('partition through the iptables shim isolates a member; -D heals it', async () => {
      const rows = await waitFor('a converged etcd', 5_000, () => converged(lab));
      const leader = rows.find((r) => r.isLeader)!;
      const m = lab.masters.find((x) => x.etcd === leader.endpoint)!;
      const peers = lab.masters.filter((x) => x !== m);
      const rules = peers.flatMap((p) => [
        `iptables -w -I INPUT -s ${p.address} -j DROP -m comment --comment kha-test`,
        `iptables -w -I OUTPUT -d ${p.address} -j DROP -m comment --comment kha-test`,
      ]);
      const cut = labSsh(lab, m.name, rules.join(' && '));
      expect(cut.status, cut.stderr).toBe(0);
      const listed = labSsh(lab, m.name, 'iptables -S').stdout;
      for (const p of peers) {
        expect(listed).toContain(`-A INPUT -s ${p.address}/32 -m comment --comment kha-test -j DROP`);
        expect(listed).toContain(`-A OUTPUT -d ${p.address}/32 -m comment --comment kha-test -j DROP`);
      }
      const others = peers.map((p) => p.etcd);
      const elected = await waitFor('a leader among the others', 8_000, () => {
        const r = etcdStatus(lab, others);
        const l = r.find((x) => x.isLeader);
        return r.length === others.length && l && l.term > leader.term ? l : undefined;
      });
      expect(peers.map((p) => p.etcd)).toContain(elected.endpoint);

      const heal = labSsh(lab, m.name, rules.map((r) => r.replace(' -I ', ' -D ')).join(' && '));
      expect(heal.status, heal.stderr).toBe(0);
      expect(labSsh(lab, m.name, 'iptables -S').stdout).not.toContain('kha-test');
      await waitFor('the healed member to converge', 10_000, () => converged(lab));
    });
  }

  it('lab down leaves no process, listener or rule; a second down is a no-op', async () => {
    const [down] = await stopLab();
    expect(down?.code, down?.stderr).toBe(0);
    await expectNothingLeft(lab);
    const again = await kha(['lab', 'down', '--dir', lab.dir]);
    expect(again.code).toBe(0);
  });
}

describe('lab up (plain HTTP, 3 masters)', () => exerciseLab(false));
describe('lab up --tls (3 masters)', () => exerciseLab(true));

describe('lab up --masters 5', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ masters: 5 });
  });
  afterAll(async () => {
    await stopLab();
  });

  it('five members with one leader, both Leases held, then nothing left', async () => {
    const rows = await waitFor('a converged etcd', 5_000, () => converged(lab));
    expect(rows).toHaveLength(5);
    expect(holder(lab, 'kube-scheduler')).toMatch(IDENTITY);
    expect(holder(lab, 'kube-controller-manager')).toMatch(IDENTITY);
    const [down] = await stopLab();
    expect(down?.code).toBe(0);
    await expectNothingLeft(lab);
  });
});

describe('lab up when a component fails', () => {
  it('stops everything that started, shows the failing component’s log, exits non-zero', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-fail-'));
    const fakeBin = path.join(dir, 'fake-bin');
    mkdirSync(fakeBin, { recursive: true });
    // the masters' uids must be able to run it
    chmodSync(dir, 0o755);
    writeFileSync(path.join(fakeBin, 'etcd'), '#!/bin/sh\necho "fake etcd refuses to start" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const firstIp = process.env.KHA_TEST_LAB_FIRST_IP ?? '127.0.10.1';
    const lbIp = process.env.KHA_TEST_LAB_LB_IP ?? '127.0.10.100';
    const labDir = path.join(dir, 'lab');
    try {
      const r = await kha(['lab', 'up', '--dir', labDir, '--first-ip', firstIp, '--lb-ip', lbIp], {
        PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
      });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/lab up failed: master-\d\/etcd: exited during start-up/);
      expect(r.stderr).toContain('fake etcd refuses to start');
      const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8')) as Lab['state'];
      const scheme = 'http';
      await expectNothingLeft({
        dir: labDir,
        state,
        lbIp,
        sshPort: 22,
        masters: state.masters.map((m) => ({
          name: m.name,
          address: m.address,
          etcd: `${scheme}://${m.address}:2379`,
          apiserver: '',
        })),
      } as Lab);
    } finally {
      await kha(['lab', 'down', '--dir', labDir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab up prerequisites', () => {
  it('names the Debian packages and starts nothing when a command is missing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-prereq-'));
    try {
      const r = await kha(['lab', 'up', '--dir', dir], { PATH: '/nonexistent' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'apt-get install -y etcd-server etcd-client openssh-server haproxy iptables',
      );
      expect(existsSync(path.join(dir, 'lab.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
