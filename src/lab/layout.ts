/**
 * Where everything of one lab lives and how its masters are numbered: the file layout of
 * docs/HELPERS.md "Lab layout", derived from the options alone (pure; no I/O).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: src/lab and dist/lab are both two levels below it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const UNIT_NAMES = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'] as const;
export type UnitName = (typeof UNIT_NAMES)[number];

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const APISERVER_PORT = 6443;
/** Each master's processes run as uid/gid UID_BASE + the last octet of its address (as root). */
export const UID_BASE = 64000;

export interface LabOptions {
  masters: number;
  tls: boolean;
  dir: string;
  firstIp: string;
  lbIp: string;
  sshPort: number;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  /** true when the lab runs as root: per-master uids and iptables partitions */
  root: boolean;
}

export interface LabMaster {
  name: string;
  address: string;
  octet: number;
  /** uid and gid of this master's processes; undefined when the lab does not run as root */
  uid: number | undefined;
}

export function parseIpv4(text: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number) as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : undefined;
}

export function lastOctet(address: string): number {
  const ip = parseIpv4(address);
  if (!ip) throw new Error(`not an IPv4 address: ${address}`);
  return ip[3];
}

export function uidFor(address: string): number {
  return UID_BASE + lastOctet(address);
}

/** master-1..N at consecutive addresses from firstIp. */
export function labMasters(opts: Pick<LabOptions, 'masters' | 'firstIp' | 'root'>): LabMaster[] {
  const ip = parseIpv4(opts.firstIp);
  if (!ip) throw new Error(`not an IPv4 address: ${opts.firstIp}`);
  return Array.from({ length: opts.masters }, (_, i) => {
    const octet = ip[3] + i;
    const address = `${ip[0]}.${ip[1]}.${ip[2]}.${octet}`;
    return { name: `master-${i + 1}`, address, octet, uid: opts.root ? UID_BASE + octet : undefined };
  });
}

/** The iptables chain holding one master's partition rules. */
export function chainName(octet: number): string {
  return `KHA-LAB-${octet}`;
}

/** Every path of a lab directory. */
export function labPaths(dir: string) {
  return {
    dir,
    state: path.join(dir, 'lab.json'),
    inventory: path.join(dir, 'inventory.yaml'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    ssh: path.join(dir, 'ssh'),
    clientKey: path.join(dir, 'ssh', 'id_ed25519'),
    knownHosts: path.join(dir, 'ssh', 'known_hosts'),
    authorizedKeys: path.join(dir, 'ssh', 'authorized_keys'),
    pki: path.join(dir, 'pki'),
    haproxyConfig: path.join(dir, 'haproxy.cfg'),
    haproxyPid: path.join(dir, 'run', 'haproxy.pid'),
    haproxyLog: path.join(dir, 'logs', 'haproxy.log'),
    run: path.join(dir, 'run'),
    logs: path.join(dir, 'logs'),
    data: path.join(dir, 'data'),
    units: path.join(dir, 'units'),
    bin: path.join(dir, 'bin'),
    masterRun: (m: string) => path.join(dir, 'run', m),
    masterLogs: (m: string) => path.join(dir, 'logs', m),
    masterBin: (m: string) => path.join(dir, 'bin', m),
    masterUnits: (m: string) => path.join(dir, 'units', m),
    etcdData: (m: string) => path.join(dir, 'data', m, 'etcd'),
    unitFile: (m: string, unit: string) => path.join(dir, 'units', m, `${unit}.json`),
    pidFile: (m: string, unit: string) => path.join(dir, 'run', m, `${unit}.pid`),
    logFile: (m: string, unit: string) => path.join(dir, 'logs', m, `${unit}.log`),
    truthLog: (m: string, unit: string) => path.join(dir, 'logs', m, `${unit}.truth.jsonl`),
    sshdConfig: (m: string) => path.join(dir, 'ssh', m, 'sshd_config'),
    hostKey: (m: string) => path.join(dir, 'ssh', m, 'ssh_host_ed25519_key'),
    sshdPid: (m: string) => path.join(dir, 'run', m, 'sshd.pid'),
    sshdLog: (m: string) => path.join(dir, 'logs', m, 'sshd.log'),
  };
}
export type LabPaths = ReturnType<typeof labPaths>;

/** TLS material of a --tls lab (pki.ts makes it). */
export function pkiPaths(dir: string) {
  const pki = path.join(dir, 'pki');
  return {
    ca: path.join(pki, 'ca.crt'),
    caKey: path.join(pki, 'ca.key'),
    adminCert: path.join(pki, 'admin.crt'),
    adminKey: path.join(pki, 'admin.key'),
    /** the admin certificate and key in one file, for HAProxy's health checks */
    haproxyPem: path.join(pki, 'haproxy.pem'),
    /** per master: server certificate for etcd and the apiserver, also its client certificate */
    masterCert: (m: string) => path.join(pki, `${m}.crt`),
    masterKey: (m: string) => path.join(pki, `${m}.key`),
  };
}

export function scheme(tls: boolean): 'https' | 'http' {
  return tls ? 'https' : 'http';
}

export function etcdUrl(m: LabMaster, tls: boolean): string {
  return `${scheme(tls)}://${m.address}:${ETCD_CLIENT_PORT}`;
}

export function apiserverUrl(m: LabMaster, tls: boolean): string {
  return `${scheme(tls)}://${m.address}:${APISERVER_PORT}`;
}

export function loadBalancerUrl(opts: Pick<LabOptions, 'lbIp' | 'tls'>): string {
  return `${scheme(opts.tls)}://${opts.lbIp}:${APISERVER_PORT}`;
}
