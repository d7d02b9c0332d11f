/**
 * The production wiring of the engine's ports: a ClusterView over the etcd, Kubernetes and
 * probe clients, and a Remote over one SSH connection per master.
 */
import type { Inventory, Master } from '../config/schema.js';
import { parseDuration, parseDurationMs } from '../text/duration.js';
import { EtcdCluster, memberStatus, type EtcdConnect } from '../clients/etcd.js';
import { checkEtcdWriteAccess, etcdUserOf, PROBE_PREFIX } from '../clients/etcd-access.js';
import { etcdConnect } from '../clients/etcd-transport.js';
import { checkLeaseAccess, KubeApiError, KubeClient, kubeAccessError } from '../clients/kube.js';
import { loadKubeconfig, type KubeConnection } from '../clients/kubeconfig.js';
import { KubeProbe } from '../clients/probe.js';
import { loadTlsFiles, type TlsMaterial } from '../clients/tls.js';
import {
  SshPool,
  type MasterSshOverrides,
  type SshEndpoint,
  type SshEnv,
  type SshSettings,
} from '../ssh/index.js';
import { lookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { installTunnelRoutes } from '../clients/tunnel-routes.js';
import { tunnelFailures, tunnelRoutesOf } from './tunnels.js';
import { errorMessage, KhaError } from '../errors.js';
import { membershipOf } from './etcd-membership.js';
import { peerHostsOf, resolvePeerHosts, type PeerAddresses } from './peers.js';
import type { ClockSample } from './fault/clock-offset.js';
import { masterForHolder } from './targets/index.js';
import type {
  ClusterView,
  EtcdMembership,
  HealthState,
  LeaseState,
  MemberState,
  Remote,
  RemoteResult,
} from './types.js';

export function sshSettingsOf(inventory: Inventory): SshSettings {
  const s = inventory.ssh;
  const out: SshSettings = {
    user: s.user,
    agent: s.agent,
    knownHosts: s.knownHosts,
    strictHostKeyChecking: s.strictHostKeyChecking,
    sudo: s.sudo,
    connectTimeoutMs: parseDurationMs(s.connectTimeout),
    commandTimeoutS: parseDuration(s.commandTimeout),
  };
  if (s.identityFile) out.identityFile = s.identityFile;
  // an SSH config file the inventory names must exist; the default one may be absent
  out.configFile = s.configFile
    ? { path: s.configFile, required: true }
    : { path: '~/.ssh/config', required: false };
  if (s.jumpHost) {
    out.jumpHost = { host: s.jumpHost.host, port: s.jumpHost.port };
    if (s.jumpHost.user) out.jumpHost.user = s.jumpHost.user;
    if (s.jumpHost.identityFile) out.jumpHost.identityFile = s.jumpHost.identityFile;
  }
  return out;
}

export class SshRemote implements Remote {
  private readonly pool: SshPool;
  private readonly uninstallTunnels: (() => void) | undefined;
  constructor(
    private readonly inventory: Inventory,
    senv: SshEnv,
  ) {
    this.pool = new SshPool(sshSettingsOf(inventory), senv);
    // the clients reach tunnelled endpoints over this remote's connections until close()
    const routes = tunnelRoutesOf(inventory, (name, host, port) => this.openChannel(name, host, port));
    this.uninstallTunnels = routes.size ? installTunnelRoutes(routes) : undefined;
  }

  private async openChannel(name: string, host: string, port: number): Promise<Duplex> {
    const m = this.inventory.masters.find((x) => x.name === name);
    if (!m) throw new Error(`no master named ${name}`);
    return (await this.pool.get(this.endpoint(m))).openChannel(host, port);
  }

  tunnelFailures(): Promise<string[]> {
    return tunnelFailures(this.inventory, (name, host, port) => this.openChannel(name, host, port));
  }

  private endpoint(m: Master): SshEndpoint {
    const own: MasterSshOverrides = {};
    if (m.port !== undefined) own.port = m.port;
    if (m.user) own.user = m.user;
    if (m.identityFile) own.identityFile = m.identityFile;
    if (m.proxyCommand) own.proxyCommand = m.proxyCommand;
    if (m.jumpHost) {
      own.jumpHost = { host: m.jumpHost.host, port: m.jumpHost.port };
      if (m.jumpHost.user) own.jumpHost.user = m.jumpHost.user;
      if (m.jumpHost.identityFile) own.jumpHost.identityFile = m.jumpHost.identityFile;
    }
    return { name: m.name, host: m.host, port: m.port ?? this.inventory.ssh.port, own };
  }

  async connect(m: Master): Promise<void> {
    await this.pool.get(this.endpoint(m));
  }

  async exec(m: Master, command: string, options: { timeoutS?: number } = {}): Promise<RemoteResult> {
    const conn = await this.pool.get(this.endpoint(m));
    return conn.exec(command, options);
  }

  async readClock(m: Master, n: number, now: () => number): Promise<ClockSample[]> {
    const conn = await this.pool.get(this.endpoint(m));
    return conn.readClock(n, now);
  }

  close(): Promise<void> {
    this.uninstallTunnels?.();
    return this.pool.closeAll();
  }
}

export class LiveClusterView implements ClusterView {
  private readonly etcdCluster: EtcdCluster;
  private readonly etcdTls: TlsMaterial;
  private readonly etcdConnect: EtcdConnect;
  private readonly kube: KubeClient;
  /** one kept-alive connection per API server URL (steady-state checks repeat) */
  private readonly probes = new Map<string, KubeProbe>();
  readonly conn: KubeConnection;

  constructor(
    private readonly inventory: Inventory,
    env: Record<string, string | undefined>,
    cwd?: string,
  ) {
    this.etcdTls = loadTlsFiles(inventory.etcd.tls);
    this.etcdConnect = etcdConnect(inventory.etcd.transport);
    this.etcdCluster = new EtcdCluster(
      inventory.masters.map((m) => ({ name: m.name, endpoint: m.etcd })),
      this.etcdTls,
      this.etcdConnect,
    );
    const k = inventory.kubernetes;
    this.conn = loadKubeconfig({
      ...(k.kubeconfig ? { file: k.kubeconfig } : {}),
      ...(k.context ? { context: k.context } : {}),
      ...(cwd ? { cwd } : {}),
      env,
    });
    this.kube = new KubeClient(this.conn);
  }

  async etcd(): Promise<MemberState[]> {
    const rows = await this.etcdCluster.statusAll({ timeoutMs: 2000 });
    return rows.map((s) => {
      const m: MemberState = { master: s.name, ok: s.ok };
      if (s.id) m.id = s.id;
      if (s.leader) m.leader = s.leader;
      if (s.term) m.term = s.term;
      if (s.raftIndex) m.raftIndex = s.raftIndex;
      if (s.errors.length) m.error = s.errors.join('; ');
      return m;
    });
  }

  /** etcd's member list (from any member that answers); throws when none does. */
  async etcdMembership(): Promise<EtcdMembership> {
    const [rows, list] = await Promise.all([
      this.etcdCluster.statusAll({ timeoutMs: 2000 }),
      this.etcdCluster.withAnyMember((c) => c.memberList({ timeoutMs: 2000 }), 4000),
    ]);
    return membershipOf(
      rows.map((r) => ({ master: r.name, endpoint: r.endpoint, ok: r.ok, ...(r.id ? { id: r.id } : {}) })),
      list,
      async (m) => {
        for (const url of m.clientURLs) {
          if ((await memberStatus(url, { tls: this.etcdTls, timeoutMs: 2000, connect: this.etcdConnect })).ok)
            return true;
        }
        return false;
      },
    );
  }

  async lease(ref: string): Promise<LeaseState | null> {
    const [ns, name] = ref.split('/') as [string, string];
    let l;
    try {
      l = await this.kube.getLease(ns, name, 3000);
    } catch (err) {
      // a refused credential or missing right is bad input, named as such (E_KUBE_AUTH)
      throw kubeAccessError(err, this.conn, this.conn.server, `Lease ${ref}`);
    }
    if (!l) return null;
    const holder = l.spec?.holderIdentity || null;
    return {
      lease: ref,
      holder,
      master: holder ? (masterForHolder(this.inventory, holder)?.name ?? null) : null,
      transitions: l.spec?.leaseTransitions ?? null,
      renewTime: l.spec?.renewTime ?? null,
      leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? null,
      resourceVersion: l.metadata.resourceVersion,
    };
  }

  private async probe(url: string): Promise<HealthState> {
    let prober = this.probes.get(url);
    if (!prober) this.probes.set(url, (prober = new KubeProbe(url, this.conn.auth)));
    const r = await prober.probe('/readyz', 2000);
    // a refused credential is bad input, not an API server down
    if (r.status === 401)
      throw kubeAccessError(new KubeApiError('Unauthorized', 401), this.conn, url, '/readyz');
    return r.ok ? { ok: true } : { ok: false, error: r.error ?? `HTTP ${r.status}` };
  }

  /** The etcd user's right to the write probe's prefix (E_ETCD_AUTH, exit 3, when refused). */
  checkEtcdWriteAccess(runId: string): Promise<void> {
    return checkEtcdWriteAccess(this.etcdCluster, {
      prefix: PROBE_PREFIX,
      key: `${PROBE_PREFIX}${runId}/preflight`,
      user: etcdUserOf(this.etcdTls.cert),
    });
  }

  /** The etcd user named by the client certificate (its CN), for messages. */
  etcdUser(): string | undefined {
    return etcdUserOf(this.etcdTls.cert);
  }

  checkLeaseAccess(refs: readonly string[]): Promise<void> {
    return checkLeaseAccess(this.conn, this.conn.server, refs, 3000);
  }

  apiserver(m: Master): Promise<HealthState> {
    return this.probe(m.apiserver);
  }

  loadBalancer(): Promise<HealthState> {
    return this.probe(this.inventory.kubernetes.loadBalancer);
  }

  async peers(): Promise<PeerAddresses> {
    const status = await this.etcd();
    let members;
    try {
      members = await this.etcdCluster.withAnyMember((c) => c.memberList({ timeoutMs: 2000 }), 6000);
    } catch (err) {
      throw new KhaError('E_PEERS', `cannot read etcd's member list: ${errorMessage(err)}`);
    }
    return resolvePeerHosts(peerHostsOf(status, members), async (name) =>
      (await lookup(name, { all: true })).map((a) => a.address),
    );
  }

  close(): void {
    this.etcdCluster.close();
    this.kube.close();
    for (const p of this.probes.values()) p.close();
    this.probes.clear();
  }
}
