/**
 * The one source of the kha-drill file formats. The JSON Schemas (`kha-drill schema`,
 * `schema/*.json`) are generated from these; the TypeScript types are inferred from them.
 * Every object is strict: an unknown key is a validation error with a "did you mean".
 */
import { z } from 'zod';
import { MAX_DURATION_TEXT, isTooLong } from '../text/duration.js';

export const API_VERSION = 'kha-drill/v1';

/** `500ms`, `2s`, `1.5s`, `1m`. Parsed with `parseDuration` (text/duration.ts). */
export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m)$/, 'a duration such as 500ms, 2s or 1m')
  .refine((text) => !isTooLong(text), {
    error: (iss) => `duration '${String(iss.input)}' is too long (expected at most ${MAX_DURATION_TEXT})`,
    abort: true,
  })
  .describe(
    `A duration: a number followed by ms, s or m (e.g. 500ms, 2s, 1m), at most ${MAX_DURATION_TEXT}.`,
  );

const Name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a lowercase name of letters, digits and dashes')
  .max(63);

/** `<namespace>/<name>` of a Lease. */
export const LeaseRef = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Lease as <namespace>/<name>')
  .describe('A Lease as <namespace>/<name>, e.g. kube-system/kube-scheduler.');

const Url = z.string().regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'an http:// or https:// URL');
const Path = z.string().min(1).describe('A file path; a leading ~ is the home directory.');
/** A host name or address: no spaces, no shell metacharacters. */
const Host = z.string().regex(/^[A-Za-z0-9._:-]+$/, 'a host name or IP address');
const Port = z.number().int().min(1).max(65535);

// ---------------------------------------------------------------------------------------------
// Inventory
// ---------------------------------------------------------------------------------------------

export const Master = z
  .strictObject({
    name: Name.describe('Short name of the master, used in targets (master:<name>) and reports.'),
    host: Host.describe('Address or DNS name kha-drill connects to over SSH.'),
    port: Port.optional().describe('SSH port of this master (default: ssh.port).'),
    nodeName: z
      .string()
      .min(1)
      .describe('What prefixes Lease holderIdentity for this master (`<nodeName>_<uuid>`).'),
    etcd: Url.describe("This master's etcd client endpoint, e.g. https://10.240.0.70:2379."),
    apiserver: Url.describe("This master's API server URL, e.g. https://10.240.0.70:6443."),
  })
  .describe('One control-plane machine.');

export const JumpHost = z.strictObject({
  host: Host,
  port: Port.default(22),
  user: z.string().min(1).optional(),
  identityFile: Path.optional(),
});

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
  })
  .describe('How kha-drill reaches etcd.');

export const LeaderElection = z
  .strictObject({
    leaseDuration: Duration.default('15s'),
    renewDeadline: Duration.default('10s'),
    retryPeriod: Duration.default('2s'),
  })
  .describe("The cluster's leader-election timings; the drills' default SLO bounds follow them.");

