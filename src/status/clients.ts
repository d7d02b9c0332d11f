/**
 * The real StatusProbes: one etcd client per member (etcd TLS from the inventory), one Lease
 * client per server (load balancer and each API server, kubeconfig credentials), health probes
 * with the same credentials. Kept across --watch refreshes; close() frees the connections.
 */
import { gatewayConnect, type EtcdConnect, type EtcdMember } from '../clients/etcd.js';
import { KubeClient } from '../clients/kube.js';
import type { KubeConnection } from '../clients/kubeconfig.js';
import { probeKube } from '../clients/probe.js';
import type { TlsMaterial } from '../clients/tls.js';
import type { StatusMaster, StatusProbes } from './gather.js';
import type { SwitchRow } from './switches.js';

export class StatusClients implements StatusProbes {
  private readonly etcd = new Map<string, EtcdMember>();
  private readonly kube = new Map<string, KubeClient>();

  /** present when status looks at the masters' dead-man's switches (over SSH) */
  readonly armedSwitches?: () => Promise<SwitchRow[]>;

  constructor(
    private readonly etcdTls: TlsMaterial,
    private readonly conn: KubeConnection,
    private readonly connect: EtcdConnect = gatewayConnect,
    armedSwitches?: () => Promise<SwitchRow[]>,
  ) {
    if (armedSwitches) this.armedSwitches = armedSwitches;
  }

  etcdStatus(master: StatusMaster, timeoutMs: number) {
    let client = this.etcd.get(master.etcd);
    if (!client) {
      client = this.connect(master.etcd, this.etcdTls);
      this.etcd.set(master.etcd, client);
    }
    return client.status({ timeoutMs });
  }

  probe(baseUrl: string, path: string, timeoutMs: number) {
    return probeKube(baseUrl, path, timeoutMs, this.conn.auth);
  }

  readLease(server: string, namespace: string, name: string, timeoutMs: number) {
    let client = this.kube.get(server);
    if (!client) {
      client = new KubeClient({ ...this.conn, server: server.replace(/\/+$/, '') });
      this.kube.set(server, client);
    }
    return client.getLease(namespace, name, timeoutMs);
  }

  now(): number {
    return Date.now();
  }

  close(): void {
    for (const c of this.etcd.values()) c.close();
    for (const c of this.kube.values()) c.close();
    this.etcd.clear();
    this.kube.clear();
  }
}
