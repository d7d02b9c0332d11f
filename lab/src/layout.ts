/**
 * Names, addresses and paths of one lab, derived from its options alone (pure).
 *
 * Network plan (README "The lab's network"): every lab host lives in a network namespace of its
 * own, joined to the lab's switch (a bridge in a namespace of its own) by a veth pair. The laptop
 * side is one more namespace, `kha-laptop`, shared by every lab on the machine; kha-drill, kubectl
 * and etcdctl reach the lab only from there (`kha-drill lab exec -- …`). No namespace of a lab has
 * a default route and none is joined to the machine's own network, so no lab packet can leave the
 * machine in any state of the lab: when the lab is down its addresses are routed nowhere at all.
 * Addresses come from 198.18.0.0/15, the range RFC 2544 sets aside for benchmarking networks.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** lab/src and lab/dist are both one level below the lab package. */
export const LAB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(LAB_ROOT, '..');

export const LAPTOP_NETNS = 'kha-laptop';
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const APISERVER_PORT = 6443;
export const SSH_PORT = 22;

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

export const KUBERNETES_VERSIONS = ['v1.37.2', 'v1.32.9'] as const;
export const DEFAULT_KUBERNETES = KUBERNETES_VERSIONS[0];
/** etcd built from the Go module proxy, or Debian's etcd-server package (3.4). */
export const ETCD_VERSIONS = ['v3.6.16', 'debian'] as const;
export const DEFAULT_ETCD = ETCD_VERSIONS[0];

export interface LabOptions {
  /** short name: prefixes every namespace and machine of this lab */
  name: string;
  /** third octet of the lab's subnet 198.18.<net>.0/24 */
  net: number;
  masters: number;
  dir: string;
  kubernetes: string;
  /** a folder with official release binaries (kubernetes/server/bin) instead of our build */
  kubernetesBin?: string | undefined;
  etcd: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  /**
   * klog verbosity of client-go's leader election alone (`--vmodule=leaderelection=N` on
   * kube-scheduler and kube-controller-manager); unset leaves the components' default. At 5 each
   * successful renewal is logged: the old holder's last renewal is then ground truth too.
   */
  leaderElectionVerbosity?: number | undefined;
  /**
   * `systemd` (default: the components as systemd units) or `kubeadm` (the real kubelet with
   * containerd runs them as static pods; kubeadm.ts)
   */
  topology?: 'systemd' | 'kubeadm' | undefined;
  /**
   * A second, separate network for etcd's peer traffic (and the API servers' advertise address):
   * each master's `eth1` on a bridge of its own, subnet `peerSubnet(net)`. SSH, etcd's client
   * port and the API servers' port stay on the management network (the lab's /24).
   */
  peerNet?: boolean | undefined;
  /**
   * etcd auth on, and kha-drill as least-privileged users on both sides (etcd-auth.ts): the
   * inventory then uses them (etcd user and Kubernetes user `kha-drill`, gRPC to etcd)
   */
  etcdAuth?: boolean | undefined;
}

export interface LabHost {
  /** master-1…, lb, laptop */
  name: string;
  address: string;
  /** network namespace (/run/netns/<netns>) */
  netns: string;
  /** veth name on the switch side */
  port: string;
  /** the master's address on the peer network (`lab up --peer-net`), else absent */
  peerAddress?: string | undefined;
}

export const subnet = (net: number): string => `198.18.${net}.0/24`;
export const laptopAddress = (net: number): string => `198.18.${net}.1`;
export const lbAddress = (net: number): string => `198.18.${net}.100`;
export const masterAddress = (net: number, i: number): string => `198.18.${net}.${10 + i}`;
/**
 * Peer networks (`lab up --peer-net`) take 198.18.240.0/20, one /28 per lab derived from its
 * --net (so two labs never share one, as two labs never share a --net): 198.18.(240 + ⌊net/16⌋).
 * ((net mod 16) × 16)/28, master i at .(base + i). Management subnets therefore stop at --net 239.
 */
