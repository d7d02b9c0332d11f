/**
 * A lab master: an overlay of the cached root file system, the master's own files written into
 * it, booted by systemd-nspawn with systemd as PID 1 in the master's network namespace; the
 * upstream binaries are bind-mounted read-only from the build cache.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  openSync,
  closeSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { inCgroups, makeCgroups, makeControllerCgroups } from './cgroup.js';
import { kubeadmNspawnArgs } from './kubeadm.js';
import { COMPONENTS, labPaths, machineName, type LabHost, type LabOptions } from './layout.js';
import { readProc } from './net.js';
import type { Pki } from './pki.js';
import { spawnDetached } from './proc.js';
import { BIN, conf, kubeconfigText, localServer, unitText } from './units.js';

export interface HostFiles {
  authorizedKey: string;
  hostKey: string;
  pki: Pki;
}

function put(root: string, file: string, content: string | Buffer, mode = 0o644): void {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content, { mode });
  chmodSync(full, mode);
}

function copy(root: string, from: string, to: string, mode = 0o600): void {
  const full = path.join(root, to);
  mkdirSync(path.dirname(full), { recursive: true });
  copyFileSync(from, full);
  chmodSync(full, mode);
}

export async function mountOverlay(lower: string, dir: string, name: string): Promise<string> {
  const p = labPaths(dir);
  for (const d of [p.upper(name), p.work(name), p.root(name)]) mkdirSync(d, { recursive: true });
  await execa('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${p.upper(name)},workdir=${p.work(name)}`,
    p.root(name),
  ]);
  return p.root(name);
}

/** Unmounts (lazily if busy); true when nothing is mounted there any more. */
export async function unmount(target: string): Promise<boolean> {
  if (!isMounted(target)) return true;
  const r = await execa('umount', [target], { reject: false });
  if (r.exitCode !== 0) await execa('umount', ['-l', target], { reject: false });
  return !isMounted(target);
}

export function isMounted(target: string): boolean {
  const mounts = readProc(process.pid, 'mounts') ?? '';
  return mounts.split('\n').some((l) => l.split(' ')[1] === target);
}

