/** The lab's inventory.yaml and kubeconfig: what users and the engine point kha-drill at. */
import { stringify } from 'yaml';
import { API_VERSION, Inventory } from '../config/schema.js';
import {
  apiserverUrl,
  etcdUrl,
  labPaths,
  loadBalancerUrl,
  pkiPaths,
  type LabMaster,
  type LabOptions,
} from './layout.js';

export function labInventory(opts: LabOptions, masters: LabMaster[], sshUser: string): Inventory {
  const p = labPaths(opts.dir);
  const k = pkiPaths(opts.dir);
  const doc = {
    apiVersion: API_VERSION,
    kind: 'Inventory',
    metadata: { name: 'kha-lab' },
    masters: masters.map((m) => ({
      name: m.name,
      host: m.address,
      nodeName: m.name,
      etcd: etcdUrl(m, opts.tls),
      apiserver: apiserverUrl(m, opts.tls),
    })),
    ssh: {
      user: sshUser,
      port: opts.sshPort,
      identityFile: p.clientKey,
      agent: false,
      knownHosts: p.knownHosts,
      strictHostKeyChecking: true,
    },
    etcd: opts.tls ? { tls: { ca: k.ca, cert: k.adminCert, key: k.adminKey } } : {},
    kubernetes: {
      kubeconfig: p.kubeconfig,
      loadBalancer: loadBalancerUrl(opts),
      leaderElection: {
        leaseDuration: opts.leaseDuration,
        renewDeadline: opts.renewDeadline,
        retryPeriod: opts.retryPeriod,
      },
    },
    services: { manager: 'systemd' },
  };
  // what we write must load: fail here rather than in the user's first drill
  Inventory.parse(doc);
  return doc as Inventory;
}

export function inventoryYaml(opts: LabOptions, masters: LabMaster[], sshUser: string): string {
  return (
    `# kha-drill lab inventory, written by \`kha-drill lab up\` (${opts.masters} masters${opts.tls ? ', TLS' : ''})\n` +
    stringify(labInventory(opts, masters, sshUser))
  );
}

export function kubeconfigYaml(opts: LabOptions): string {
  const k = pkiPaths(opts.dir);
  const cluster = opts.tls
    ? { server: loadBalancerUrl(opts), 'certificate-authority': k.ca }
    : // plain http: clients such as @kubernetes/client-node refuse http:// without this flag
      { server: loadBalancerUrl(opts), 'insecure-skip-tls-verify': true };
  const user = opts.tls ? { 'client-certificate': k.adminCert, 'client-key': k.adminKey } : {};
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kha-lab', cluster }],
    users: [{ name: 'kha-lab-admin', user }],
    contexts: [{ name: 'kha-lab', context: { cluster: 'kha-lab', user: 'kha-lab-admin' } }],
    'current-context': 'kha-lab',
    preferences: {},
  });
}

/** `export …` lines for a shell: kubeconfig, inventory, etcdctl endpoints (and certs). */
export function envLines(opts: LabOptions, masters: LabMaster[]): string[] {
  const p = labPaths(opts.dir);
  const k = pkiPaths(opts.dir);
  const lines = [
    `export KUBECONFIG=${p.kubeconfig}`,
    `export KHA_INVENTORY=${p.inventory}`,
    `export ETCDCTL_ENDPOINTS=${masters.map((m) => etcdUrl(m, opts.tls)).join(',')}`,
  ];
  if (opts.tls) {
    lines.push(
      `export ETCDCTL_CACERT=${k.ca}`,
      `export ETCDCTL_CERT=${k.adminCert}`,
      `export ETCDCTL_KEY=${k.adminKey}`,
    );
  }
  return lines;
}