export const KubernetesSettings = z.strictObject({
  kubeconfig: Path.optional().describe('Kubeconfig file (default: KUBECONFIG, then ~/.kube/config).'),
  context: z.string().min(1).optional(),
  loadBalancer: Url.describe('The API load balancer URL the cluster uses, e.g. https://10.240.0.100:6443.'),
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

// ---------------------------------------------------------------------------------------------
// Drill
// ---------------------------------------------------------------------------------------------

/**
 * A symbolic target, resolved at run time: `etcd-leader`, `etcd-follower`, `etcd-follower:all`,
 * `lease-holder:<ns>/<name>`, `lease-standby:<ns>/<name>`, `master:<name>`, `random-master`,
 * `all-masters`, and in restore steps `step:<id>` (the master an inject step resolved to).
 */
export const Target = z
  .string()
  .regex(
    /^(etcd-leader|etcd-follower(:all)?|random-master|all-masters|(lease-holder|lease-standby):[a-z0-9.-]+\/[a-z0-9.-]+|master:[a-z0-9-]+|step:[a-z0-9-]+)$/,
    'a target: etcd-leader, etcd-follower[:all], lease-holder:<ns>/<name>, lease-standby:<ns>/<name>, master:<name>, random-master, all-masters or step:<id>',
  )
  .describe('Who the step acts on, resolved when the step runs.');

const StepBase = {
  id: Name.optional().describe('Names the step so restore steps can target `step:<id>`.'),
  timeout: Duration.optional(),
};

/**
 * The action registry's parameter schemas. Each action's implementation lives in
 * engine/actions/<name>.ts, keyed by the same name. Actions that change the cluster declare
 * their inverse (engine) which is journaled before they run.
 */
export const actionParams = {
  ssh: z.strictObject({
    action: z.literal('ssh'),
    ...StepBase,
    target: Target,
    command: z.string().min(1).describe('Shell command run on the target. Not quoted: you write it.'),
    undo: z.string().min(1).optional().describe('Command that reverses `command`; journaled before it runs.'),
  }),
  stopService: z.strictObject({
    action: z.literal('stopService'),
    ...StepBase,
    target: Target,
    service: ComponentName,
    wait: z
      .boolean()
      .default(true)
      .describe(
        'Wait until the service has stopped (default). false: return once the stop has begun (systemd: `systemctl stop --no-block`), for services whose graceful stop is long, e.g. kube-apiserver draining open watches for up to its --request-timeout (60 s).',
      ),
  }),
  startService: z.strictObject({
    action: z.literal('startService'),
    ...StepBase,
    target: Target,
    service: ComponentName,
  }),
  restartService: z.strictObject({
    action: z.literal('restartService'),
    ...StepBase,
    target: Target,
    service: ComponentName,
  }),
  killService: z.strictObject({
    action: z.literal('killService'),
    ...StepBase,
    target: Target,
    service: ComponentName,
    signal: z.enum(['KILL', 'TERM', 'STOP']).default('KILL'),
  }),
  partition: z.strictObject({
    action: z.literal('partition'),
    ...StepBase,
    target: Target.describe('The master to isolate.'),
    from: z
      .union([z.literal('peers'), z.array(Target).min(1)])
      .default('peers')
      .describe('Whom to cut it off from: every other master (peers) or a list of targets.'),
  }),
  heal: z.strictObject({
    action: z.literal('heal'),
    ...StepBase,
    target: Target,
  }),
  wait: z.strictObject({
    action: z.literal('wait'),
    ...StepBase,
    duration: Duration,
  }),
  waitFor: z.strictObject({
    action: z.literal('waitFor'),
    ...StepBase,
    condition: z.lazy(() => Condition),
  }),
} as const;
export type ActionName = keyof typeof actionParams;
export const ACTION_NAMES = Object.keys(actionParams) as ActionName[];

export const Step = z.discriminatedUnion('action', [
  actionParams.ssh,
  actionParams.stopService,
  actionParams.startService,
  actionParams.restartService,
  actionParams.killService,
  actionParams.partition,
  actionParams.heal,
  actionParams.wait,
  actionParams.waitFor,
]);
export type Step = z.infer<typeof Step>;

/** Conditions: used by steadyState checks, observe.until and waitFor. */
export const conditionParams = {
  leaseHeld: z.strictObject({
    check: z.literal('leaseHeld'),
    lease: LeaseRef,
    description: z.string().optional(),
  }),
  leaseHolderChanged: z.strictObject({
    check: z.literal('leaseHolderChanged'),
    lease: LeaseRef,
    description: z.string().optional(),
  }),
  etcdHealthy: z.strictObject({
    check: z.literal('etcdHealthy'),
    description: z.string().optional(),
  }),
  etcdLeaderChanged: z.strictObject({
    check: z.literal('etcdLeaderChanged'),
    description: z.string().optional(),
  }),
  etcdCaughtUp: z.strictObject({
    check: z.literal('etcdCaughtUp'),
    maxLag: z.number().int().min(0).default(100).describe('Raft index entries behind the leader.'),
    description: z.string().optional(),
  }),
  apiserversReady: z.strictObject({
    check: z.literal('apiserversReady'),
    description: z.string().optional(),
  }),
  loadBalancerReady: z.strictObject({
    check: z.literal('loadBalancerReady'),
    description: z.string().optional(),
  }),
  servicesActive: z.strictObject({
    check: z.literal('servicesActive'),
    services: z.array(ComponentName).min(1).optional(),
    description: z.string().optional(),
  }),
} as const;
export type ConditionName = keyof typeof conditionParams;

export const Condition = z.discriminatedUnion('check', [
  conditionParams.leaseHeld,
  conditionParams.leaseHolderChanged,
  conditionParams.etcdHealthy,
  conditionParams.etcdLeaderChanged,
  conditionParams.etcdCaughtUp,
  conditionParams.apiserversReady,
  conditionParams.loadBalancerReady,
  conditionParams.servicesActive,
]);
export type Condition = z.infer<typeof Condition>;

/**
 * An SLO or abort expression, k6 style: `<metric> <op> <expr>` where expr is arithmetic over
 * numbers and the inventory's timings (`leaseDuration`, `renewDeadline`, `retryPeriod`, in
 * seconds). Parsed and checked against the metric names by slo/.
 */
export const Expression = z
  .string()
  .min(1)
  .describe('e.g. `lease.takeover_s < leaseDuration + 2 * retryPeriod`');

/** The Leases watched (and shown by `status`) when a drill names none: the two HA components'. */
export const DEFAULT_LEASES: string[] = ['kube-system/kube-scheduler', 'kube-system/kube-controller-manager'];

export const Watchers = z
  .strictObject({
    lease: z
      .strictObject({
        leases: z
          .array(LeaseRef)
          .min(1)
          .default([...DEFAULT_LEASES]),
      })
      .optional(),
    raft: z
      .strictObject({
        interval: Duration.default('100ms').describe('status poll period of each member (at least 20ms)'),
        faultInterval: Duration.default('50ms').describe(
          'poll period from each inject step that may move the etcd leader until 0.2 s after a new leader is known (at least 20ms)',
        ),
        faultWindow: Duration.default('10s').describe('longest fast-poll window after an inject step'),
      })
      .optional(),
    apiserver: z
      .strictObject({ interval: Duration.default('100ms'), timeout: Duration.default('1s') })
      .optional(),
    etcdWrite: z
      .strictObject({ interval: Duration.default('100ms'), timeout: Duration.default('1s') })
      .optional(),
  })
  .describe('Watchers to run; a watcher absent here does not run.');

export const Drill = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Drill'),
    metadata: z.strictObject({
      name: Name,
      description: z.string().min(1),
      tags: z.array(z.string().min(1)).default([]),
    }),
    allowQuorumLoss: z
      .boolean()
      .default(false)
      .describe(
        'Allow a plan that takes down an etcd quorum or every instance of a component (needs --yes too).',
      ),
    requires: z
      .array(z.enum(['root']))
      .default([])
      .describe('What the drill needs from the machine it acts on, e.g. root for iptables partitions.'),
    safety: z
      .strictObject({
        switch: z
          .boolean()
          .default(true)
          .describe(
            "Arm a dead-man's switch on the master before each inject step (systemd hosts): the undo runs there by itself unless the run disarms it within switchTtl. false: inject without one.",
          ),
        switchTtl: Duration.optional().describe(
          "How long the dead-man's switch waits before running the undo by itself. Default: observe timeout + settle + 90s (restore budget and margin).",
        ),
      })
      .default({ switch: true })
      .describe('What protects the cluster when the run itself dies.'),
    watchers: Watchers.default({}),
    steadyState: z.array(Condition).default([]),
    inject: z.array(Step).min(1),
    observe: z.strictObject({
      until: Condition.optional().describe('Ends observation early once it holds.'),
      timeout: Duration.describe('Observation ends after this long in any case.'),
      settle: Duration.default('2s').describe('Keep watching this long after `until` holds.'),
    }),
    restore: z
      .array(Step)
      .default([])
      .describe('Extra steps after the automatic undo of every inject step, e.g. waitFor etcdCaughtUp.'),
    slo: z.array(Expression).default([]),
    abort: z.array(Expression).default([]).describe('When one holds while observing: stop and restore now.'),
  })
  .describe('A kha-drill drill: steady state, fault, observation, restore and SLO bounds.');
