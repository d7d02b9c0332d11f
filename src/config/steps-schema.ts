/** The drill's steps (the action registry's parameters) and conditions, and the targets they act on. */
import { z } from 'zod';
import { ComponentName } from './inventory-schema.js';
import { Duration, LeaseRef, Name } from './schema-base.js';

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
    keepDown: z
      .boolean()
      .default(false)
      .describe(
        'Keep it down until restore, as on a dead machine: nothing restarts it (systemd: a runtime drop-in sets Restart=no before the kill; static-pod and custom: the kill is followed by a stop). The undo puts the unit back as found and starts it. Not with signal STOP.',
      ),
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
