/**
 * What runs on each master: systemd units in the style of "Kubernetes the hard way"
 * (Restart=on-failure, RestartSec=5) for etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, with files laid out as kubeadm lays them out (/etc/kubernetes/pki,
 * /etc/kubernetes/*.conf). Pure: texts from the options.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import {
  apiserverUrl,
  clusterAddress,
  etcdUrl,
  peerUrl,
  SERVICE_CIDR,
  type Component,
  type LabHost,
  type LabOptions,
} from './layout.js';

export const BIN = { kubernetes: '/opt/kubernetes/bin', etcd: '/opt/etcd/bin' };
const PKI = '/etc/kubernetes/pki';

export const conf = (who: 'admin' | 'controller-manager' | 'scheduler'): string =>
  `/etc/kubernetes/${who}.conf`;

function etcdArgs(o: LabOptions, all: LabHost[], m: LabHost): string[] {
  const args = [
    `--name=${m.name}`,
    '--data-dir=/var/lib/etcd',
    `--listen-client-urls=${etcdUrl(m.address)},https://127.0.0.1:2379`,
    `--advertise-client-urls=${etcdUrl(m.address)}`,
    // on the peer network when the lab has one (--peer-net), else on the management one
    `--listen-peer-urls=${peerUrl(clusterAddress(m))}`,
    `--initial-advertise-peer-urls=${peerUrl(clusterAddress(m))}`,
    `--initial-cluster=${all.map((x) => `${x.name}=${peerUrl(clusterAddress(x))}`).join(',')}`,
    // ignored once the data dir exists: a restarted member rejoins with its own data
    '--initial-cluster-state=new',
    `--initial-cluster-token=${o.name}`,
    `--cert-file=${PKI}/etcd/server.crt`,
    `--key-file=${PKI}/etcd/server.key`,
    '--client-cert-auth=true',
    `--trusted-ca-file=${PKI}/etcd/ca.crt`,
    `--peer-cert-file=${PKI}/etcd/server.crt`,
    `--peer-key-file=${PKI}/etcd/server.key`,
    '--peer-client-cert-auth=true',
    `--peer-trusted-ca-file=${PKI}/etcd/ca.crt`,
    '--log-outputs=stderr',
    // the default from 3.5 on; Debian's 3.4 defaults to false (an isolated member then keeps
    // raising its term and forces a second election when it rejoins)
    '--pre-vote=true',
  ];
  if (o.etcd === 'debian') args.push('--logger=zap');
  return args;
}

function apiserverArgs(m: LabHost): string[] {
  return [
    // the address the other masters and the cluster's Service reach this API server at
    `--advertise-address=${clusterAddress(m)}`,
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${PKI}/ca.crt`,
    '--enable-admission-plugins=NodeRestriction',
    `--etcd-cafile=${PKI}/etcd/ca.crt`,
    `--etcd-certfile=${PKI}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${PKI}/apiserver-etcd-client.key`,
    // stacked etcd, as kubeadm sets it up: each API server talks to its own member
    `--etcd-servers=${etcdUrl(m.address)}`,
    '--secure-port=6443',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${PKI}/sa.pub`,
    `--service-account-signing-key-file=${PKI}/sa.key`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--tls-cert-file=${PKI}/apiserver.crt`,
    `--tls-private-key-file=${PKI}/apiserver.key`,
    '--profiling=false',
    // the aggregation layer's front proxy, as kubeadm sets it up
    `--proxy-client-cert-file=${PKI}/front-proxy-client.crt`,
    `--proxy-client-key-file=${PKI}/front-proxy-client.key`,
    `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
  ];
}

function leaderElection(o: LabOptions): string[] {
  return [
    '--leader-elect=true',
    `--leader-elect-lease-duration=${o.leaseDuration}`,
    `--leader-elect-renew-deadline=${o.renewDeadline}`,
    `--leader-elect-retry-period=${o.retryPeriod}`,
    // only leaderelection.go: a global -v=5 would flood the journal with every controller's sync
    ...(o.leaderElectionVerbosity === undefined
      ? []
      : [`--vmodule=leaderelection=${o.leaderElectionVerbosity}`]),
  ];
}

function controllerManagerArgs(o: LabOptions): string[] {
  const kc = conf('controller-manager');
  return [
    `--authentication-kubeconfig=${kc}`,
    `--authorization-kubeconfig=${kc}`,
    '--bind-address=127.0.0.1',
    `--client-ca-file=${PKI}/ca.crt`,
    `--cluster-name=${o.name}`,
    `--cluster-signing-cert-file=${PKI}/ca.crt`,
    `--cluster-signing-key-file=${PKI}/ca.key`,
    `--kubeconfig=${kc}`,
    ...leaderElection(o),
    `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
    `--root-ca-file=${PKI}/ca.crt`,
    `--service-account-private-key-file=${PKI}/sa.key`,
    '--use-service-account-credentials=true',
  ];
}

function schedulerArgs(o: LabOptions): string[] {
  const kc = conf('scheduler');
  return [
    `--authentication-kubeconfig=${kc}`,
    `--authorization-kubeconfig=${kc}`,
    '--bind-address=127.0.0.1',
    `--kubeconfig=${kc}`,
    ...leaderElection(o),
  ];
}

const AFTER: Record<Component, string> = {
  etcd: 'network.target',
  'kube-apiserver': 'network.target etcd.service',
  'kube-controller-manager': 'network.target kube-apiserver.service',
  'kube-scheduler': 'network.target kube-apiserver.service',
};

const DESCRIPTION: Record<Component, string> = {
  etcd: 'etcd key-value store',
  'kube-apiserver': 'Kubernetes API Server',
  'kube-controller-manager': 'Kubernetes Controller Manager',
  'kube-scheduler': 'Kubernetes Scheduler',
};

export function unitArgs(o: LabOptions, all: LabHost[], m: LabHost, c: Component): string[] {
  switch (c) {
    case 'etcd':
      return etcdArgs(o, all, m);
    case 'kube-apiserver':
      return apiserverArgs(m);
    case 'kube-controller-manager':
      return controllerManagerArgs(o);
    case 'kube-scheduler':
      return schedulerArgs(o);
  }
}

export function unitText(o: LabOptions, all: LabHost[], m: LabHost, c: Component): string {
  const bin = c === 'etcd' ? `${BIN.etcd}/etcd` : `${BIN.kubernetes}/${c}`;
  const args = unitArgs(o, all, m, c);
  // etcd and the API server tell systemd when they serve; the others have no readiness to tell
  const type = c === 'etcd' || c === 'kube-apiserver' ? 'notify' : 'simple';
  return [
    '[Unit]',
    `Description=${DESCRIPTION[c]} (kha-drill lab)`,
    // ordering only, no Wants=/Requires=: a restarted API server must not start an etcd a drill
    // stopped, but at shutdown the API server stops before its etcd (else it waits on it for 90 s)
    `After=${AFTER[c]}`,
    '',
    '[Service]',
    `Type=${type}`,
    `ExecStart=${bin} \\`,
    ...args.map((a, i) => `  ${a}${i < args.length - 1 ? ' \\' : ''}`),
    'Restart=on-failure',
    'RestartSec=5',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const b64 = (file: string): string => readFileSync(file).toString('base64');

/** A kubeconfig with the CA and a client certificate embedded, as kubeadm writes them. */
export function kubeconfigText(args: {
  cluster: string;
  server: string;
  ca: string;
  user: string;
  cert: string;
  key: string;
  embed: boolean;
}): string {
  const cluster = args.embed
    ? { server: args.server, 'certificate-authority-data': b64(args.ca) }
    : { server: args.server, 'certificate-authority': args.ca };
  const user = args.embed
    ? { 'client-certificate-data': b64(args.cert), 'client-key-data': b64(args.key) }
    : { 'client-certificate': args.cert, 'client-key': args.key };
  const context = `${args.user}@${args.cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: args.cluster, cluster }],
    users: [{ name: args.user, user }],
    contexts: [{ name: context, context: { cluster: args.cluster, user: args.user } }],
    'current-context': context,
    preferences: {},
  });
}

export const localServer = (m: LabHost): string => apiserverUrl(m.address);
