/**
 * Is the lab up? Asked from the laptop side, with the real tools: ssh to every master (host key
 * pinned), `systemctl is-active` of every unit there, `kubectl get --raw /readyz` through the load
 * balancer, both Leases held.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from './errors.js';
import { onLaptop } from './laptop.js';
import { apiserverUrl, COMPONENTS, labPaths, type LabHost } from './layout.js';
import type { Progress } from './progress.js';
import type { LabState } from './state.js';

export function sshArgv(dir: string, m: LabHost, command: string, connectTimeout = 3): string[] {
  const p = labPaths(dir);
  return [
    'ssh',
    '-i',
    p.clientKey,
    '-o',
    `UserKnownHostsFile=${p.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${connectTimeout}`,
    '-o',
    'LogLevel=ERROR',
    `root@${m.address}`,
    command,
  ];
}

export async function onMaster(state: LabState, m: LabHost, command: string, timeout = 30_000) {
  return onLaptop(sshArgv(state.options.dir, m, command), { timeout });
}

export function kubectlArgv(state: LabState, args: string[]): string[] {
  const bin = state.binaries?.kubernetes;
  return [
    bin ? `${bin}/kubectl` : 'kubectl',
    '--kubeconfig',
    labPaths(state.options.dir).kubeconfig,
    ...args,
  ];
}

export async function kubectl(state: LabState, args: string[], timeout = 15_000) {
  return onLaptop(kubectlArgv(state, args), { timeout });
}

export async function unitStates(state: LabState, m: LabHost): Promise<Record<string, string> | undefined> {
  const r = await onMaster(state, m, `systemctl is-active ${COMPONENTS.join(' ')}`, 10_000);
  const lines = String(r.stdout ?? '')
    .trim()
    .split('\n');
  if (lines.length !== COMPONENTS.length) return undefined;
  return Object.fromEntries(COMPONENTS.map((c, i) => [c, (lines[i] ?? '').trim()]));
}

export async function journalTail(state: LabState, m: LabHost, unit: string, lines = 15): Promise<string> {
  const r = await onMaster(state, m, `journalctl -u ${unit} -n ${lines} --no-pager -o cat`, 10_000);
  return String(r.stdout ?? '').trim();
}

export async function leaseHolders(state: LabState): Promise<Record<string, string>> {
  const r = await kubectl(state, [
    'get',
    'lease',
    '-n',
    'kube-system',
    'kube-scheduler',
    'kube-controller-manager',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.spec.holderIdentity}{"\\n"}{end}',
  ]);
  if (r.exitCode !== 0) return {};
  return Object.fromEntries(
    String(r.stdout ?? '')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

/** `/readyz` of one API server (`server`), else through the load balancer (the kubeconfig's). */
export async function apiserverReady(state: LabState, server?: string): Promise<boolean> {
  const args = [...(server ? ['--server', server] : []), 'get', '--raw', '/readyz'];
  const r = await kubectl(state, args, 5_000);
  return r.exitCode === 0 && String(r.stdout).trim() === 'ok';
}

/**
 * The first master's API server starts at boot; the others are enabled once it is ready (see
 * writeMasterFiles), so they do not race it for the kubernetes Service's ClusterIP.
 */
async function joinApiservers(state: LabState, progress: Progress, left: () => number): Promise<void> {
  const [first, ...rest] = state.masters;
  if (!first || rest.length === 0) return;
  try {
    await until('first API server', left(), async () =>
      (await apiserverReady(state, apiserverUrl(first.address))) ? true : undefined,
    );
  } catch {
    throw new LabError(
      `${first.name}: kube-apiserver is not ready`,
      4,
      await journalTail(state, first, 'kube-apiserver'),
    );
  }
  const enabled = await Promise.all(
    rest.map((m) => onMaster(state, m, 'systemctl enable --now kube-apiserver', 60_000)),
  );
  enabled.forEach((r, i) => {
    if (r.exitCode !== 0)
      throw new LabError(
        `${rest[i]?.name}: systemctl enable --now kube-apiserver failed`,
        4,
        String(r.stderr ?? ''),
      );
  });
  progress.line(
    `kube-apiserver ready on ${first.name}; started on ${rest.map((m) => m.name).join(', ')} (one after the other, as kubeadm joins them)`,
  );
}

/** Every master's API server and the load balancer answer /readyz within `timeoutMs`; else a LabError. */
export async function allApiserversReady(state: LabState, timeoutMs: number): Promise<void> {
  try {
    await until('readyz', timeoutMs, async () => {
      const ready = await Promise.all([
        ...state.masters.map((m) => apiserverReady(state, apiserverUrl(m.address))),
        apiserverReady(state),
      ]);
      return ready.every(Boolean) ? true : undefined;
    });
  } catch {
    throw new LabError(
      'the API servers are not all ready, each and through the load balancer (kubectl get --raw /readyz)',
      4,
      `see ${labPaths(state.options.dir).haproxyLog}`,
    );
  }
}

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(what);
    await sleep(250);
  }
}

/** Waits for everything; on timeout, the error names the master, the unit and its journal tail. */
export async function waitReady(state: LabState, progress: Progress, timeoutMs = 180_000): Promise<void> {
  const t0 = performance.now();
  const left = (): number => Math.max(1_000, timeoutMs - (performance.now() - t0));
  await Promise.all(
    state.masters.map(async (m) => {
      try {
        await until(`ssh`, left(), async () =>
          (await onMaster(state, m, 'true', 5_000)).exitCode === 0 ? true : undefined,
        );
      } catch {
        throw new LabError(
          `${m.name} (${m.address}) did not answer on ssh within ${(timeoutMs / 1000).toFixed(0)}s`,
          4,
          `see ${labPaths(state.options.dir).console(m.name)}`,
        );
      }
    }),
  );
  progress.line(`ssh answers on every master (host keys pinned)`);
  await joinApiservers(state, progress, left);
  let last: Record<string, Record<string, string> | undefined> = {};
  try {
    await until('units', left(), async () => {
      const states = await Promise.all(state.masters.map((m) => unitStates(state, m)));
      last = Object.fromEntries(state.masters.map((m, i) => [m.name, states[i]]));
      return states.every((s) => s && Object.values(s).every((v) => v === 'active')) ? true : undefined;
    });
  } catch {
    for (const m of state.masters) {
      const s = last[m.name];
      const bad = COMPONENTS.find((c) => s?.[c] !== 'active');
      if (bad) {
        throw new LabError(
          `${m.name}: unit ${bad} is ${s?.[bad] ?? 'unknown'} after ${(timeoutMs / 1000).toFixed(0)}s`,
          4,
          await journalTail(state, m, bad),
        );
      }
    }
    throw new LabError('the units did not become active', 4);
  }
  progress.line(
    'every unit active on every master (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)',
  );
  await allApiserversReady(state, left());
  progress.line(`every API server ready, and through the load balancer (${state.lb.address}:6443)`);
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
