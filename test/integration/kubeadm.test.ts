/**
 * `lab up --topology kubeadm` (issue 18): the real kubelet with Debian's containerd and runc runs
 * the control plane as static pods. Judged by tools nobody here wrote: kubectl (Nodes Ready, mirror
 * pods Running), crictl and the kubelet's own behaviour on the masters, then the static-pod drills
 * run through the CLI against the lab's static-pod inventory, and what `lab down` leaves.
 * One lab (three masters, 4s/3s/1s). Needs root and `npm run build`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kha, kubectl, labSsh, startLab, stopLab, type Lab } from './lab.js';

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

interface Item {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    nodeInfo?: { containerRuntimeVersion: string; kubeletVersion: string };
    containerStatuses?: Array<{ restartCount: number; state: Record<string, unknown> }>;
  };
}

function items(lab: Lab, args: string[]): Item[] {
  const r = kubectl(lab, [...args, '-o', 'json']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

/** container id of a component on a master, by crictl (empty when none runs) */
function running(lab: Lab, master: string, c: string): string {
  return labSsh(lab, master, `crictl ps -q --state running --name '^${c}$'`).stdout.trim();
}

interface Report {
  exitCode: number;
  metrics: Array<{ name: string; value: number | null; status: string }>;
  restore: { ok: boolean };
  faults?: Array<{ source: string; note: string }>;
}

function report(stdout: string): Report {
  const dir = /^report: (.+)$/m.exec(stdout)?.[1];
  expect(dir, stdout).toBeDefined();
  return JSON.parse(readFileSync(path.join(dir as string, 'report.json'), 'utf8')) as Report;
}

describe('the kubeadm topology: kubelet, containerd, static pods', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ topology: 'kubeadm' });
  }, 900_000);
  afterAll(async () => {
    await stopLab();
  });

  it('registers every master as a Ready Node run by the real kubelet and containerd', () => {
    const nodes = items(lab, ['get', 'nodes']);
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(lab.masters.map((m) => m.name));
    for (const n of nodes) {
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status?.nodeInfo?.kubeletVersion).toBe('v1.37.2');
      expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
    }
  });

  it('shows every control-plane static pod as a Running mirror pod on its node', () => {
    const pods = items(lab, ['get', 'pods', '-n', 'kube-system']);
    for (const m of lab.masters) {
      for (const c of COMPONENTS) {
        const pod = pods.find((p) => p.metadata.name === `${c}-${m.name}`);
        expect(pod?.status?.phase, `${c}-${m.name}`).toBe('Running');
        expect(pod?.spec?.nodeName).toBe(m.name);
        // the kubelet marks the API's copy of a static pod as its mirror
        expect(pod?.metadata.annotations?.['kubernetes.io/config.mirror']).toBeTruthy();
      }
    }
  });

  it('lays the masters out as kubeadm does, with crictl seeing the containers', () => {
    const m = lab.masters[0]!.name;
    const ls = labSsh(
      lab,
      m,
      'ls /etc/kubernetes/manifests /etc/kubernetes/pki/etcd /etc/kubernetes/*.conf /var/lib/kubelet/config.yaml',
    );
    expect(ls.status, ls.stderr).toBe(0);
    for (const f of [...COMPONENTS.map((c) => `${c}.yaml`), 'server.crt', 'admin.conf', 'kubelet.conf'])
      expect(ls.stdout).toContain(f);
    for (const c of COMPONENTS) expect(running(lab, m, c), c).toMatch(/^[0-9a-f]+$/);
    expect(readFileSync(lab.inventory, 'utf8')).toMatch(/manager: static-pod/);
  });

  it('runs scheduler-failover: the kubelet stops the pod whose manifest left, a standby takes the Lease', async () => {
    const r = await kha(
      ['run', 'scheduler-failover', '-i', lab.inventory, '--out', path.join(lab.dir, 'reports')],
      {},
      300_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = report(r.stdout);
    expect(rep.restore.ok).toBe(true);
    const takeover = rep.metrics.find((x) => x.name === 'lease.takeover_s');
    expect(takeover?.status).toBe('measured');
    expect(takeover?.value).toBeLessThan(3.2);
    // t_fault is when the container exited, as the runtime recorded it (the stop command waits
    // for the kubelet to stop the pod whose manifest left, and notes the container's finishedAt)
    expect(
      rep.faults?.map((f) => f.source),
      JSON.stringify(rep.faults),
    ).toContain('container-exit');
  }, 320_000);

  it('runs scheduler-crash: crictl stop --timeout 0 kills the container, kept down (keepDown) until restore puts it back', async () => {
    const r = await kha(
      ['run', 'scheduler-crash', '-i', lab.inventory, '--out', path.join(lab.dir, 'reports')],
      {},
      300_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = report(r.stdout);
    expect(rep.restore.ok).toBe(true);
    expect(rep.metrics.find((x) => x.name === 'lease.takeover_s')?.value).toBeLessThan(9.4);
    expect(
      rep.faults?.map((f) => f.source),
      JSON.stringify(rep.faults),
    ).toContain('container-exit');
    // restore put the manifest back: the kubelet runs a scheduler on every master again
    const end = performance.now() + 60_000;
    const all = (): boolean => lab.masters.every((m) => running(lab, m.name, 'kube-scheduler') !== '');
    while (!all() && performance.now() < end) await sleep(1_000);
    expect(all()).toBe(true);
  }, 320_000);

  it('lab down leaves no namespace, mount, process or cgroup (the v1 controllers included)', async () => {
    const name = lab.state.options.name;
    const results = await stopLab();
    expect(
      results.every((x) => x.code === 0),
      results.map((x) => x.stdout + x.stderr).join('\n'),
    ).toBe(true);
    const netns = existsSync('/run/netns') ? readdirSync('/run/netns') : [];
    for (const ns of lab.state.netns) expect(netns).not.toContain(ns);
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    expect(mounts).not.toContain(lab.dir);
    for (const h of readdirSync('/sys/fs/cgroup')) {
      for (const m of lab.masters) {
        const cg = path.join('/sys/fs/cgroup', h, 'kha-drill-lab', `${name}-${m.name}`);
        expect(existsSync(cg), cg).toBe(false);
      }
    }
  }, 180_000);
});
