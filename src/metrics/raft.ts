/** Raft metrics (DESIGN §4) from the raft watcher's per-member status events. */
import type { RaftEvent } from '../timeline/events.js';
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

const raftEvents = (view: RunView): RaftEvent[] =>
  view.events.filter((e): e is RaftEvent => e.kind === 'raft');

const hasLeader = (e: RaftEvent | undefined): e is RaftEvent & { leader: string; term: string } =>
  !!e && e.ok && e.leader !== undefined && e.term !== undefined;

interface Before {
  term: bigint;
  leader: string;
}

/** The highest term with a leader that members reported before t_inject, and that leader. */
function stateBefore(view: RunView, events: RaftEvent[]): Before | string {
  if (view.tInjectStart === null) return 'no inject step succeeded (no t_inject)';
  const latest = new Map<string, RaftEvent>();
  for (const e of events) if (e.t <= view.tInjectStart && hasLeader(e)) latest.set(e.master, e);
  let best: Before | null = null;
  for (const e of latest.values()) {
    const term = BigInt(e.term!);
    if (best === null || term > best.term) best = { term, leader: e.leader! };
  }
  return best ?? 'no member reported a leader before t_inject';
}

function quorumOf(view: RunView, events: RaftEvent[]): number {
  const n = view.masters.length > 0 ? view.masters.length : new Set(events.map((e) => e.master)).size;
  return Math.floor(n / 2) + 1;
}

/** The sample time of the last answer of `master` before `seq`: when it was last seen. */
function lastSeenBefore(events: RaftEvent[], master: string, seq: number): RaftEvent | undefined {
  return events.filter((e) => e.master === master && e.seq < seq && e.ok).pop();
}

/**
 * The new leader at a term above `aboveTerm`, once the members' latest reports prove it elected:
 * a quorum names it, or it names itself (a member reporting itself leader at a higher term was
 * elected by a majority's votes, even before the followers' next polls show it). Else null.
 */
export function electedLeader(
  latest: Iterable<RaftEvent>,
  aboveTerm: bigint,
  quorum: number,
): { leader: string; term: string; agreeing: string[] } | null {
  const votes = new Map<string, string[]>();
  for (const e of latest) {
    if (!hasLeader(e) || BigInt(e.term) <= aboveTerm) continue;
    const key = `${e.leader}@${e.term}`;
    const agreeing = [...(votes.get(key) ?? []), e.master];
    votes.set(key, agreeing);
    if (agreeing.length >= quorum || e.memberId === e.leader) {
      return { leader: e.leader, term: e.term, agreeing };
    }
  }
  return null;
}

export function reelection(whole: RunView): MetricResult[] {
  const name = 'raft.reelection_s';
  const view = viewFor(whole, 'etcd');
  const events = raftEvents(view);
  if (events.length === 0) return [unknown(name, 's', 'the raft watcher recorded nothing')];
  const before = stateBefore(view, events);
  if (typeof before === 'string') return [unknown(name, 's', before)];
  const fault = view.fault!;
  const quorum = quorumOf(view, events);
  const latest = new Map<string, RaftEvent>();
  for (const e of events) {
    // from the command's start: a graceful stop hands leadership over before the process leaves
    if (e.t <= fault.commandStart) continue;
    latest.set(e.master, e);
    // only e can complete the evidence: it is the one report that changed
    if (!hasLeader(e) || BigInt(e.term) <= before.term) continue;
    if (electedLeader(latest.values(), before.term, quorum) === null) continue;
    const agreeing = [...latest.values()].filter(
      (x) => hasLeader(x) && x.leader === e.leader && x.term === e.term,
    );
    // e completed the evidence: the moment lies after e.master's previous answer was sampled.
    // It lies in [lower, e.t]; the middle of that interval ± half its width is the estimate with
    // the smallest worst-case error (stamping e.t would be late by up to a whole poll period).
    const prev = lastSeenBefore(events, e.master, e.seq);
    const lower = Math.max(fault.commandStart, prev ? prev.t - prev.latencyMs / 1000 : fault.commandStart);
    const mid = (lower + e.t) / 2;
    const blind = blindDuring(view, 'raft', [e.master], lower, e.t);
    const evidence =
      agreeing.length >= quorum
        ? `seen by ${agreeing.map((x) => x.master).join(', ')}`
        : `reported by the new leader ${e.master} itself (elected by a majority)`;
    const notes = [
      `leader ${before.leader} (term ${before.term}) → ${e.leader} (term ${e.term}), ${evidence}`,
    ];
    if (blind.length > 0) notes.push(`${e.master} did not answer ${describeBlind(blind)}`);
    const start = fromFault(view, mid);
    notes.push(start.note);
    return [
      measured(name, 's', Math.max(0, mid - start.from), (e.t - lower) / 2 + start.err, {
        at: mid,
        note: notes.join('; '),
      }),
    ];
  }
  return [
    unknown(
      name,
      's',
      `no quorum (${quorum}) of members reported one new leader at a term above ${before.term} by ${fmt(view.drill.end)} s`,
    ),
  ];
}

