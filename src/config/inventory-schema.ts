/** The inventory file format: the masters, SSH, etcd, Kubernetes and service settings. */
import { z } from 'zod';
import { API_VERSION, Duration, Host, LeaseRef, Name, Path, Port, Url } from './schema-base.js';

export const JumpHost = z.strictObject({
  host: Host,
  port: Port.default(22),
  user: z.string().min(1).optional(),
  identityFile: Path.optional(),
});

/** How the laptop reaches a master's etcd client port and API server. */
export const Reach = z
  .enum(['direct', 'ssh-tunnel'])
  .describe(
    "direct: connect to the URL; ssh-tunnel: forward the connection over the SSH connection kha-drill holds to that same master (ssh -L), TLS still checked against the URL's host.",
  );

export const Master = z
  .strictObject({
    name: Name.describe('Short name of the master, used in targets (master:<name>) and reports.'),
    host: Host.describe('Address or DNS name kha-drill connects to over SSH.'),
    port: Port.optional().describe(
      'SSH port of this master (default: Port of the SSH config file for host, then ssh.port).',
    ),
    user: z
      .string()
      .min(1)
      .optional()
      .describe('SSH user for this master (default: User of the SSH config file, then ssh.user).'),
    identityFile: Path.optional().describe(
      'Private key for this master (default: IdentityFile of the SSH config file, then ssh.identityFile).',
    ),
    jumpHost: JumpHost.optional().describe(
      'Jump host for this master only (wins over ssh.jumpHost and the SSH config file).',
    ),
    proxyCommand: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Command whose stdin/stdout is the SSH connection to this master, as OpenSSH ProxyCommand (%h %p %r %n %%).',
      ),
    nodeName: z
      .string()
      .min(1)
      .describe('What prefixes Lease holderIdentity for this master (`<nodeName>_<uuid>`).'),
    etcd: Url.describe("This master's etcd client endpoint, e.g. https://10.240.0.70:2379."),
    apiserver: Url.describe("This master's API server URL, e.g. https://10.240.0.70:6443."),
    reach: Reach.optional().describe(
      'How this master’s etcd and API server are reached (default ssh.reach): ssh-tunnel forwards them over the SSH connection to this same master, never through a peer.',
    ),
  })
  .describe('One control-plane machine.');

export const SshSettings = z
  .strictObject({
    user: z.string().min(1).default('root'),
    port: Port.default(22),
    identityFile: Path.optional().describe(
      'Private key file. Its passphrase comes from the agent or a prompt.',
    ),
    agent: z.boolean().default(true).describe('Use the ssh-agent at SSH_AUTH_SOCK when it is set.'),
    knownHosts: Path.default('~/.ssh/known_hosts'),
    strictHostKeyChecking: z
      .boolean()
      .default(true)
      .describe('Refuse hosts whose key is not in knownHosts. Keep this on for production.'),
    sudo: z.boolean().default(false).describe('Prefix commands with `sudo -n` (NOPASSWD sudo).'),
    connectTimeout: Duration.default('10s'),
    commandTimeout: Duration.default('60s').describe('Upper bound on any one remote command.'),
    jumpHost: JumpHost.optional(),
    reach: Reach.default('direct').describe(
      'Default for masters[].reach: ssh-tunnel when only SSH (port 22) reaches the masters from here.',
    ),
    configFile: Path.optional().describe(
      'OpenSSH client config read for each master host (Host aliases, HostName, User, Port, IdentityFile, ProxyJump, ProxyCommand); default ~/.ssh/config when it exists. The inventory wins where both speak.',
    ),
  })
  .describe('How kha-drill reaches the masters.');

export const TlsFiles = z.strictObject({
  ca: Path.optional(),
  cert: Path.optional(),
  key: Path.optional(),
});

export const EtcdSettings = z
  .strictObject({
    tls: TlsFiles.optional().describe(
      'Client TLS for etcd. Unset fields fall back to ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY.',
    ),
    transport: z
      .enum(['gateway', 'grpc'])
      .optional()
      .describe(
        "How kha-drill talks to etcd (default gateway). gateway: etcd's HTTP/JSON gateway (less CPU per call). grpc: needed when etcd auth is enabled and kha-drill authenticates as an etcd user by its client certificate (the gateway refuses those).",
      ),
  })
  .describe('How kha-drill reaches etcd.');

