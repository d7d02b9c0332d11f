/**
 * The kubeadm topology (`lab up --topology kubeadm`): each master runs the real kubelet with
 * Debian's containerd and runc, and the control plane as static pods laid out as kubeadm lays
 * them out (/etc/kubernetes/manifests, /etc/kubernetes/pki with pki/etcd, admin.conf,
 * controller-manager.conf, scheduler.conf, kubelet.conf, /var/lib/kubelet/config.yaml). The
 * components' flags are the systemd topology's (units.ts), so the two topologies differ only in
 * who supervises the processes. Texts are pure; `writeKubeadmFiles` puts them into a host's root.
 *
 * What a kubelet in a systemd-nspawn host needs on this kind of machine (cgroup v1 hierarchies,
 * checked 6 Dec 2026 on Debian 12 with a 6.18 kernel), each found by running it:
 * - writable cgroup v1 controllers: nspawn mounts them read-only; each master's nspawn is started
 *   in a cgroup of its own in every v1 hierarchy (cgroup.ts), so inside, the cgroup namespace's
 *   root is that cgroup, and kha-lab-kubeadm-host remounts it read-write there (runc: "mkdir
 *   /sys/fs/cgroup/cpuset/…: read-only file system" otherwise). The kubelet uses the cgroupfs
 *   driver (the host's systemd owns no controller).
 * - /var/lib/containerd on the machine's own file system (a bind of hosts/<master>/containerd):
 *   containerd's overlayfs snapshotter cannot stack on the host's overlay root ("failed to mount
 *   /tmp/containerd-mount…: invalid argument").
 * - the keyring system calls (nspawn --system-call-filter=@keyring; runc: "unable to join session
 *   keyring: … operation not permitted"), /dev/kmsg and CAP_SYSLOG (the kubelet's OOM watcher:
 *   "open /dev/kmsg: operation not permitted" is fatal).
 * - CAP_SYS_RESOURCE is not in this machine's bounding set, so nothing may lower an oom_score_adj:
 *   containerd's restrict_oom_score_adj (runc: "can't get final child's PID from pipe: EOF").
 * - the kernel is the machine's: the kubelet would set vm.overcommit_memory=1, vm.panic_on_oom=0,
 *   kernel.panic=10 and kernel.panic_on_oops=1 for the whole machine ("failed to run Kubelet:
 *   … /proc/sys … read-only file system"). The lab does not change the machine's kernel: it
 *   shows the kubelet those values read-only, bound over the four files inside each master.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ImageRefs } from './images.js';
import type { LabHost, LabOptions } from './layout.js';
import type { Pki } from './pki.js';
import { conf, kubeconfigText, localServer, unitArgs } from './units.js';

export const TOPOLOGIES = ['systemd', 'kubeadm'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export const MANIFEST_DIR = '/etc/kubernetes/manifests';
/** manifests `lab up` moves into MANIFEST_DIR later (the second and later API servers) */
export const PENDING_DIR = '/etc/kubernetes/kha-lab-pending';
export const KUBEADM_BIN = {
  kubelet: '/opt/kubelet/bin',
  criTools: '/opt/cri-tools/bin',
  images: '/opt/kha-lab/images',
};
export const CONTAINERD_SOCKET = 'unix:///run/containerd/containerd.sock';

/** The sysctls the kubelet insists on (pkg/kubelet/cm setupKernelTunables) that differ here. */
export const KUBELET_SYSCTLS: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
};

const PKI = '/etc/kubernetes/pki';

interface Volume {
  name: string;
  hostPath: string;
  type: 'DirectoryOrCreate' | 'FileOrCreate' | 'Directory';
  readOnly: boolean;
}

type Probe = { host: string; port: number; path: string; scheme: 'HTTP' | 'HTTPS' };

/** A static pod as kubeadm writes one (hostNetwork, system-node-critical, kubeadm's probe timings). */
export function staticPodManifest(args: {
  name: string;
  image: string;
  command: string[];
  volumes: Volume[];
  probe: Probe;
}): string {
  const httpGet = {
    host: args.probe.host,
    path: args.probe.path,
    port: args.probe.port,
    scheme: args.probe.scheme,
  };
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: args.name,
      namespace: 'kube-system',
      labels: { component: args.name, tier: 'control-plane' },
    },
    spec: {
      containers: [
        {
          name: args.name,
          image: args.image,
          imagePullPolicy: 'IfNotPresent',
          command: args.command,
          livenessProbe: {
            failureThreshold: 8,
            httpGet,
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 15,
          },
          startupProbe: {
            failureThreshold: 24,
            httpGet,
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 15,
          },
          resources: { requests: { cpu: args.name === 'kube-apiserver' ? '250m' : '100m' } },
          volumeMounts: args.volumes.map((v) => ({
            mountPath: v.hostPath,
            name: v.name,
            readOnly: v.readOnly,
          })),
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      volumes: args.volumes.map((v) => ({ hostPath: { path: v.hostPath, type: v.type }, name: v.name })),
    },
  });
}

