/**
 * Conditions (steadyState, observe.until, waitFor), evaluated against live state and, where the
 * watchers saw it first, the timeline. Read-only.
 */
import { errorMessage } from '../errors.js';
import type { ComponentName, Condition, Inventory } from '../config/schema.js';
import { masterOfHolder, sameMachine } from '../kube/lease.js';
import type { TimelineEvent } from '../timeline/events.js';
import { toRunClock } from './fault/clock-offset.js';
import { etcdLeader, TargetError } from './targets/index.js';
import { activeComponents, serviceCommands } from './services.js';
import type { ClusterView, LeaseState, Remote } from './types.js';

export const ALL_COMPONENTS: ComponentName[] = [
  'etcd',
  'kube-apiserver',
  'kube-scheduler',
  'kube-controller-manager',
];

export function describeCondition(c: Condition): string {
  if (c.description) return c.description;
  switch (c.check) {
    case 'leaseHeld':
      return `Lease ${c.lease} held and renewing`;
    case 'leaseHolderChanged':
      return `a new holder of Lease ${c.lease}`;
    case 'etcdHealthy':
      return 'every etcd member healthy with one leader';
    case 'etcdLeaderChanged':
      return 'a new etcd leader';
    case 'etcdCaughtUp':
      return `every etcd member within ${c.maxLag} entries of the leader`;
    case 'apiserversReady':
      return 'every API server ready';
    case 'loadBalancerReady':
      return 'the load balancer ready';
    case 'servicesActive':
      return `${(c.services ?? ALL_COMPONENTS).join(', ')} active on every master`;
  }
}

/** What was true before the fault, for the "changed" conditions. */
export interface Baseline {
  /** Lease → holder identity before inject */
  leases: Map<string, string | null>;
  etcdLeader?: string;
  etcdTerm?: string;
}

export interface ConditionDeps {
  inventory: Inventory;
  view: ClusterView;
  remote: Remote;
  baseline: Baseline;
  /** the timeline so far, when watchers run */
  events?: () => readonly TimelineEvent[];
  sleep: (ms: number) => Promise<void>;
  /** seconds on the run clock */
  now: () => number;
  /** the retry period (s) the holders of a Lease run with, where known (observed or declared) */
  retryPeriodS?: (lease: string) => number | undefined;
}

export interface ConditionResult {
  ok: boolean;
  detail: string;
}

/**
 * How long ago (s) the holder renewed the Lease: its renewTime, stamped by the holder's clock,
 * mapped to the run clock by the latest offset measured for that master, with that offset's ±.
 * Null without a renewTime, a known master or an offset for it.
 */
export function renewedAgo(
  l: LeaseState,
  d: Pick<ConditionDeps, 'events' | 'now'>,
): { s: number; errS: number } | null {
  if (!l.renewTime || !l.master) return null;
  const at = Date.parse(l.renewTime);
  if (Number.isNaN(at)) return null;
  let offset: { offsetS: number; errS: number } | null = null;
  for (const e of d.events?.() ?? []) if (e.kind === 'clock' && e.master === l.master) offset = e;
  if (!offset) return null;
  return { s: d.now() - toRunClock(at / 1000, offset), errS: offset.errS };
}

/** Slack on top of one retry period for a renewal to count as current (the renew's own request). */
const RENEW_SLACK_S = 1;

