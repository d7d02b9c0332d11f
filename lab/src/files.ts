/** What `lab up` writes for the laptop side: inventory.yaml, kubeconfig, env (pure texts). */
import { stringify } from 'yaml';
import { pkiFiles } from './pki.js';
import { apiserverUrl, etcdUrl, labPaths, LAPTOP_NETNS } from './layout.js';
import type { LabState } from './state.js';
import { kubeconfigText } from './units.js';
import { MANIFEST_DIR } from './kubeadm.js';

export function inventoryYaml(s: LabState): string {
  const o = s.options;
  const p = labPaths(o.dir);
  const k = pkiFiles(p.pki);
  const doc = {
    apiVersion: 'kha-drill/v1',
    kind: 'Inventory',
    metadata: { name: `lab-${o.name}` },
    masters: s.masters.map((m) => ({
      name: m.name,
      host: m.address,
      nodeName: m.name,
      etcd: etcdUrl(m.address),
      apiserver: apiserverUrl(m.address),
    })),
    ssh: {
      user: 'root',
      port: 22,
      identityFile: p.clientKey,
      agent: false,
      knownHosts: p.knownHosts,
      strictHostKeyChecking: true,
    },
    etcd: o.etcdAuth
      ? { transport: 'grpc', tls: { ca: k.ca, cert: k.cert('kha-drill'), key: k.key('kha-drill') } }
      : { tls: { ca: k.ca, cert: k.cert('admin'), key: k.key('admin') } },
    kubernetes: {
      kubeconfig: o.etcdAuth ? p.khaDrillKubeconfig : p.kubeconfig,
      loadBalancer: apiserverUrl(s.lb.address),
      leaderElection: {
        leaseDuration: o.leaseDuration,
        renewDeadline: o.renewDeadline,
        retryPeriod: o.retryPeriod,
      },
    },
    services:
      o.topology === 'kubeadm'
        ? {
            manager: 'static-pod',
            manifestDir: MANIFEST_DIR,
            stashDir: '/etc/kubernetes/kha-drill-stash',
          }
        : { manager: 'systemd' },
  };
  const versions = s.binaries
    ? `Kubernetes ${s.binaries.kubernetesVersion}, etcd ${s.binaries.etcdVersion}`
    : '';
  return (
    `# kha-drill lab "${o.name}" (${o.masters} masters${o.topology === 'kubeadm' ? ', kubeadm topology: kubelet, containerd, static pods' : ''}; ${versions}), written by \`kha-drill lab up\`.\n` +
    (o.etcdAuth
      ? '# etcd auth on (--etcd-auth): kha-drill runs as the etcd user kha-drill (readwrite on /kha-drill/probe/ only, over gRPC)\n# and the Kubernetes user kha-drill (get/list/watch Leases in kube-system only).\n'
      : '') +
    `# Reachable only from the laptop namespace ${LAPTOP_NETNS}: kha-drill lab exec -- kha-drill run … -i ${p.inventory}\n` +
    stringify(doc)
  );
}

export function laptopKubeconfig(s: LabState): string {
  const k = pkiFiles(labPaths(s.options.dir).pki);
  return kubeconfigText({
    cluster: s.options.name,
    server: apiserverUrl(s.lb.address),
    ca: k.ca,
    user: 'kubernetes-admin',
    cert: k.cert('admin'),
    key: k.key('admin'),
    embed: false,
  });
}

/** `--etcd-auth`: the Kubernetes user kha-drill by its client certificate. */
export function khaDrillKubeconfig(s: LabState): string {
  const k = pkiFiles(labPaths(s.options.dir).pki);
  return kubeconfigText({
    cluster: s.options.name,
    server: apiserverUrl(s.lb.address),
    ca: k.ca,
    user: 'kha-drill',
    cert: k.cert('kha-drill'),
    key: k.key('kha-drill'),
    embed: false,
  });
}

/** The variables `lab env` prints and `lab exec` sets. */
export function labEnv(s: LabState): Record<string, string> {
  const p = labPaths(s.options.dir);
  const k = pkiFiles(p.pki);
  const env: Record<string, string> = {
    KUBECONFIG: p.kubeconfig,
    KHA_INVENTORY: p.inventory,
    KHA_LAB_DIR: p.dir,
    ETCDCTL_ENDPOINTS: s.masters.map((m) => etcdUrl(m.address)).join(','),
    ETCDCTL_CACERT: k.ca,
    ETCDCTL_CERT: k.cert('admin'),
    ETCDCTL_KEY: k.key('admin'),
  };
  // Debian's etcdctl 3.4 still needs it; 3.5 and later warn about it
  if (s.options.etcd === 'debian') env.ETCDCTL_API = '3';
  return env;
}

/** PATH for the laptop side: the lab's kubectl and etcdctl first. */
export function labPath(s: LabState, base: string): string {
  const dirs = [s.binaries?.kubernetes, s.binaries?.etcd].filter((d): d is string => Boolean(d));
  return [...dirs, base].join(':');
}
