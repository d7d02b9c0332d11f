/**
 * Is a kubeadm-topology lab up? As `ready.ts` asks it of the systemd topology, with the real tools
 * from the laptop side: ssh to every master, containerd and the kubelet active there, the first API
 * server ready before the others' manifests are put in place, every API server ready (each and
 * through the load balancer), both Leases held, then what `kubectl get nodes` and `kubectl get pods
 * -n kube-system` show: every master's Node Ready and every control-plane mirror pod Running.
 */
import { LabError } from './errors.js';
import { MANIFEST_DIR, PENDING_DIR } from './kubeadm.js';
import { apiserverUrl, COMPONENTS, labPaths, type LabHost } from './layout.js';
import type { Progress } from './progress.js';
import {
  allApiserversReady,
  apiserverReady,
  journalTail,
  kubectl,
  leaseHolders,
  onMaster,
  until,
} from './ready.js';
import type { LabState } from './state.js';

interface Item {
  metadata: { name: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/**
 * The kubeadm topology's answer to `unitStates`: per component, `active` when crictl sees a
 * running container of that name on the master, else `inactive`.
 */
export async function containerStates(
  state: LabState,
  m: LabHost,
): Promise<Record<string, string> | undefined> {
  const script = COMPONENTS.map(
    (c) =>
      `if [ -n "$(crictl ps -q --state running --name '^${c}$')" ]; then echo active; else echo inactive; fi`,
  ).join('; ');
  const r = await onMaster(state, m, script, 15_000);
  const lines = String(r.stdout ?? '')
    .trim()
    .split('\n');
  if (r.exitCode !== 0 || lines.length !== COMPONENTS.length) return undefined;
  return Object.fromEntries(COMPONENTS.map((c, i) => [c, (lines[i] ?? '').trim()]));
}

async function items(state: LabState, args: string[]): Promise<Item[] | undefined> {
  const r = await kubectl(state, [...args, '-o', 'json'], 10_000);
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(String(r.stdout)) as { items: Item[] }).items;
}

/** Nodes not Ready and control-plane mirror pods not Running, by name; empty when all are. */
export async function kubeadmMissing(state: LabState): Promise<string[] | undefined> {
  const nodes = await items(state, ['get', 'nodes']);
  const pods = await items(state, ['get', 'pods', '-n', 'kube-system']);
  if (!nodes || !pods) return undefined;
  const missing: string[] = [];
  for (const m of state.masters) {
    const node = nodes.find((n) => n.metadata.name === m.name);
    const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (!ready) missing.push(`node ${m.name} ${node ? 'NotReady' : 'not registered'}`);
    for (const c of COMPONENTS) {
      const pod = pods.find((p) => p.metadata.name === `${c}-${m.name}`);
      if (pod?.status?.phase !== 'Running')
        missing.push(`pod ${c}-${m.name} ${pod?.status?.phase ?? 'absent'}`);
    }
  }
  return missing;
}

export async function waitKubeadmReady(
  state: LabState,
  progress: Progress,
  timeoutMs = 300_000,
): Promise<void> {
  const t0 = performance.now();
  const left = (): number => Math.max(1_000, timeoutMs - (performance.now() - t0));
  const secs = (timeoutMs / 1000).toFixed(0);
  await Promise.all(
    state.masters.map(async (m) => {
      try {
        await until('ssh', left(), async () =>
          (await onMaster(state, m, 'systemctl is-active containerd kubelet', 5_000)).exitCode === 0
            ? true
            : undefined,
        );
      } catch {
        throw new LabError(
          `${m.name} (${m.address}): containerd and the kubelet not both active within ${secs}s`,
          4,
          `${await journalTail(state, m, 'kubelet').catch(() => '')}\nsee ${labPaths(state.options.dir).console(m.name)}`,
        );
      }
    }),
  );
  progress.line(
    'containerd and the kubelet active on every master (static pods from /etc/kubernetes/manifests)',
  );
  const [first, ...rest] = state.masters;
  if (first) {
    try {
      await until('first API server', left(), async () =>
        (await apiserverReady(state, apiserverUrl(first.address))) ? true : undefined,
      );
    } catch {
      throw new LabError(
        `${first.name}: the kube-apiserver static pod is not ready after ${secs}s`,
        4,
        await journalTail(state, first, 'kubelet'),
      );
    }
    for (const m of rest) {
      const r = await onMaster(
        state,
        m,
        `mv ${PENDING_DIR}/*.yaml ${MANIFEST_DIR}/ && rmdir ${PENDING_DIR}`,
        15_000,
      );
      if (r.exitCode !== 0)
        throw new LabError(`${m.name}: could not put its manifests in place`, 4, String(r.stderr ?? ''));
    }
    if (rest.length > 0)
      progress.line(
        `kube-apiserver ready on ${first.name}; manifests put in place on ${rest.map((m) => m.name).join(', ')}`,
      );
  }
  await allApiserversReady(state, left());
  progress.line(`every API server ready, and through the load balancer (${state.lb.address}:6443)`);
  let last: string[] | undefined;
  try {
    await until('nodes and pods', left(), async () => {
      last = await kubeadmMissing(state);
      return last?.length === 0 ? true : undefined;
    });
  } catch {
    throw new LabError(
      `not every node Ready and control-plane pod Running after ${secs}s: ${(last ?? ['kubectl failed']).join(', ')}`,
      4,
    );
  }
  progress.line(
    `every master's Node Ready; every control-plane mirror pod Running (${state.masters.length * COMPONENTS.length})`,
  );
  try {
    const holders = await until('leases', left(), async () => {
      const h = await leaseHolders(state);
      return h['kube-scheduler'] && h['kube-controller-manager'] ? h : undefined;
    });
    progress.line(
      `Leases held: kube-scheduler by ${holders['kube-scheduler']}, kube-controller-manager by ${holders['kube-controller-manager']}`,
    );
  } catch {
    throw new LabError('the kube-scheduler and kube-controller-manager Leases were not both taken', 4);
  }
}