export const PEER_BLOCK_FIRST_NET = 240;
export function peerSubnet(net: number): string {
  return `198.18.${PEER_BLOCK_FIRST_NET + Math.floor(net / 16)}.${(net % 16) * 16}/28`;
}
export function peerAddress(net: number, i: number): string {
  return `198.18.${PEER_BLOCK_FIRST_NET + Math.floor(net / 16)}.${(net % 16) * 16 + i}`;
}
export const PEER_PREFIX_LENGTH = 28;
/** The API servers' service range: virtual, never routed (nothing here runs kube-proxy). */
export const SERVICE_CIDR = '198.19.0.0/24';
export const SERVICE_IP = '198.19.0.1';

export function masters(o: Pick<LabOptions, 'name' | 'net' | 'masters' | 'peerNet'>): LabHost[] {
  return Array.from({ length: o.masters }, (_, k) => {
    const i = k + 1;
    return {
      name: `master-${i}`,
      address: masterAddress(o.net, i),
      netns: `${o.name}-master-${i}`,
      port: `m${i}`,
      ...(o.peerNet ? { peerAddress: peerAddress(o.net, i) } : {}),
    };
  });
}

/** The address etcd's peers and the other masters reach a master at: its peer one if it has one. */
export const clusterAddress = (m: LabHost): string => m.peerAddress ?? m.address;

export function loadBalancer(o: Pick<LabOptions, 'name' | 'net'>): LabHost {
  return { name: 'lb', address: lbAddress(o.net), netns: `${o.name}-lb`, port: 'lb' };
}

/** The laptop's leg into this lab: a veth named after the lab inside kha-laptop. */
export function laptop(o: Pick<LabOptions, 'name' | 'net'>): LabHost {
  return { name: 'laptop', address: laptopAddress(o.net), netns: LAPTOP_NETNS, port: 'laptop' };
}

export const switchNetns = (name: string): string => `${name}-sw`;
/** the peer network's switch (`lab up --peer-net`) */
export const peerSwitchNetns = (name: string): string => `${name}-psw`;
/** machine name of a master's container (its hostname is the master's name) */
export const machineName = (name: string, host: string): string => `${name}-${host}`;

export const etcdUrl = (address: string): string => `https://${address}:${ETCD_CLIENT_PORT}`;
export const peerUrl = (address: string): string => `https://${address}:${ETCD_PEER_PORT}`;
export const apiserverUrl = (address: string): string => `https://${address}:${APISERVER_PORT}`;

/** Build caches, shared by every lab and checkout on the machine. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KHA_CACHE_DIR) return path.resolve(env.KHA_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'kha-drill');
}

export function cachePaths(env: NodeJS.ProcessEnv = process.env) {
  const root = cacheDir(env);
  return {
    root,
    kubernetes: (version: string) => path.join(root, 'kubernetes', version),
    etcd: (version: string) => path.join(root, 'etcd', version),
    rootfs: (id: string) => path.join(root, 'rootfs', id),
  };
}

/** Every path of one lab's directory. */
export function labPaths(dir: string) {
  const host = (name: string) => path.join(dir, 'hosts', name);
  return {
    dir,
    state: path.join(dir, 'lab.json'),
    inventory: path.join(dir, 'inventory.yaml'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    /** `--etcd-auth`: the Kubernetes user kha-drill, allowed only to read Leases */
    khaDrillKubeconfig: path.join(dir, 'kubeconfig-kha-drill'),
    env: path.join(dir, 'env'),
    pki: path.join(dir, 'pki'),
    ssh: path.join(dir, 'ssh'),
    clientKey: path.join(dir, 'ssh', 'id_ed25519'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    hostKey: (name: string) => path.join(dir, 'ssh', `${name}_host_ed25519_key`),
    haproxyConfig: path.join(dir, 'haproxy.cfg'),
    haproxyLog: path.join(dir, 'haproxy.log'),
    hosts: path.join(dir, 'hosts'),
    host,
    upper: (name: string) => path.join(host(name), 'upper'),
    work: (name: string) => path.join(host(name), 'work'),
    root: (name: string) => path.join(host(name), 'root'),
    console: (name: string) => path.join(host(name), 'console.log'),
  };
}