export type Drill = z.infer<typeof Drill>;

// ---------------------------------------------------------------------------------------------
// Suite (game-days: several drills, repeated, with statistics and aggregate SLOs)
// ---------------------------------------------------------------------------------------------

export const SuiteDrill = z
  .strictObject({
    drill: z
      .string()
      .min(1)
      .describe('A drill name (./drills, then built-in) or a path relative to the suite file.'),
    iterations: z.number().int().min(1).max(1000).default(1).describe('How many times to run it.'),
    slo: z
      .array(Expression)
      .default([])
      .describe(
        'Extra SLOs, or replacements of the drill’s SLOs on the same subject. Aggregates such as ' +
          '`p(95)(lease.takeover_s) < 18` are judged across the iterations; plain ones per iteration.',
      ),
    cooldown: Duration.optional().describe('Pause after each of its iterations (default: the suite’s).'),
  })
  .describe('One drill of a suite.');
export type SuiteDrill = z.infer<typeof SuiteDrill>;

export const Suite = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Suite'),
    metadata: z.strictObject({
      name: Name,
      description: z.string().min(1),
    }),
    drills: z.array(SuiteDrill).min(1),
    cooldown: Duration.default('30s').describe(
      'Pause between runs, after the cluster is back in steady state.',
    ),
    stopOnFail: z
      .boolean()
      .default(false)
      .describe('Stop after the first iteration that does not pass (default: run them all).'),
  })
  .describe('A kha-drill suite: a game-day of drills, each repeated, with statistics per metric.');
export type Suite = z.infer<typeof Suite>;
