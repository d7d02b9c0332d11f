/**
 * The one source of the kha-drill file formats. The JSON Schemas (`kha-drill schema`,
 * `schema/*.json`) are generated from these; the TypeScript types are inferred from them.
 * Every object is strict: an unknown key is a validation error with a "did you mean".
 * The building blocks are in schema-base.ts, the inventory in inventory-schema.ts, the steps and
 * conditions in steps-schema.ts; this file has the drill and the suite and re-exports the rest.
 */
import { z } from 'zod';
import { API_VERSION, Duration, LeaseRef, Name } from './schema-base.js';
import { Condition, Step } from './steps-schema.js';

export { API_VERSION, Duration, LeaseRef } from './schema-base.js';
export * from './inventory-schema.js';
export * from './steps-schema.js';

// ---------------------------------------------------------------------------------------------
// Drill
// ---------------------------------------------------------------------------------------------

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
        faultInterval: Duration.default('20ms').describe(
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
          "How long the dead-man's switch waits before running the undo by itself. Default: observe timeout + settle + the restore budget (restore.backoff waits + 45s) + 30s margin.",
        ),
        restore: z
          .strictObject({
            tries: z
              .number()
              .int()
              .min(1)
              .max(20)
              .default(5)
              .describe('How many times each undo is tried (run, then verified) before restore gives up.'),
            backoff: Duration.default('1s').describe(
              'Wait before the second try; it doubles before each further try (1s, 2s, 4s, …).',
            ),
          })
          .optional()
          .describe('The restore budget: tries and backoff of each undo. Default: 5 tries, 1s doubling.'),
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
