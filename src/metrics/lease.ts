/**
 * Lease metrics (DESIGN §4), one result per watched Lease (`{lease=<ns>/<name>}`), plus an
 * unlabelled copy for the Lease the drill acts on.
 */
import { isSilentWatch } from '../timeline/blind-reasons.js';
import type { LeaseEvent } from '../timeline/events.js';
import { sameMachine } from '../kube/lease.js';
import { microDiff, parseMicroTime } from '../kube/microtime.js';
import type { MetricOptions } from './options.js';
import type { MetricResult } from './types.js';
import {
  blindDuring,
  describeBlind,
  fmt,
  fromFault,
  labelled,
  measured,
  unknown,
  type RunView,
  viewFor,
} from './view.js';

/** How late a watch event can arrive after the write it reports, on a working watch. */
export const WATCH_GRANULARITY_S = 0.01;
/** Events missed while blind arrive within this long of the watch reopening (the replay). */
export const REPLAY_SLACK_S = 0.1;

const leaseEventsOf = (view: RunView, lease: string): LeaseEvent[] =>
  view.events.filter((e): e is LeaseEvent => e.kind === 'lease' && e.lease === lease);

/** Every Lease that appears in lease events or lease blind windows, in order of appearance. */
export function watchedLeases(view: RunView): string[] {
  const out = new Set<string>();
  for (const e of view.events) {
    if (e.kind === 'lease') out.add(e.lease);
    if (e.kind === 'blind' && e.watcher === 'lease') out.add(e.subject);
  }
  return [...out];
}

interface Takeover {
  pre: LeaseEvent;
  next: LeaseEvent;
}

type Found<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The last record before the inject step started: the pre-drill holder. */
function holderBefore(view: RunView, events: LeaseEvent[]): Found<LeaseEvent> {
  if (view.tInject === null || view.tInjectStart === null)
    return { ok: false, reason: 'no inject step succeeded (no t_inject)' };
  const tStart = view.tInjectStart;
  const pre = events.filter((e) => e.t <= tStart).pop();
  if (!pre) return { ok: false, reason: `no Lease record seen before the inject step (${fmt(tStart)} s)` };
  if (!pre.holder) return { ok: false, reason: 'the Lease had no holder before the inject step' };
  return { ok: true, value: pre };
}

function findTakeover(view: RunView, events: LeaseEvent[]): Found<Takeover> {
  const pre = holderBefore(view, events);
  if (!pre.ok) return pre;
  // A takeover is a holder on another master: a restart on the same one is not (reacquired()).
  const next = events.find((e) => e.seq > pre.value.seq && !!e.holder && !sameMachine(pre.value, e));
  if (!next) {
    const again = reacquired(pre.value, events, null);
    return {
      ok: false,
      reason:
        again.length > 0
          ? `no holder on another master after the inject step: ${describeReacquire(view, pre.value, again)}`
          : `no new holder seen after the inject step (held by ${pre.value.holder} until the end, ${fmt(view.drill.end)} s)`,
    };
  }
  return { ok: true, value: { pre: pre.value, next } };
}

/** The Lease the drill acts on: given, the only one, or the one whose holder the inject hit and that moved. */
export function primaryLease(view: RunView, options: MetricOptions): string | null {
  if (options.primaryLease) return options.primaryLease;
  const leases = watchedLeases(view);
  if (leases.length === 1) return leases[0]!;
  const hit = leases.filter((l) => {
    const pre = holderBefore(view, leaseEventsOf(view, l));
    return pre.ok && pre.value.master !== null && view.injectTargets.includes(pre.value.master);
  });
  if (hit.length === 1) return hit[0]!;
  return hit.find((l) => findTakeover(view, leaseEventsOf(view, l)).ok) ?? null;
}

type PerLease = (view: RunView, lease: string, events: LeaseEvent[], name: string) => MetricResult;