export function writeMasterFiles(
  o: LabOptions,
  all: LabHost[],
  m: LabHost,
  root: string,
  f: HostFiles,
): void {
  const k = f.pki;
  put(root, 'etc/hostname', `${m.name}\n`);
  put(
    root,
    'etc/hosts',
    [
      '127.0.0.1 localhost',
      `${m.address} ${m.name}`,
      ...all.filter((x) => x !== m).map((x) => `${x.address} ${x.name}`),
      '',
    ].join('\n'),
  );
  put(root, 'root/.ssh/authorized_keys', `${f.authorizedKey}\n`, 0o600);
  chmodSync(path.join(root, 'root/.ssh'), 0o700);
  copy(root, f.hostKey, 'etc/ssh/ssh_host_ed25519_key');
  copy(root, `${f.hostKey}.pub`, 'etc/ssh/ssh_host_ed25519_key.pub', 0o644);
  put(
    root,
    'etc/ssh/sshd_config.d/kha-lab.conf',
    [
      'HostKey /etc/ssh/ssh_host_ed25519_key',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UseDNS no',
      '',
    ].join('\n'),
  );
  // kubeadm's layout
  copy(root, k.ca, 'etc/kubernetes/pki/ca.crt', 0o644);
  copy(root, k.caKey, 'etc/kubernetes/pki/ca.key');
  copy(root, k.cert(`apiserver-${m.name}`), 'etc/kubernetes/pki/apiserver.crt', 0o644);
  copy(root, k.key(`apiserver-${m.name}`), 'etc/kubernetes/pki/apiserver.key');
  copy(root, k.cert('apiserver-etcd-client'), 'etc/kubernetes/pki/apiserver-etcd-client.crt', 0o644);
  copy(root, k.key('apiserver-etcd-client'), 'etc/kubernetes/pki/apiserver-etcd-client.key');
  copy(root, k.saKey, 'etc/kubernetes/pki/sa.key');
  copy(root, k.saPub, 'etc/kubernetes/pki/sa.pub', 0o644);
  copy(root, k.frontProxyCa, 'etc/kubernetes/pki/front-proxy-ca.crt', 0o644);
  copy(root, k.frontProxyCaKey, 'etc/kubernetes/pki/front-proxy-ca.key');
  copy(root, k.cert('front-proxy-client'), 'etc/kubernetes/pki/front-proxy-client.crt', 0o644);
  copy(root, k.key('front-proxy-client'), 'etc/kubernetes/pki/front-proxy-client.key');
  copy(root, k.ca, 'etc/kubernetes/pki/etcd/ca.crt', 0o644);
  copy(root, k.cert(`etcd-${m.name}`), 'etc/kubernetes/pki/etcd/server.crt', 0o644);
  copy(root, k.key(`etcd-${m.name}`), 'etc/kubernetes/pki/etcd/server.key');
  const kubeconfig = (who: 'admin' | 'controller-manager' | 'scheduler', cert: string): void =>
    put(
      root,
      conf(who).slice(1),
      kubeconfigText({
        cluster: o.name,
        server: localServer(m),
        ca: k.ca,
        user: who === 'admin' ? 'kubernetes-admin' : `system:kube-${who}`,
        cert: k.cert(cert),
        key: k.key(cert),
        embed: true,
      }),
      0o600,
    );
  kubeconfig('admin', 'admin');
  kubeconfig('controller-manager', 'kube-controller-manager');
  kubeconfig('scheduler', 'kube-scheduler');
  // etcdctl on the master talks to its own member, as an operator's shell there would
  put(
    root,
    'etc/profile.d/kha-lab.sh',
    [
      'export KUBECONFIG=/etc/kubernetes/admin.conf',
      'export ETCDCTL_API=3',
      `export ETCDCTL_ENDPOINTS=https://${m.address}:2379`,
      'export ETCDCTL_CACERT=/etc/kubernetes/pki/etcd/ca.crt',
      'export ETCDCTL_CERT=/etc/kubernetes/pki/etcd/server.crt',
      'export ETCDCTL_KEY=/etc/kubernetes/pki/etcd/server.key',
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(root, 'var/lib/etcd'), { recursive: true, mode: 0o700 });
  chmodSync(path.join(root, 'var/lib/etcd'), 0o700);
  // the kubeadm topology runs the components as static pods (kubeadm.ts), not as units
  for (const c of o.topology === 'kubeadm' ? [] : COMPONENTS) {
    put(root, `etc/systemd/system/${c}.service`, unitText(o, all, m, c));
    const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants', `${c}.service`);
    mkdirSync(path.dirname(wants), { recursive: true });
    rmSync(wants, { force: true });
    // The first API server starts alone; `lab up` enables the others once it is ready, as kubeadm
    // joins control-plane nodes one after another. Started together, the real API servers race to
    // allocate the kubernetes Service's ClusterIP ("ipaddresses … already exists"), and the loser's
    // start-service-ip-repair-controllers hook fails after 60 s: it exits and starts again.
    if (c === 'kube-apiserver' && m !== all[0]) continue;
    symlinkSync(`/etc/systemd/system/${c}.service`, wants);
  }
  for (const [name, dir] of [
    ['kubectl', BIN.kubernetes],
    ['etcdctl', BIN.etcd],
  ] as const) {
    const link = path.join(root, 'usr/local/bin', name);
    rmSync(link, { force: true });
    symlinkSync(`${dir}/${name}`, link);
  }
}

export interface MasterBinaries {
  kubernetes: string;
  etcd: string;
  /** the kubeadm topology's: the kubelet, crictl and the images' folders */
  kubeadm?: { kubelet: string; criTools: string; images: string };
}

export function nspawnArgv(o: LabOptions, m: LabHost, root: string, bins: MasterBinaries): string[] {
  return [
    'systemd-nspawn',
    `--directory=${root}`,
    '--boot',
    // no host systemd to register with or to run inside of (see NOTES.md)
    '--register=no',
    '--keep-unit',
    `--machine=${machineName(o.name, m.name)}`,
    `--hostname=${m.name}`,
    `--network-namespace-path=/run/netns/${m.netns}`,
    // iptables inside needs these; the partition drills run the real iptables on the master
    '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
    `--bind-ro=${bins.kubernetes}:${BIN.kubernetes}`,
    `--bind-ro=${bins.etcd}:${BIN.etcd}`,
    '--link-journal=no',
    '--resolv-conf=off',
    '--timezone=off',
    '--console=read-only',
    ...(o.topology === 'kubeadm' && bins.kubeadm ? kubeadmNspawnArgs(containerdDir(o, m), bins.kubeadm) : []),
  ];
}

/** The kubeadm topology's /var/lib/containerd, on the machine's file system (kubeadm.ts). */
export const containerdDir = (o: LabOptions, m: LabHost): string =>
  path.join(labPaths(o.dir).host(m.name), 'containerd');

export function startMaster(o: LabOptions, m: LabHost, root: string, bins: MasterBinaries): number {
  const log = labPaths(o.dir).console(m.name);
  const fd = openSync(log, 'a');
  try {
    const machine = machineName(o.name, m.name);
    const cgroups = [
      ...makeCgroups(machine),
      ...(o.topology === 'kubeadm' ? makeControllerCgroups(machine) : []),
    ];
    if (o.topology === 'kubeadm') mkdirSync(containerdDir(o, m), { recursive: true });
    return spawnDetached(inCgroups(cgroups, nspawnArgv(o, m, root, bins)), fd);
  } finally {
    closeSync(fd);
  }
}

/** The pid is the nspawn of this lab's master (not a recycled pid). */
export function isMasterProcess(pid: number, o: Pick<LabOptions, 'name'>, m: Pick<LabHost, 'name'>): boolean {
  const cmd = readProc(pid, 'cmdline');
  return (
    cmd !== undefined &&
    cmd.includes('systemd-nspawn') &&
    cmd.includes(`--machine=${machineName(o.name, m.name)}\0`)
  );
}
