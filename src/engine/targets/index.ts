/**
 * Symbolic targets, resolved against live state when a step runs (and read-only by `plan`).
 * A registry of small resolvers, matched in order; each names what it could not resolve.
 */
import type { Inventory, Master } from '../../config/schema.js';
import { KhaError } from '../../errors.js';
import type { ClusterView, MemberState } from '../types.js';
import type { PeerAddresses } from '../peers.js';

export class TargetError extends KhaError {
  constructor(message: string, hint?: string) {
    super('E_TARGET', message, hint ? { hint } : {});
    this.name = 'TargetError';
  }
}

export interface TargetContext {
  inventory: Inventory;
  view: ClusterView;
  /** masters each inject step (by id) resolved to, for `step:<id>` */
  stepTargets: ReadonlyMap<string, readonly string[]>;
  /** 0 ≤ x < 1, for random-master */
  random: () => number;
  /** the peer addresses, read once per plan or run (memoized), for partition and heal */
  peers?: () => Promise<PeerAddresses | undefined>;
}

export interface Resolution {
  masters: Master[];
  /** how it was resolved, e.g. "etcd leader 8e9e05c52164694d at term 4" */
  reason: string;
}

interface TargetResolver {
  pattern: RegExp;
  resolve(match: RegExpExecArray, ctx: TargetContext): Promise<Resolution>;
}

function byName(ctx: TargetContext, name: string, what: string): Master {
  const m = ctx.inventory.masters.find((x) => x.name === name);
  if (!m) {
    throw new TargetError(
      `${what}: no master named '${name}' in the inventory (masters: ${ctx.inventory.masters.map((x) => x.name).join(', ')})`,
    );
  }
  return m;
}

/** The leader that a majority of the answering members agree on, with its member row. */
export function etcdLeader(members: MemberState[]): { leader: MemberState; term: string | undefined } {
  const answering = members.filter((m) => m.ok);
  const down = members.filter((m) => !m.ok).map((m) => m.master);
  const votes = new Map<string, number>();
  for (const m of answering) if (m.leader) votes.set(m.leader, (votes.get(m.leader) ?? 0) + 1);
  const [best] = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  const unreachable = down.length ? ` (not answering: ${down.join(', ')})` : '';
  if (!best) throw new TargetError(`no etcd leader: no answering member reports one${unreachable}`);
  const quorum = Math.floor(members.length / 2) + 1;
  if (best[1] < quorum) {
    throw new TargetError(
      `no etcd leader agreed by a quorum: ${best[1]} of ${members.length} members report ${best[0]}${unreachable}`,
    );
  }
  const leader = answering.find((m) => m.id === best[0]);
  if (!leader) {
    throw new TargetError(`etcd leader ${best[0]} is not an answering member of the inventory${unreachable}`);
  }
  return { leader, term: leader.term };
}

/** The master whose nodeName prefixes a Lease holderIdentity (`<nodeName>_<uuid>`). */
export function masterForHolder(inventory: Inventory, holder: string): Master | undefined {
  return inventory.masters.find((m) => holder.startsWith(`${m.nodeName}_`));
}

async function leaseHolder(ref: string, ctx: TargetContext): Promise<Master> {
  const lease = await ctx.view.lease(ref);
  if (!lease) throw new TargetError(`Lease ${ref} does not exist`);
  if (!lease.holder) throw new TargetError(`Lease ${ref} has no holder`);
  const m = masterForHolder(ctx.inventory, lease.holder);
  if (!m) {
    throw new TargetError(
      `Lease ${ref} is held by '${lease.holder}', which matches no master's nodeName`,
      'set masters[].nodeName to what prefixes the holderIdentity (`<nodeName>_<uuid>`)',
    );
  }
  return m;
}

const RESOLVERS: TargetResolver[] = [
  {
    pattern: /^etcd-leader$/,
    async resolve(_m, ctx) {
      const { leader, term } = etcdLeader(await ctx.view.etcd());
      return {
        masters: [byName(ctx, leader.master, 'etcd-leader')],
        reason: `etcd leader ${leader.id} at term ${term ?? '?'}`,
      };
    },
  },
  {
    pattern: /^etcd-follower(:all)?$/,
    async resolve(match, ctx) {
      const members = await ctx.view.etcd();
      const { leader } = etcdLeader(members);
      const followers = members.filter((m) => m.ok && m.master !== leader.master);
      if (followers.length === 0)
        throw new TargetError(`no answering etcd follower (leader is ${leader.master})`);
      const chosen = match[1] ? followers : followers.slice(0, 1);
      return {
        masters: chosen.map((f) => byName(ctx, f.master, 'etcd-follower')),
        reason: `etcd follower${chosen.length > 1 ? 's' : ''} of leader ${leader.master}`,
      };
    },
  },
  {
    pattern: /^lease-holder:(.+)$/,
    async resolve(match, ctx) {
      const ref = match[1] as string;
      return { masters: [await leaseHolder(ref, ctx)], reason: `holder of Lease ${ref}` };
    },
  },
  {
    pattern: /^lease-standby:(.+)$/,
    async resolve(match, ctx) {
      const ref = match[1] as string;
      const holder = await leaseHolder(ref, ctx);
      const standby = ctx.inventory.masters.find((m) => m.name !== holder.name);
      if (!standby)
        throw new TargetError(`no standby for Lease ${ref}: only ${holder.name} is in the inventory`);
      return { masters: [standby], reason: `a standby of Lease ${ref} (holder is ${holder.name})` };
    },
  },
  {
    pattern: /^master:(.+)$/,
    async resolve(match, ctx) {
      return { masters: [byName(ctx, match[1] as string, 'master target')], reason: 'named' };
    },
  },
  {
    pattern: /^random-master$/,
    async resolve(_m, ctx) {
      const all = ctx.inventory.masters;
      const m = all[Math.min(all.length - 1, Math.floor(ctx.random() * all.length))] as Master;
      return { masters: [m], reason: 'picked at random' };
    },
  },
  {
    pattern: /^all-masters$/,
    async resolve(_m, ctx) {
      return { masters: [...ctx.inventory.masters], reason: 'every master' };
    },
  },
  {
    pattern: /^step:(.+)$/,
    async resolve(match, ctx) {
      const id = match[1] as string;
      const names = ctx.stepTargets.get(id);
      if (!names) throw new TargetError(`step:${id}: no inject step with id '${id}' has run`);
      return { masters: names.map((n) => byName(ctx, n, `step:${id}`)), reason: `the target of step ${id}` };
    },
  },
];

/** Resolves a symbolic target against live state; read-only. */
export async function resolveTarget(spec: string, ctx: TargetContext): Promise<Resolution> {
  for (const r of RESOLVERS) {
    const match = r.pattern.exec(spec);
    if (match) return r.resolve(match, ctx);
  }
  throw new TargetError(`unknown target '${spec}'`);
}

/** Is this target re-resolved against live state (so it may move between plan and run)? */
export function isDynamicTarget(spec: string): boolean {
  return /^(etcd-leader|etcd-follower|lease-holder:|lease-standby:|random-master)/.test(spec);
}
