/**
 * Guardrails, checked on the plan before anything is touched: no drill may take down a quorum
 * of etcd members (counting those already down; the count comes from etcd's own member list
 * where it could be read, so a member the inventory does not list still counts) or every instance of a component unless the
 * drill says `allowQuorumLoss: true` AND the user passes `--yes`.
 *
 * The plan is simulated step by step: stop/kill mark a component down on a master,
 * start marks it up, partition isolates a master (its etcd member is lost to the quorum and
 * its components are cut off), heal ends that. Raw `ssh` commands are opaque and not counted.
 */
import type { ComponentName, Drill } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { ALL_COMPONENTS } from './conditions.js';
import type { Effect } from './types.js';

export interface GuardrailInput {
  masters: string[];
  /** effects of the inject steps, in order */
  effects: Effect[][];
  /** etcd members not answering before the drill (master names, or labels for unlisted members) */
  etcdAlreadyDown: string[];
  /** voting members in etcd's member list; without it, one member per master is assumed */
  etcdVoters?: number;
}

export interface Violation {
  step: number;
  message: string;
}

export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

export function checkGuardrails(input: GuardrailInput): Violation[] {
  const n = input.masters.length;
  const down = new Map<ComponentName, Set<string>>(ALL_COMPONENTS.map((c) => [c, new Set<string>()]));
  const isolated = new Set<string>();
  for (const m of input.etcdAlreadyDown) down.get('etcd')?.add(m);
  const voters = input.etcdVoters ?? n;
  const violations: Violation[] = [];
  const reported = new Set<string>();
  input.effects.forEach((effects, step) => {
    for (const e of effects) {
      if (e.kind === 'down') down.get(e.component)?.add(e.master);
      else if (e.kind === 'up') down.get(e.component)?.delete(e.master);
      else if (e.kind === 'isolate') isolated.add(e.master);
      else isolated.delete(e.master);
    }
    const lostEtcd = new Set([...(down.get('etcd') ?? []), ...isolated]);
    const alive = voters - lostEtcd.size;
    if (alive < quorumOf(voters) && !reported.has('etcd-quorum')) {
      reported.add('etcd-quorum');
      const already = input.etcdAlreadyDown.length
        ? ` (${input.etcdAlreadyDown.join(', ')} already down)`
        : '';
      violations.push({
        step,
        message: `takes down ${lostEtcd.size} of ${voters} etcd members (${[...lostEtcd].sort().join(', ')})${already}: etcd loses quorum (needs ${quorumOf(voters)})`,
      });
    }
    for (const c of ALL_COMPONENTS) {
      const gone = new Set([...(down.get(c) ?? []), ...isolated]);
      // etcd's instances are its voters (a member the inventory does not list is one too)
      const instances = c === 'etcd' ? voters : n;
      if (gone.size >= instances && instances > 0 && !reported.has(c) && (down.get(c)?.size ?? 0) > 0) {
        reported.add(c);
        violations.push({ step, message: `takes down every ${c} (${[...gone].sort().join(', ')})` });
      }
    }
  });
  return violations;
}

/** Throws (exit 2) unless the plan is safe, or the drill allows quorum loss and --yes was given. */
export function enforceGuardrails(drill: Drill, violations: Violation[], yes: boolean): void {
  if (violations.length === 0) return;
  const list = violations.map((v) => `  - inject step ${v.step + 1} ${v.message}`).join('\n');
  if (drill.allowQuorumLoss && yes) return;
  const need = drill.allowQuorumLoss
    ? 'the drill allows it (allowQuorumLoss: true) but --yes was not given'
    : 'the drill does not say allowQuorumLoss: true (and --yes is needed as well)';
  throw new UsageError(
    `refusing drill ${drill.metadata.name}: the plan would break the control plane:\n${list}\n${need}; nothing was touched`,
    {
      hint: 'such a drill needs allowQuorumLoss: true in the drill AND --yes on the command line',
    },
  );
}