async function leaseHeld(ref: string, d: ConditionDeps): Promise<ConditionResult> {
  const first = await d.view.lease(ref);
  if (!first) return { ok: false, detail: `Lease ${ref} does not exist` };
  if (!first.holder) return { ok: false, detail: `Lease ${ref} has no holder` };
  const by = `${first.holder}${first.master ? ` (${first.master})` : ''}`;
  // Held means renewing. A holder renews every retryPeriod: a renewTime younger than that (by
  // its master's clock, whose offset preflight measured) shows it renewing now, without waiting.
  const retry = d.retryPeriodS?.(ref);
  const ago = renewedAgo(first, d);
  if (retry !== undefined && ago && Math.abs(ago.s) <= retry + RENEW_SLACK_S + ago.errS) {
    return {
      ok: true,
      detail: `Lease ${ref} held by ${by}, renewing (renewed ${Math.max(0, ago.s).toFixed(1)} s ago)`,
    };
  }
  // Otherwise wait (at most one lease duration) to see the holder renew it; a 100 ms poll sees
  // it soon after its next try.
  const bound = (first.leaseDurationSeconds ?? 15) + 1;
  const start = d.now();
  while (d.now() - start < bound) {
    await d.sleep(100);
    const next = await d.view.lease(ref);
    if (!next?.holder) return { ok: false, detail: `Lease ${ref} was released` };
    if (next.holder !== first.holder) return { ok: true, detail: `Lease ${ref} moved to ${next.holder}` };
    if (next.renewTime !== first.renewTime) {
      return { ok: true, detail: `Lease ${ref} held by ${by}, renewing` };
    }
  }
  return { ok: false, detail: `Lease ${ref} held by ${first.holder} but not renewed for ${bound} s` };
}

/**
 * How a holder compares with the pre-drill one: `other` is a takeover (another master, or no
 * holder before), `same-master` a new identity on the same master (the component restarted there
 * and won its own Lease back), `same` the same identity.
 */
export function holderMove(
  before: string | null,
  holder: string,
  masters: Inventory['masters'],
): 'other' | 'same-master' | 'same' {
  if (holder === before) return 'same';
  if (!before) return 'other';
  const at = (h: string) => ({ holder: h, master: masterOfHolder(h, masters) });
  return sameMachine(at(before), at(holder)) ? 'same-master' : 'other';
}

/** The first holder on another master the watchers saw, and any same-master reacquire before it. */
function watchedHolderChange(
  ref: string,
  before: string | null,
  d: ConditionDeps,
): { moved: string | null; reacquired: string | null } {
  let reacquired: string | null = null;
  for (const e of d.events?.() ?? []) {
    if (e.kind !== 'lease' || e.lease !== ref || !e.holder) continue;
    const move = holderMove(before, e.holder, d.inventory.masters);
    if (move === 'other') return { moved: e.holder, reacquired };
    if (move === 'same-master') reacquired ??= e.holder;
  }
  return { moved: null, reacquired };
}