export function elections(view: RunView): MetricResult[] {
  const name = 'raft.elections';
  const events = raftEvents(view);
  if (events.length === 0) return [unknown(name, 'count', 'the raft watcher recorded nothing')];
  const before = stateBefore(view, events);
  if (typeof before === 'string') return [unknown(name, 'count', before)];
  // Terms reported together with a leader: an isolated member's own term inflation has no leader.
  const terms = new Set<bigint>();
  let max = before.term;
  for (const e of events) {
    if (e.t <= view.fault!.commandStart || !hasLeader(e)) continue;
    const term = BigInt(e.term);
    if (term > before.term) terms.add(term);
    if (term > max) max = term;
  }
  const seen = [...terms].sort((a, b) => (a < b ? -1 : 1)).join(', ');
  return [
    measured(name, 'count', Number(max - before.term), 0, {
      note: `term ${before.term} → ${max}${seen ? ` (terms with a leader seen: ${seen})` : ''}`,
    }),
  ];
}

export const DEFAULT_CATCHUP_MAX_LAG = 100;

export function catchup(view: RunView, options: MetricOptions): MetricResult[] {
  const base = 'raft.catchup_s';
  const member = options.catchupMember ?? view.injectTargets[0];
  if (member === undefined) return [unknown(base, 's', 'no restarted member: no inject step succeeded')];
  const name = labelled(base, { member });
  const both = (r: MetricResult) => [{ ...r, name: base }, r];
  const events = raftEvents(view);
  const mine = events.filter((e) => e.master === member);
  if (mine.length === 0) return both(unknown(name, 's', `the raft watcher did not poll ${member}`));
  const tFrom = view.fault?.lo ?? view.drill.start;
  const interrupted = mine.some((e) => e.t > tFrom && !hasLeader(e));
  if (!interrupted)
    return both(
      unknown(name, 's', `${member}'s etcd was not interrupted (it answered with a leader throughout)`),
    );
  // from the member's real start (systemd's ExecMainStartTimestamp after the fault, whether its
  // Restart= or the restore started it); else from the moment the restart was asked for
  const restart = view.unitStarts.find((u) => u.master === member && u.service === 'etcd');
  const restoreStep = view.restoreSteps.find((s) => s.ok && s.targets.includes(member));
  const tAsked =
    (restoreStep ? (view.restoreStepStarts.get(restoreStep.index) ?? restoreStep.t) : null) ??
    view.restoreStart;
  const tRestore = restart?.tStart ?? tAsked;
  const startErr = restart?.errS ?? 0;
  const fromWhat = restart
    ? `from its real start at ${fmt(restart.tStart)} s (systemd's ExecMainStartTimestamp${restart.restarts ? `, ${restart.restarts} automatic restart(s)` : ''})`
    : `from the restore step at ${fmt(tAsked ?? 0)} s (no record of the real start)`;
  if (tRestore === null) return both(unknown(name, 's', 'no restore step ran'));
  const maxLag = BigInt(options.catchupMaxLag ?? DEFAULT_CATCHUP_MAX_LAG);
  const latest = new Map<string, RaftEvent>();
  for (const e of events) {
    if (e.t < tRestore) continue;
    latest.set(e.master, e);
    const self = latest.get(member);
    if (!hasLeader(self) || self.raftIndex === undefined) continue;
    const leader = [...latest.values()].find((x) => x.ok && x.memberId === self.leader);
    if (!leader || leader.raftIndex === undefined) continue;
    if (BigInt(self.raftIndex) + maxLag < BigInt(leader.raftIndex)) continue;
    const prev = lastSeenBefore(events, e.master, e.seq);
    const lower = Math.max(tRestore, prev ? prev.t - prev.latencyMs / 1000 : tRestore);
    return both(
      measured(name, 's', Math.max(0, e.t - tRestore), e.t - lower + startErr, {
        at: e.t,
        note: `${member} at raft index ${self.raftIndex}, leader ${leader.master} at ${leader.raftIndex} (max lag ${maxLag}), ${fromWhat}`,
      }),
    );
  }
  return both(
    unknown(
      name,
      's',
      `${member} was not within ${maxLag} entries of the leader by ${fmt(view.drill.end)} s`,
    ),
  );
}

export const raftMetrics = {
  'raft.reelection_s': reelection,
  'raft.elections': elections,
  'raft.catchup_s': catchup,
};