/** Runs a per-Lease metric for every Lease, labelled, plus the unlabelled primary. */
function perLease(metric: string, fn: PerLease) {
  return (view: RunView, options: MetricOptions): MetricResult[] => {
    const leases = watchedLeases(view);
    if (leases.length === 0) return [unknown(metric, unitOf(metric), 'no Lease was watched')];
    const out: MetricResult[] = [];
    const primary = primaryLease(view, options);
    // each Lease's durations start at the fault of the step that hit its component
    const forLease = (lease: string) => viewFor(view, lease.split('/').pop() ?? lease);
    if (primary !== null) out.push(fn(forLease(primary), primary, leaseEventsOf(view, primary), metric));
    for (const lease of leases)
      out.push(fn(forLease(lease), lease, leaseEventsOf(view, lease), labelled(metric, { lease })));
    return out;
  };
}

function unitOf(metric: string): MetricResult['unit'] {
  return metric.endsWith('_s') ? 's' : 'count';
}

export const takeover: PerLease = (view, lease, events, name) => {
  const found = findTakeover(view, events);
  if (!found.ok) return unknown(name, 's', found.reason);
  const { pre, next } = found.value;
  const start = fromFault(view, next.t);
  const previous = events.filter((e) => e.seq < next.seq).pop()!;
  // A blind window matters when the change may have happened in it: the event came with the
  // replay that follows a reopened watch (or the re-list), not live later on.
  const blind = blindDuring(view, 'lease', [lease], previous.t, next.t).filter(
    (b) => next.t - b.end <= REPLAY_SLACK_S,
  );
  const newHolder = `${next.holder}${next.master ? ` (${next.master})` : ''}`;
  const early =
    view.tInject !== null && next.t < view.tInject ? '; it appeared before the inject command returned' : '';
  if (blind.length === 0) {
    // The takeover happened when the new holder's write took effect: after its acquireTime (stamped
    // before the PUT, on its master's clock, mapped) and before the watch delivered it. Through a
    // busy API server and load balancer the delivery lagged the write by 100–430 ms on a loaded
    // lab while the PUT took 3–11 ms, so acquireTime is the estimate and the event the upper bound.
    const acq = acquiredOnRunClock(view, next);
    if (acq !== null && acq.t <= next.t && acq.t >= previous.t - acq.err) {
      const from = fromFault(view, acq.t);
      const hi = next.t + WATCH_GRANULARITY_S;
      return measured(
        name,
        's',
        Math.max(0, acq.t - from.from),
        Math.max(hi - acq.t, acq.err) + acq.err + from.err,
        {
          at: acq.t,
          note: `${pre.holder} → ${newHolder}${early}; its acquireTime at ${fmt(acq.t)} s (its master's clock mapped), the watch showed it ${fmt(next.t - acq.t)} s later; ${from.note}`,
        },
      );
    }
    return measured(name, 's', next.t - start.from, WATCH_GRANULARITY_S + start.err, {
      at: next.t,
      note: `${pre.holder} → ${newHolder}${early}; ${start.note}`,
    });
  }
  // Somewhere in the blind window; a silent watch may have been dead since its last event.
  const starts = blind.map((b) => (isSilentWatch(b.reason) ? previous.t : b.start));
  const earliest = Math.min(next.t, Math.max(start.from, Math.min(...starts)));
  let note = `${pre.holder} → ${newHolder}; watch was blind ${describeBlind(blind)}, so the new holder appeared between ${fmt(earliest - start.from)} and ${fmt(next.t - start.from)} s after the fault; ${start.note}`;
  const acquired = acquiredOnRunClock(view, next) ?? acquiredByWallTime(view, next);
  if (acquired !== null) note += `; its acquireTime says ${fmt(acquired.t - start.from)} s`;
  return measured(name, 's', next.t - start.from, next.t - earliest + WATCH_GRANULARITY_S + start.err, {
    at: next.t,
    note,
  });
};

/**
 * A Lease record's acquireTime on the run clock: written by the new holder, on its master's
 * clock, mapped with that master's measured offset (± its error); null without one.
 */
export function acquiredOnRunClock(view: RunView, e: LeaseEvent): { t: number; err: number } | null {
  const acq = parseMicroTime(e.acquireTime);
  if (!acq || e.master === null) return null;
  const clock = view.clocks.get(e.master);
  if (!clock) return null;
  return { t: acq.seconds + acq.micros / 1e6 - clock.offsetS, err: clock.errS + 1e-6 };
}