export async function checkCondition(c: Condition, d: ConditionDeps): Promise<ConditionResult> {
  try {
    switch (c.check) {
      case 'leaseHeld':
        return await leaseHeld(c.lease, d);
      case 'leaseHolderChanged': {
        const before = d.baseline.leases.get(c.lease) ?? null;
        const seen = watchedHolderChange(c.lease, before, d);
        if (seen.moved)
          return { ok: true, detail: `Lease ${c.lease}: ${before ?? 'nobody'} → ${seen.moved}` };
        const now = await d.view.lease(c.lease);
        const move = now?.holder ? holderMove(before, now.holder, d.inventory.masters) : null;
        if (now?.holder && move === 'other') {
          return { ok: true, detail: `Lease ${c.lease}: ${before ?? 'nobody'} → ${now.holder}` };
        }
        const again = seen.reacquired ?? (move === 'same-master' ? now!.holder : null);
        if (again) {
          return {
            ok: false,
            detail: `Lease ${c.lease} reacquired on the same master by ${again} (a restart, not a takeover); now held by ${now?.holder || 'nobody'}`,
          };
        }
        return { ok: false, detail: `Lease ${c.lease} still held by ${now?.holder || 'nobody'}` };
      }
      case 'etcdHealthy': {
        const members = await d.view.etcd();
        const bad = members.filter((m) => !m.ok || m.error);
        if (bad.length)
          return {
            ok: false,
            detail: `etcd: ${bad.map((m) => `${m.master}: ${m.error ?? 'not answering'}`).join('; ')}`,
          };
        const leaders = new Set(members.map((m) => m.leader));
        if (leaders.size !== 1 || leaders.has(undefined)) {
          return { ok: false, detail: `etcd members disagree on the leader: ${[...leaders].join(', ')}` };
        }
        const { leader } = etcdLeader(members);
        return { ok: true, detail: `etcd: ${members.length} members healthy, leader ${leader.master}` };
      }
      case 'etcdLeaderChanged': {
        const { leader, term } = etcdLeader(await d.view.etcd());
        const changed =
          leader.id !== d.baseline.etcdLeader ||
          (term !== undefined &&
            d.baseline.etcdTerm !== undefined &&
            BigInt(term) > BigInt(d.baseline.etcdTerm));
        return changed
          ? { ok: true, detail: `etcd leader now ${leader.master} at term ${term}` }
          : { ok: false, detail: `etcd leader still ${leader.master} at term ${term}` };
      }
      case 'etcdCaughtUp': {
        const members = await d.view.etcd();
        const { leader } = etcdLeader(members);
        const top = BigInt(leader.raftIndex ?? '0');
        // a member that knows no leader (an isolated one just healed) has not caught up, however
        // close its index is: it has not heard from the leader yet
        const behind = members.filter(
          (m) => !m.ok || m.leader !== leader.id || top - BigInt(m.raftIndex ?? '0') > BigInt(c.maxLag),
        );
        const state = (m: (typeof members)[number]) =>
          !m.ok
            ? 'down'
            : m.leader !== leader.id
              ? `${m.raftIndex ?? '?'} (${m.error ?? 'no leader'})`
              : m.raftIndex;
        return behind.length
          ? {
              ok: false,
              detail: `behind the leader: ${behind.map((m) => `${m.master} ${state(m)}`).join(', ')}`,
            }
          : { ok: true, detail: `every member within ${c.maxLag} of index ${top}` };
      }
      case 'apiserversReady': {
        const rows = await Promise.all(
          d.inventory.masters.map(async (m) => ({ m, h: await d.view.apiserver(m) })),
        );
        const bad = rows.filter((r) => !r.h.ok);
        return bad.length
          ? {
              ok: false,
              detail: `API server not ready: ${bad.map((r) => `${r.m.name} (${r.h.error ?? 'not ready'})`).join(', ')}`,
            }
          : { ok: true, detail: `${rows.length} API servers ready` };
      }
      case 'loadBalancerReady': {
        const h = await d.view.loadBalancer();
        return h.ok
          ? { ok: true, detail: 'load balancer ready' }
          : { ok: false, detail: `load balancer: ${h.error ?? 'not ready'}` };
      }
      case 'servicesActive': {
        const s = serviceCommands(d.inventory.services);
        const services = c.services ?? ALL_COMPONENTS;
        const perMaster = await Promise.all(
          d.inventory.masters.map(async (m) => {
            const states = await activeComponents(
              s,
              (command) => d.remote.exec(m, command, { timeoutS: 15 }),
              services,
            );
            return [...states]
              .filter(([, active]) => active !== true)
              .map(([svc, active]) => `${svc} on ${m.name}${active === undefined ? ' (no answer)' : ''}`);
          }),
        );
        const down = perMaster.flat();
        return down.length
          ? { ok: false, detail: `not active: ${down.join(', ')}` }
          : { ok: true, detail: 'all services active' };
      }
    }
  } catch (err) {
    if (err instanceof TargetError) return { ok: false, detail: err.message };
    return { ok: false, detail: errorMessage(err) };
  }
}

/**
 * Polls a condition until it holds or `timeoutS` passes. `onWait` is told what is awaited
 * and the elapsed time; `stopped` ends the wait early (abort, interrupt).
 */
export async function waitForCondition(
  c: Condition,
  d: ConditionDeps,
  options: {
    timeoutS: number;
    intervalMs?: number;
    onWait?: (what: string, elapsedS: number, boundS: number, detail: string) => void;
    stopped?: () => string | null;
  },
): Promise<ConditionResult & { elapsedS: number; stoppedBy?: string }> {
  const start = d.now();
  const what = describeCondition(c);
  let last: ConditionResult = { ok: false, detail: 'not checked yet' };
  for (;;) {
    const stop = options.stopped?.();
    if (stop) return { ...last, ok: false, elapsedS: d.now() - start, stoppedBy: stop };
    last = await checkCondition(c, d);
    const elapsedS = d.now() - start;
    if (last.ok) return { ...last, elapsedS };
    options.onWait?.(what, elapsedS, options.timeoutS, last.detail);
    if (elapsedS >= options.timeoutS) return { ...last, elapsedS };
    await d.sleep(options.intervalMs ?? 250);
  }
}
