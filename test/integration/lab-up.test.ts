/**
 * `kha-drill lab up|status|env|exec|down`: a real cluster, checked with tools nobody here wrote —
 * kubectl and etcdctl (the lab's builds), ssh with pinned host keys, and on the masters systemd's
 * own systemctl and the real iptables; `ip` and /proc for what lab down must leave behind.
 * Both Kubernetes versions and both etcd versions come up. Needs root and `npm run build`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePaths } from '../../lab/src/layout.js';
import {
  CLI,
  etcdctl,
  kha,
  kubectl,
  labSsh,
  nextLabName,
  ROOT,
  startLab,
  stopLab,
  type Lab,
  type LabStateFile,
} from './lab.js';

const IDENTITY = /^master-\d+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNITS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** What of a lab is still on the machine: namespaces, mounts, processes in them, cgroups, the laptop's leg. */
function leftovers(state: LabStateFile): string[] {
  const left: string[] = [];
  const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
  for (const ns of state.netns) if (netns.includes(ns)) left.push(`netns ${ns}`);
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  for (const m of state.mounts) if (mounts.includes(` ${m} `)) left.push(`mount ${m}`);
  for (const [host, pid] of Object.entries(state.pids)) {
    // the pid may have been reused by now: only a process that is still this host's counts
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (/systemd-nspawn|haproxy/.test(cmd) && cmd.includes(state.options.dir))
      left.push(`${host} pid ${pid}`);
  }
  for (const h of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup']) {
    for (const m of state.masters) {
      const cg = path.join(h, 'kha-drill-lab', `${state.options.name}-${m.name}`);
      if (existsSync(cg)) left.push(`cgroup ${cg}`);
    }
  }
  if (netns.includes('kha-laptop')) {
    const links = spawnSync('ip', ['-n', 'kha-laptop', '-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
    if (new RegExp(`^\\d+: ${state.options.name}[@:]`, 'm').test(links))
      left.push(`laptop veth ${state.options.name}`);
  }
  return left;
}

function exercise(
  opts: { kubernetes?: string; kubernetesBin?: string; etcd?: string },
  expectVersions: { kubernetes: RegExp; etcd: RegExp },
) {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab(opts);
  }, 900_000);
  afterAll(async () => {
    await stopLab();
  });

  it('is ready and says how to reach it from the laptop side', () => {
    expect(lab.readyAfterMs).toBeLessThan(120_000);
    // the binaries it runs: the given release folder, else the lab's build cache
    if (opts.kubernetesBin) expect(lab.state.binaries.kubernetes).toBe(path.resolve(opts.kubernetesBin));
    else expect(lab.state.binaries.kubernetes).toMatch(/kubernetes\/v1\.\d+\.\d+$/);
    expect(lab.upOutput).toMatch(/lab it\d+ ready in [\d.]+s: 3 masters/);
    expect(lab.upOutput).toMatch(/kha-drill lab exec --dir \S+ -- kubectl get lease -n kube-system/);
  });

  it('kubectl version reports the upstream server version; api-resources lists the whole API', () => {
    const v = kubectl(lab, ['version', '-o', 'json']);
    expect(v.status, v.stderr).toBe(0);
    const doc = JSON.parse(v.stdout) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(doc.serverVersion.gitVersion).toMatch(expectVersions.kubernetes);
    expect(doc.clientVersion.gitVersion).toBe(doc.serverVersion.gitVersion);
    const r = kubectl(lab, ['api-resources', '-o', 'name']);
    expect(r.status, r.stderr).toBe(0);
    const names = r.stdout.split('\n');
    for (const n of [
      'pods',
      'deployments.apps',
      'leases.coordination.k8s.io',
      'nodes',
      'services',
      'customresourcedefinitions.apiextensions.k8s.io',
    ])
      expect(names).toContain(n);
    expect(names.length).toBeGreaterThan(40);
  });

  it('both Leases are held by <hostname>_<uuid> identities of the real components', () => {
    for (const lease of ['kube-scheduler', 'kube-controller-manager']) {
      const r = kubectl(lab, [
        'get',
        'lease',
        '-n',
        'kube-system',
        lease,
        '-o',
        'jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds}',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const [holder, duration] = r.stdout.trim().split(' ');
      expect(holder).toMatch(IDENTITY);
      expect(duration).toBe('4');
    }
  });

  it('etcdctl: every member answers over TLS, one leader, the expected version', () => {
    const r = etcdctl(lab, ['endpoint', 'status', '-w', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout.replace(/:(\d{16,})/g, ':"$1"')) as Array<{
      Endpoint: string;
      Status: { version: string; leader: string; header: { member_id: string } };
    }>;
    expect(rows.map((x) => x.Endpoint).sort()).toEqual(lab.masters.map((m) => m.etcd).sort());
    expect(new Set(rows.map((x) => x.Status.leader)).size).toBe(1);
    expect(rows.filter((x) => x.Status.header.member_id === x.Status.leader)).toHaveLength(1);
    for (const x of rows) expect(x.Status.version).toMatch(expectVersions.etcd);
  });

  it('every master is a systemd host of its own: PID 1, the real units, the real iptables, its own address', () => {
    for (const m of lab.masters) {
      const r = labSsh(
        lab,
        m.name,
        'cat /proc/1/comm; hostname; for p in FragmentPath Restart RestartUSec; do systemctl show kube-scheduler -p $p --value; done; iptables -w -S INPUT; ip -4 -o addr show dev eth0; ip route show default | wc -l',
      );
      expect(r.status, r.stderr).toBe(0);
      const [comm, hostname, fragment, restart, restartSec, policy, addr, defaults] = r.stdout
        .trim()
        .split('\n');
      expect(comm).toBe('systemd');
      expect(hostname).toBe(m.name);
      expect(fragment).toBe('/etc/systemd/system/kube-scheduler.service');
      expect(restart).toBe('on-failure');
      expect(restartSec).toBe('5s');
      expect(policy).toBe('-P INPUT ACCEPT');
      expect(addr).toContain(`inet ${m.address}/24`);
      expect(defaults).toBe('0');
    }
    expect(new Set(lab.masters.map((m) => m.address)).size).toBe(lab.masters.length);
  });

  it('no namespace of the lab, the laptop side included, has a route off the lab', () => {
    for (const ns of [...lab.state.netns, 'kha-laptop']) {
      const r = spawnSync('ip', ['-n', ns, 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
      const routes = r.stdout
        .split('\n')
        .filter(
          (l) =>
            l &&
            !/^(local|broadcast|multicast|fe80|ff00|::1|anycast)|table local/.test(l) &&
            !/ dev lo /.test(l),
        );
      for (const route of routes) expect(route, `${ns}: ${route}`).toMatch(/^198\.18\.\d+\.0\/24 dev /);
    }
  });

  it('a SIGKILLed unit is started again by systemd (Restart=on-failure, RestartSec=5)', async () => {
    const before = labSsh(
      lab,
      'master-3',
      'systemctl show kube-controller-manager -p NRestarts --value',
    ).stdout.trim();
    expect(labSsh(lab, 'master-3', 'systemctl kill -s KILL kube-controller-manager').status).toBe(0);
    let after = before;
    for (let i = 0; i < 60 && after === before; i++) {
      await sleep(250);
      after = labSsh(
        lab,
        'master-3',
        'systemctl show kube-controller-manager -p NRestarts --value',
      ).stdout.trim();
    }
    expect(Number(after)).toBe(Number(before) + 1);
    let state = '';
    for (let i = 0; i < 40 && state !== 'active'; i++) {
      state = labSsh(lab, 'master-3', 'systemctl is-active kube-controller-manager').stdout.trim();
      if (state !== 'active') await sleep(250);
    }
    expect(state).toBe('active');
  });

  it('writes an inventory kha-drill validates, and status is healthy through it', async () => {
    const v = await kha(['validate', lab.inventory]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const s = await kha(['status', '-i', lab.inventory, '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout) as { healthy: boolean }).healthy).toBe(true);
  });

  it('lab status is healthy; lab up on a running lab, or on its subnet, is refused (exit 2)', async () => {
    const st = await kha(['lab', 'status', '--dir', lab.dir]);
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(st.stdout).toMatch(/healthy/);
    for (const m of UNITS) expect(st.stdout).toContain(m.toUpperCase());
    const again = await kha([
      'lab',
      'up',
      '--dir',
      lab.dir,
      '--name',
      lab.name,
      '--net',
      String(lab.state.options.net),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already up/);
    const other = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-other-'));
    const sameNet = await kha([
      'lab',
      'up',
      '--dir',
      other,
      '--name',
      'zz',
      '--net',
      String(lab.state.options.net),
    ]);
    expect(sameNet.code).toBe(2);
    expect(sameNet.stderr).toMatch(/subnet 198\.18\.\d+\.0\/24 is taken by lab it\d+/);
    expect(existsSync('/run/netns/zz-sw')).toBe(false);
  });

  it('lab down leaves nothing behind; a second down is a no-op', async () => {
    const state = lab.state;
    const down = await kha(['lab', 'down', '--dir', lab.dir], {}, 120_000);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(leftovers(state)).toEqual([]);
    const again = await kha(['lab', 'down', '--dir', lab.dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no lab running/);
  });
}

describe('lab up: the default versions', () => {
  exercise({}, { kubernetes: /^v1\.37\.\d+$/, etcd: /^3\.6\.\d+$/ });
});

// The older version through --kubernetes-bin: a folder of upstream binaries, as a server release's
// kubernetes/server/bin is (here the lab's own build of v1.32.9, which `lab prepare --all` made)
describe('lab up --kubernetes v1.32.9 --kubernetes-bin DIR --etcd debian (two years older, Debian etcd 3.4)', () => {
  exercise(
    { kubernetes: 'v1.32.9', kubernetesBin: cachePaths().kubernetes('v1.32.9'), etcd: 'debian' },
    { kubernetes: /^v1\.32\.9$/, etcd: /^3\.4\.\d+$/ },
  );
});

describe('lab up killed half-way', () => {
  it('lab down afterwards leaves nothing behind', async () => {
    const { name, net, dir } = nextLabName();
    await kha(['lab', 'down', '--dir', dir]);
    const child = spawn(
      process.execPath,
      [CLI, 'lab', 'up', '--name', name, '--net', String(net), '--dir', dir],
      { cwd: ROOT },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    for (let i = 0; i < 600 && !/booting 3 systemd hosts/.test(out); i++) await sleep(100);
    expect(out).toMatch(/booting 3 systemd hosts/);
    // the lab CLI runs as a child of kha-drill: SIGKILL both, by pid, as an OOM kill would
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const pid of children) process.kill(Number(pid), 'SIGKILL');
    child.kill('SIGKILL');
    await sleep(500);
    const state = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabStateFile;
    expect(state.pids['master-1']).toBeGreaterThan(0);
    const down = await kha(['lab', 'down', '--dir', dir, '--purge'], {}, 120_000);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(leftovers(state)).toEqual([]);
  });
});

describe('lab up refuses bad input and a machine that lacks something, starting nothing', () => {
  afterAll(async () => {
    await stopLab();
  });
  const netnsCount = () => (existsSync('/run/netns') ? readdirSync('/run/netns').length : 0);

  it('a --kubernetes-bin folder without every binary: exit 2, names what is missing', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'kha-bin-'));
    const cache = path.join(os.homedir(), '.cache', 'kha-drill', 'kubernetes', 'v1.37.2');
    for (const b of ['kube-apiserver', 'kube-scheduler']) symlinkSync(path.join(cache, b), path.join(bin, b));
    const before = netnsCount();
    const r = await kha([
      'lab',
      'up',
      '--name',
      'bad',
      '--net',
      '236',
      '--dir',
      path.join(bin, 'lab'),
      '--kubernetes-bin',
      bin,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kubernetes-bin \S+ lacks kube-controller-manager, kubectl/);
    expect(netnsCount()).toBe(before);
  });

  it('a --kubernetes-bin folder of another version than --kubernetes: exit 2', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'kha-bin-'));
    const cache = path.join(os.homedir(), '.cache', 'kha-drill', 'kubernetes', 'v1.37.2');
    for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'])
      symlinkSync(path.join(cache, b), path.join(bin, b));
    const r = await kha([
      'lab',
      'up',
      '--name',
      'bad',
      '--net',
      '236',
      '--dir',
      path.join(bin, 'lab'),
      '--kubernetes-bin',
      bin,
      '--kubernetes',
      'v1.32.9',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds v1\.37\.2, not the --kubernetes v1\.32\.9 asked for/);
  });

  it('a version the lab does not build, a bad name, impossible leader-election timings: exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-bad-'));
    const cases: Array<[string[], RegExp]> = [
      [
        ['--kubernetes', 'v1.99.0'],
        /--kubernetes v1\.99\.0 is not one the lab builds \(v1\.32\.9, v1\.37\.2\)/,
      ],
      [['--name', 'Bad_Name'], /--name must be 1-8 lower-case letters/],
      [
        ['--lease-duration', '2s', '--renew-deadline', '3s'],
        /lease-duration > renew-deadline > 1\.2 × retry-period/,
      ],
      [['--net', '0'], /--net must be 1 to 239/],
    ];
    for (const [args, message] of cases) {
      const r = await kha(['lab', 'up', '--dir', dir, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('without root: one line, exit 3, nothing started', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-nobody-'));
    spawnSync('chmod', ['777', dir]);
    const r = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        CLI,
        'lab',
        'up',
        '--dir',
        dir,
        '--name',
        'nob',
        '--net',
        '237',
      ],
      {
        encoding: 'utf8',
        cwd: ROOT,
        env: { ...process.env, HOME: dir },
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/lab up needs root/);
    expect(existsSync('/run/netns/nob-sw')).toBe(false);
  });

  it('a missing program names its Debian package: exit 3, nothing started', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-lab-path-'));
    // a PATH with everything but Debian's etcd and etcdctl, which --etcd debian runs
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    for (const c of [
      'ip',
      'openssl',
      'ssh',
      'ssh-keygen',
      'mount',
      'systemd-nspawn',
      'debootstrap',
      'haproxy',
      'sh',
      'go',
    ]) {
      const found = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, path.join(bin, c));
    }
    const r = spawnSync(
      process.execPath,
      [CLI, 'lab', 'up', '--dir', dir, '--name', 'nop', '--net', '238', '--etcd', 'debian'],
      {
        encoding: 'utf8',
        cwd: ROOT,
        env: { ...process.env, PATH: bin },
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /lab up needs etcd, etcdctl: apt-get install -y etcd-server etcd-client; nothing was started/,
    );
    expect(existsSync('/run/netns/nop-sw')).toBe(false);
  });
});