/** acquireTime through the run header's wall time (timelines without clock offsets): notes only. */
function acquiredByWallTime(view: RunView, e: LeaseEvent): { t: number; err: number } | null {
  const acq = parseMicroTime(e.acquireTime);
  if (!acq || !view.wallTime) return null;
  return { t: acq.seconds + acq.micros / 1e6 - Date.parse(view.wallTime) / 1000, err: 0.001 };
}

export const leaderless: PerLease = (view, _lease, events, name) => {
  const found = findTakeover(view, events);
  if (!found.ok) return unknown(name, 's', found.reason);
  const { pre, next } = found.value;
  const acquired = parseMicroTime(next.acquireTime);
  if (!acquired) return unknown(name, 's', `the new holder's record has no acquireTime`);
  // The old holder's tenure ends at its last renewal, or at its release (holder "") if it released.
  const before = events.filter((e) => e.seq < next.seq);
  let lastOld: LeaseEvent | undefined;
  let released = false;
  for (const e of before) {
    if (sameMachine(pre, e)) {
      lastOld = e;
      released = false;
    } else if (!e.holder && lastOld) {
      lastOld = e;
      released = true;
    }
  }
  const end = parseMicroTime(lastOld?.renewTime);
  const notes: string[] = [];
  if (lastOld && end)
    notes.push(
      `record: ${released ? `release by ${pre.holder}` : `last renew of ${pre.holder}`} at ${lastOld.renewTime} → acquire by ${next.holder} at ${next.acquireTime} (holders' clocks) = ${fmt(microDiff(acquired, end))} s`,
    );
  const relisted = before.some((e) => e.type === 'LIST' && e.t > pre.t);
  if (relisted) notes.push('the watch re-listed in between, so a later renewal may be missing');
  const onRun = acquiredOnRunClock(view, next);
  const source = view.fault?.source ?? 'inject-return';
  if (onRun === null || source === 'inject-return') {
    // no clock offset for the new holder's master (or an old timeline): the record alone
    if (!lastOld || !end) return unknown(name, 's', `no renewTime of the old holder ${pre.holder} was seen`);
    return measured(name, 's', microDiff(acquired, end), 1e-6, {
      at: next.t,
      note: [
        ...notes,
        `no clock offset for ${next.master ?? 'the new holder'}: from the old holder's record, not t_fault`,
      ].join('; '),
    });
  }
  // The Lease was held again once the new holder's write took effect: after its acquireTime (client-go
  // stamps it before the PUT) and before the watch showed it. The PUT takes milliseconds, the
  // watch's delivery up to hundreds on a loaded control plane: acquireTime is the estimate, the
  // event's arrival the upper bound of the ±.
  const hi = next.t + WATCH_GRANULARITY_S;
  const lo = Math.min(onRun.t - onRun.err, next.t);
  const endAt = Math.min(onRun.t, next.t);
  const start = fromFault(view, endAt);
  notes.unshift(
    `acquireTime by ${next.holder} at ${fmt(onRun.t)} s (±${fmt(onRun.err)}, its master's clock mapped), before its write; the watch showed the write at ${fmt(next.t)} s; ${start.note}`,
  );
  return measured(name, 's', Math.max(0, endAt - start.from), Math.max(endAt - lo, hi - endAt) + start.err, {
    at: endAt,
    note: notes.join('; '),
  });
};

export const transitions: PerLease = (view, lease, events, name) => {
  if (view.tInjectStart === null) return unknown(name, 'count', 'no inject step succeeded (no t_inject)');
  const tStart = view.tInjectStart;
  const before = events.filter((e) => e.t <= tStart && e.transitions !== null).pop();
  if (!before) return unknown(name, 'count', 'no leaseTransitions seen before t_inject');
  const after = events.filter((e) => e.transitions !== null).pop()!;
  const blindAtEnd = view.blind.some((b) => b.watcher === 'lease' && b.subject === lease && b.open);
  const note = `leaseTransitions ${before.transitions} → ${after.transitions}${blindAtEnd ? ' (the watch was blind at the end: later changes unseen)' : ''}`;
  return measured(name, 'count', after.transitions! - before.transitions!, 0, { note });
};