export const LeaseTimings = z
  .strictObject({
    leaseDuration: Duration.optional(),
    renewDeadline: Duration.optional(),
    retryPeriod: Duration.optional(),
  })
  .describe('Timings of the component that holds this Lease; unset ones are the cluster-wide ones.');

export const LeaderElection = z
  .strictObject({
    leaseDuration: Duration.default('15s'),
    renewDeadline: Duration.default('10s'),
    retryPeriod: Duration.default('2s'),
    leases: z
      .record(LeaseRef, LeaseTimings)
      .optional()
      .describe(
        'Per Lease (`<ns>/<name>`, e.g. kube-system/kube-controller-manager), where a component is tuned differently.',
      ),
  })
  .describe(
    "The cluster's leader-election timings as you expect them. kha-drill also reads them from the cluster (the components' --leader-elect-* flags over SSH, each Lease's leaseDurationSeconds), warns in plan and preflight where they differ, and SLO bounds use the observed values per Lease.",
  );

export const KubernetesSettings = z.strictObject({
  kubeconfig: Path.optional().describe(
    'Kubeconfig file. Default: every file of KUBECONFIG merged as kubectl does, then ~/.kube/config, then the in-cluster service account.',
  ),
  context: z.string().min(1).optional().describe('Kubeconfig context (default: its current-context).'),
  loadBalancer: Url.describe('The API load balancer URL the cluster uses, e.g. https://10.240.0.100:6443.'),
  loadBalancerVia: Name.optional().describe(
    'Reach the load balancer through a port forward over the SSH connection to this master (its name); unset: directly. The kubeconfig server, when it is the load balancer, goes the same way.',
  ),
  leaderElection: LeaderElection.default({ leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' }),
});

/** Components kha-drill knows how to stop and start. */
export const ComponentName = z.enum(['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager']);
export type ComponentName = z.infer<typeof ComponentName>;

/**
 * A name systemd, the kubelet's manifest folder and a sane template all accept: no spaces,
 * quotes, `;`, `$`, `/` or newlines, and no leading `-` or `.` (an option, a hidden or parent path).
 */
const UnitName = z
  .string()
  .max(255)
  .regex(
    /^[A-Za-z0-9_@][A-Za-z0-9_@:.-]*$/,
    'a unit or manifest name of letters, digits and @ : . _ - (no spaces, quotes, ; $ / or newlines)',
  );

export const ServiceSettings = z
  .strictObject({
    manager: z
      .enum(['systemd', 'static-pod', 'custom'])
      .describe('systemd units, kubeadm static pods, or your own command templates.'),
    units: z
      .strictObject({
        etcd: UnitName.default('etcd'),
        'kube-apiserver': UnitName.default('kube-apiserver'),
        'kube-scheduler': UnitName.default('kube-scheduler'),
        'kube-controller-manager': UnitName.default('kube-controller-manager'),
      })
      .default({
        etcd: 'etcd',
        'kube-apiserver': 'kube-apiserver',
        'kube-scheduler': 'kube-scheduler',
        'kube-controller-manager': 'kube-controller-manager',
      })
      .describe('Unit (systemd), manifest base name (static-pod) or {service} value (custom) per component.'),
    manifestDir: Path.default('/etc/kubernetes/manifests').describe(
      'static-pod: where the kubelet reads manifests.',
    ),
    stashDir: Path.default('/etc/kubernetes/kha-drill-stash').describe(
      'static-pod: where a stopped component’s manifest is kept until it is restored.',
    ),
    custom: z
      .strictObject({
        start: z.string().min(1),
        stop: z.string().min(1),
        kill: z.string().min(1),
        isActive: z.string().min(1).describe('Exits 0 when the service runs.'),
      })
      .optional()
      .describe('custom: command templates; {service} is replaced by the quoted unit name.'),
  })
  .describe('How control-plane services are managed on the masters.');

export const Inventory = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Inventory'),
    metadata: z.strictObject({ name: Name.describe('Cluster name, shown in reports.') }),
    masters: z.array(Master).min(1),
    // prefault, not default: zod 4's default skips parsing, so the nested defaults would be lost
    ssh: SshSettings.prefault({}),
    etcd: EtcdSettings.default({}),
    kubernetes: KubernetesSettings,
    services: ServiceSettings,
  })
  .describe('A kha-drill inventory: the masters of one cluster and how to reach them.');
export type Inventory = z.infer<typeof Inventory>;
export type Master = z.infer<typeof Master>;
