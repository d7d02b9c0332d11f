/** `lab status`: each host's container and units, the load balancer, the Leases, etcd's leader. */
import { labEnv } from './files.js';
import { isMasterProcess } from './host.js';
import { onLaptop } from './laptop.js';
import { COMPONENTS } from './layout.js';
import { isAlive } from './proc.js';
import { kubectl, leaseHolders, unitStates } from './ready.js';
import { containerStates } from './ready-kubeadm.js';
import type { LabState } from './state.js';

export interface LabStatus {
  name: string;
  dir: string;
  kubernetes: string | undefined;
  etcd: string | undefined;
  masters: Array<{
    name: string;
    address: string;
    container: boolean;
    units: Record<string, string> | undefined;
  }>;
  loadBalancer: { address: string; process: boolean; readyz: boolean };
  leases: Record<string, string>;
  etcdLeader: string | undefined;
  healthy: boolean;
}

export async function etcdLeader(state: LabState): Promise<string | undefined> {
  const bin = state.binaries ? `${state.binaries.etcd}/etcdctl` : 'etcdctl';
  const r = await onLaptop([bin, 'endpoint', 'status', '-w', 'json'], {
    env: { ...process.env, ...labEnv(state) },
    timeout: 10_000,
  });
  try {
    // ids are 64-bit: compare them as text, never as JavaScript numbers
    const text = String(r.stdout ?? '');
    const leaders = [...text.matchAll(/"leader":(\d+)/g)].map((m) => m[1]);
    const members = [...text.matchAll(/"Endpoint":"([^"]+)".*?"member_id":(\d+)/g)].map((m) => ({
      endpoint: m[1],
      id: m[2],
    }));
    const leader = leaders[0];
    if (!leader || leaders.some((l) => l !== leader)) return undefined;
    const url = members.find((m) => m.id === leader)?.endpoint;
    return state.masters.find((m) => url?.includes(`//${m.address}:`))?.name;
  } catch {
    return undefined;
  }
}

export async function labStatus(state: LabState): Promise<LabStatus> {
  const masters = await Promise.all(
    state.masters.map(async (m) => {
      const pid = state.pids[m.name];
      const container = pid !== undefined && isAlive(pid) && isMasterProcess(pid, state.options, m);
      return {
        name: m.name,
        address: m.address,
        container,
        // the kubeadm topology's components are containers: crictl's view, in the units' words
        units: container
          ? await (state.options.topology === 'kubeadm' ? containerStates(state, m) : unitStates(state, m))
          : undefined,
      };
    }),
  );
  const lbPid = state.pids.haproxy;
  const readyz = await kubectl(state, ['get', '--raw', '/readyz'], 5_000);
  const leases = await leaseHolders(state);
  const leader = await etcdLeader(state);
  const lb = {
    address: state.lb.address,
    process: lbPid !== undefined && isAlive(lbPid),
    readyz: readyz.exitCode === 0,
  };
  const healthy =
    masters.every((m) => m.container && m.units && COMPONENTS.every((c) => m.units?.[c] === 'active')) &&
    lb.process &&
    lb.readyz &&
    Boolean(leases['kube-scheduler']) &&
    Boolean(leases['kube-controller-manager']) &&
    leader !== undefined;
  return {
    name: state.options.name,
    dir: state.options.dir,
    kubernetes: state.binaries?.kubernetesVersion,
    etcd: state.binaries?.etcdVersion,
    masters,
    loadBalancer: lb,
    leases,
    etcdLeader: leader,
    healthy,
  };
}

export function formatStatus(s: LabStatus): string {
  const rows = [['MASTER', 'ADDRESS', 'HOST', ...COMPONENTS.map((c) => c.toUpperCase())]];
  for (const m of s.masters) {
    rows.push([
      m.name,
      m.address,
      m.container ? 'up' : 'down',
      ...COMPONENTS.map((c) => m.units?.[c] ?? '-'),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return [
    `lab ${s.name} (${s.dir}): Kubernetes ${s.kubernetes ?? '?'}, etcd ${s.etcd ?? '?'} — ${s.healthy ? 'healthy' : 'NOT healthy'}`,
    table,
    `load balancer ${s.loadBalancer.address}: ${s.loadBalancer.process ? 'running' : 'not running'}, /readyz ${s.loadBalancer.readyz ? 'ok' : 'failing'}`,
    `etcd leader: ${s.etcdLeader ?? 'none agreed'}`,
    ...Object.entries(s.leases).map(([l, h]) => `Lease kube-system/${l}: ${h || '(not held)'}`),
    '',
  ].join('\n');
}