const vol = (name: string, hostPath: string, type: Volume['type'], readOnly = true): Volume => ({
  name,
  hostPath,
  type,
  readOnly,
});

/** The four manifests of one master: file name → text. */
export function manifests(
  o: LabOptions,
  all: LabHost[],
  m: LabHost,
  images: ImageRefs,
): Record<string, string> {
  const etcdCmd = [
    'etcd',
    ...unitArgs(o, all, m, 'etcd'),
    // what kubeadm's probe asks: /livez on a plain-HTTP metrics listener on loopback
    '--listen-metrics-urls=http://127.0.0.1:2381',
  ];
  return {
    'etcd.yaml': staticPodManifest({
      name: 'etcd',
      image: images.etcd,
      command: etcdCmd,
      volumes: [
        vol('etcd-certs', `${PKI}/etcd`, 'DirectoryOrCreate'),
        vol('etcd-data', '/var/lib/etcd', 'DirectoryOrCreate', false),
      ],
      probe: { host: '127.0.0.1', port: 2381, path: '/livez', scheme: 'HTTP' },
    }),
    'kube-apiserver.yaml': staticPodManifest({
      name: 'kube-apiserver',
      image: images['kube-apiserver'],
      command: ['kube-apiserver', ...unitArgs(o, all, m, 'kube-apiserver')],
      volumes: [vol('k8s-certs', PKI, 'DirectoryOrCreate')],
      probe: { host: m.address, port: 6443, path: '/livez', scheme: 'HTTPS' },
    }),
    'kube-controller-manager.yaml': staticPodManifest({
      name: 'kube-controller-manager',
      image: images['kube-controller-manager'],
      command: ['kube-controller-manager', ...unitArgs(o, all, m, 'kube-controller-manager')],
      volumes: [
        vol('k8s-certs', PKI, 'DirectoryOrCreate'),
        vol('kubeconfig', conf('controller-manager'), 'FileOrCreate'),
      ],
      probe: { host: '127.0.0.1', port: 10257, path: '/healthz', scheme: 'HTTPS' },
    }),
    'kube-scheduler.yaml': staticPodManifest({
      name: 'kube-scheduler',
      image: images['kube-scheduler'],
      command: ['kube-scheduler', ...unitArgs(o, all, m, 'kube-scheduler')],
      volumes: [vol('kubeconfig', conf('scheduler'), 'FileOrCreate')],
      probe: { host: '127.0.0.1', port: 10259, path: '/livez', scheme: 'HTTPS' },
    }),
  };
}

/** /var/lib/kubelet/config.yaml */
export function kubeletConfig(): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    staticPodPath: MANIFEST_DIR,
    containerRuntimeEndpoint: CONTAINERD_SOCKET,
    // the machine's cgroups are v1 and its systemd owns no controller (see the file's comment)
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: `${PKI}/ca.crt` },
    },
    authorization: { mode: 'Webhook' },
    clusterDomain: 'cluster.local',
    // the images exist only here (no registry): never collect them, never evict for disk
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
    resolvConf: '/etc/resolv.conf',
  });
}

/** containerd 1.6 (Debian): CRI with our pause image, runc with cgroupfs, no oom_score_adj below its own. */
export function containerdConfig(images: ImageRefs): string {
  return [
    'version = 2',
    '',
    '[plugins]',
    '  [plugins."io.containerd.grpc.v1.cri"]',
    `    sandbox_image = "${images.pause}"`,
    '    restrict_oom_score_adj = true',
    '    [plugins."io.containerd.grpc.v1.cri".cni]',
    '      bin_dir = "/usr/lib/cni"',
    '      conf_dir = "/etc/cni/net.d"',
    '  [plugins."io.containerd.internal.v1.opt"]',
    '    path = "/var/lib/containerd/opt"',
    '',
  ].join('\n');
}

/**
 * A bridge network from Debian's containernetworking-plugins: the runtime reports its network
 * ready only with a valid CNI config, and the kubelet keeps the Node NotReady until it does. The
 * control-plane pods use the host's network and never touch it.
 */
export function cniConfig(index: number): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'kha-lab',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: `10.244.${index}.0/24` }]] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

const HOST_SCRIPT = '/usr/local/sbin/kha-lab-kubeadm-host';

export function hostScript(): string {
  return [
    '#!/bin/sh',
    '# kha-drill lab: what the kubelet and runc need from this nspawn host (see lab/src/kubeadm.ts)',
    'set -eu',
    "# the cgroup v1 controllers, mounted read-only by nspawn, read-write (each is this host's own cgroup)",
    'for d in $(awk \'$3 == "cgroup" && $4 ~ /^ro,/ && $2 != "/sys/fs/cgroup/systemd" {print $2}\' /proc/self/mounts); do',
    '  mount -o remount,bind,rw "$d"',
    'done',
    '# the values the kubelet wants, read-only over the machine-wide sysctls it would otherwise set',
    ...Object.keys(KUBELET_SYSCTLS).map(
      (k) => `mount --bind -o ro /etc/kha-lab/sysctl/${k.replace('/', '.')} /proc/sys/${k}`,
    ),
    '',
  ].join('\n');
}