export const splitBrain: PerLease = (view, _lease, events, name) => {
  if (events.length === 0) return unknown(name, 'count', 'no Lease record was seen');
  const from = view.tInjectStart ?? view.drill.start;
  let current: { holder: string; lastRenew: string | null; duration: number | null } | null = null;
  let count = 0;
  const moments: string[] = [];
  for (const e of events) {
    if (!e.holder) {
      current = null; // released: nobody holds it
      continue;
    }
    if (current && e.holder !== current.holder && e.t >= from) {
      const renewed = parseMicroTime(current.lastRenew);
      const acquired = parseMicroTime(e.acquireTime ?? e.renewTime);
      if (
        renewed &&
        acquired &&
        current.duration !== null &&
        microDiff(acquired, renewed) < current.duration
      ) {
        count++;
        moments.push(
          `${fmt(e.t)} s: ${e.holder} acquired ${fmt(microDiff(acquired, renewed))} s after ${current.holder} renewed`,
        );
      }
    }
    if (!current || current.holder !== e.holder)
      current = { holder: e.holder, lastRenew: null, duration: null };
    current.lastRenew = e.renewTime ?? current.lastRenew;
    current.duration = e.leaseDurationSeconds ?? current.duration;
  }
  return measured(name, 'count', count, 0, {
    note:
      count > 0
        ? moments.join('; ')
        : "no holder took over within the previous holder's lease duration (holders' clocks)",
  });
};

/**
 * New identities on the pre-drill holder's own master that held the Lease after the fault and
 * before `until` (a holder on another master): the component was restarted there (systemd's
 * Restart=, the kubelet) and won its own Lease back. First record of each, in order.
 */
export function reacquired(
  pre: LeaseEvent,
  events: readonly LeaseEvent[],
  until: LeaseEvent | null,
): LeaseEvent[] {
  const out: LeaseEvent[] = [];
  for (const e of events) {
    if (e.seq <= pre.seq || (until && e.seq >= until.seq)) continue;
    if (!e.holder || e.holder === pre.holder || !sameMachine(pre, e)) continue;
    if (!out.some((x) => x.holder === e.holder)) out.push(e);
  }
  return out;
}

function describeReacquire(view: RunView, pre: LeaseEvent, again: readonly LeaseEvent[]): string {
  const where = pre.master ?? 'its master';
  const who = again
    .map((e) => `${e.holder} at ${fmt(e.t - (view.tInject ?? 0))} s after t_inject`)
    .join(', ');
  return `the component restarted on ${where} and won its own Lease back (${pre.holder} → ${who}): a same-master reacquire, not a takeover`;
}

/** lease.same_master_reacquire: how many new identities on the victim's master took the Lease back. */
export const sameMasterReacquire: PerLease = (view, _lease, events, name) => {
  const pre = holderBefore(view, events);
  if (!pre.ok) return unknown(name, 'count', pre.reason);
  const takeover = findTakeover(view, events);
  const again = reacquired(pre.value, events, takeover.ok ? takeover.value.next : null);
  const after = takeover.ok
    ? `; then ${takeover.value.next.holder}${takeover.value.next.master ? ` (${takeover.value.next.master})` : ''} took over`
    : '';
  return measured(name, 'count', again.length, 0, {
    ...(again.length > 0 ? { at: again[0]!.t } : {}),
    note:
      again.length > 0
        ? `${describeReacquire(view, pre.value, again)}${after}`
        : `no new identity on ${pre.value.master ?? 'the holder’s master'} held the Lease${after}`,
  });
};

export const leaseMetrics = {
  'lease.takeover_s': perLease('lease.takeover_s', takeover),
  'lease.leaderless_s': perLease('lease.leaderless_s', leaderless),
  'lease.transitions': perLease('lease.transitions', transitions),
  'lease.split_brain': perLease('lease.split_brain', splitBrain),
  'lease.same_master_reacquire': perLease('lease.same_master_reacquire', sameMasterReacquire),
};
