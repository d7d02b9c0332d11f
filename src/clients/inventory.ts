/**
 * Clients for an inventory's cluster, as the watchers and `status` use them: one etcd client per
 * member with the inventory's etcd TLS, and the kubeconfig's credentials aimed at the load
 * balancer (or any other server with `forServer`).
 */
import type { Inventory } from '../config/schema.js';
import { EtcdCluster } from './etcd.js';
import { etcdConnect } from './etcd-transport.js';
import { KubeClient } from './kube.js';
import { loadKubeconfig, type KubeConnection } from './kubeconfig.js';
import { loadTlsFiles, type TlsMaterial } from './tls.js';

type Env = Record<string, string | undefined>;

/** The inventory's etcd TLS files, read (paths as the config loader resolved them). */
export function etcdTlsFor(inventory: Pick<Inventory, 'etcd'>): TlsMaterial {
  return loadTlsFiles(inventory.etcd?.tls);
}

export function etcdClusterFor(
  inventory: Pick<Inventory, 'masters' | 'etcd'>,
  tls = etcdTlsFor(inventory),
): EtcdCluster {
  return new EtcdCluster(
    inventory.masters.map((m) => ({ name: m.name, endpoint: m.etcd })),
    tls,
    etcdConnect(inventory.etcd?.transport),
  );
}

/** The inventory's kubeconfig (else KUBECONFIG, else ~/.kube/config) and context. */
export function kubeConnectionFor(
  inventory: Pick<Inventory, 'kubernetes'>,
  env: Env = process.env,
): KubeConnection {
  const k = inventory.kubernetes;
  return loadKubeconfig({ file: k.kubeconfig, context: k.context, env });
}

/** A Lease client through the inventory's load balancer. */
export function kubeClientFor(inventory: Pick<Inventory, 'kubernetes'>, env: Env = process.env): KubeClient {
  return new KubeClient(kubeConnectionFor(inventory, env)).forServer(inventory.kubernetes.loadBalancer);
}