function unit(lines: string[]): string {
  return lines.join('\n') + '\n';
}

export function hostUnit(): string {
  return unit([
    '[Unit]',
    'Description=kha-drill lab: cgroups and sysctls for the kubelet',
    'DefaultDependencies=no',
    'Before=containerd.service kubelet.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${HOST_SCRIPT}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ]);
}

export function imagesUnit(): string {
  return unit([
    '[Unit]',
    'Description=kha-drill lab: import the control-plane images into containerd (no registry here)',
    'After=containerd.service',
    'Requires=containerd.service',
    'Before=kubelet.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/usr/bin/ctr -n k8s.io images import ${KUBEADM_BIN.images}/images.tar`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ]);
}

/** The kubelet as kubeadm's package runs it (Restart=always, RestartSec=10). */
export function kubeletUnit(m: LabHost): string {
  return unit([
    '[Unit]',
    'Description=kubelet: The Kubernetes Node Agent (kha-drill lab)',
    'Wants=containerd.service',
    'After=containerd.service kha-lab-images.service kha-lab-kubeadm-host.service',
    '',
    '[Service]',
    `ExecStart=${KUBEADM_BIN.kubelet}/kubelet --config=/var/lib/kubelet/config.yaml --kubeconfig=/etc/kubernetes/kubelet.conf --node-ip=${m.address}`,
    'Restart=always',
    'RestartSec=10',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ]);
}

function put(root: string, file: string, content: string, mode = 0o644): void {
  const full = path.join(root, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content, { mode });
  chmodSync(full, mode);
}

function enable(root: string, name: string, text: string): void {
  put(root, `etc/systemd/system/${name}`, text);
  const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants', name);
  mkdirSync(path.dirname(wants), { recursive: true });
  rmSync(wants, { force: true });
  symlinkSync(`/etc/systemd/system/${name}`, wants);
}

/** Everything the kubeadm topology adds to a master's root (after writeMasterFiles' common part). */
export function writeKubeadmFiles(
  o: LabOptions,
  all: LabHost[],
  m: LabHost,
  root: string,
  pki: Pki,
  images: ImageRefs,
): void {
  const first = m === all[0];
  for (const [file, text] of Object.entries(manifests(o, all, m, images))) {
    // The second and later API servers start once the first is ready, as in the systemd topology;
    // their controller-manager and scheduler with them (each talks to its own API server, and a
    // kubelet would back off their crash loops for minutes)
    const dir = file !== 'etcd.yaml' && !first ? PENDING_DIR : MANIFEST_DIR;
    put(root, `${dir.slice(1)}/${file}`, text, 0o600);
  }
  put(
    root,
    'etc/kubernetes/kubelet.conf',
    kubeconfigText({
      cluster: o.name,
      server: localServer(m),
      ca: pki.ca,
      user: `system:node:${m.name}`,
      cert: pki.cert(`kubelet-${m.name}`),
      key: pki.key(`kubelet-${m.name}`),
      embed: true,
    }),
    0o600,
  );
  put(root, 'var/lib/kubelet/config.yaml', kubeletConfig());
  put(root, 'etc/containerd/config.toml', containerdConfig(images));
  put(root, 'etc/cni/net.d/10-kha-lab.conflist', cniConfig(all.indexOf(m) + 1));
  put(
    root,
    'etc/crictl.yaml',
    `runtime-endpoint: ${CONTAINERD_SOCKET}\nimage-endpoint: ${CONTAINERD_SOCKET}\ntimeout: 10\n`,
  );
  put(root, 'etc/resolv.conf', '');
  for (const [k, v] of Object.entries(KUBELET_SYSCTLS))
    put(root, `etc/kha-lab/sysctl/${k.replace('/', '.')}`, `${v}\n`);
  put(root, HOST_SCRIPT.slice(1), hostScript(), 0o755);
  enable(root, 'kha-lab-kubeadm-host.service', hostUnit());
  enable(root, 'kha-lab-images.service', imagesUnit());
  enable(root, 'kubelet.service', kubeletUnit(m));
  const link = path.join(root, 'usr/local/bin/crictl');
  rmSync(link, { force: true });
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(`${KUBEADM_BIN.criTools}/crictl`, link);
}

/** nspawn arguments the kubeadm topology adds (see the file's comment for why each). */
export function kubeadmNspawnArgs(
  containerdDir: string,
  bins: { kubelet: string; criTools: string; images: string },
): string[] {
  return [
    '--capability=CAP_SYSLOG',
    '--system-call-filter=@keyring',
    '--bind=/dev/kmsg',
    `--bind=${containerdDir}:/var/lib/containerd`,
    `--bind-ro=${bins.kubelet}:${KUBEADM_BIN.kubelet}`,
    `--bind-ro=${bins.criTools}:${KUBEADM_BIN.criTools}`,
    `--bind-ro=${bins.images}:${KUBEADM_BIN.images}`,
  ];
}
