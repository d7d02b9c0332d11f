/**
 * Raft watcher: each member's status on its own poll loop (one etcd client per member, a
 * deadline per call, no overlapping polls). A member that does not answer is an ok:false event
 * and a `blind` window for that member until it answers again.
 */
import type { MemberStatus } from '../clients/etcd.js';
import { etcdConnect } from '../clients/etcd-transport.js';
import type { NewEvent } from '../timeline/events.js';
import type { EventSink } from '../timeline/timeline.js';
import { parseDurationMs } from '../text/duration.js';
import { etcdTlsOf } from './kube-context.js';
import { startPolling } from './loop.js';
import { RaftPace } from './raft-pace.js';
import type { StopWatcher, WatcherContext } from './types.js';

export const RAFT_MIN_INTERVAL_MS = 20;

export interface RaftWatcherOptions {
  intervalMs: number;
  /** period from each inject step until a new leader has settled (see raft-pace.ts); default intervalMs */
  faultIntervalMs?: number;
  /** longest fast window after an inject step; default 10 s */
  faultWindowMs?: number;
  /** per-call deadline; default max(500 ms, 2 × interval) */
  timeoutMs?: number;
}

/** What the raft watcher needs from a member client (tests pass fakes). */
export interface StatusSource {
  status(options: { timeoutMs: number; signal: AbortSignal }): Promise<MemberStatus>;
  close?(): void;
}

export function raftEvent(master: string, s: MemberStatus): NewEvent {
  const e: NewEvent = { kind: 'raft', master, ok: s.ok, latencyMs: s.latencyMs };
  if (s.id) e.memberId = s.id;
  if (s.leader) e.leader = s.leader;
  if (s.term) e.term = s.term;
  if (s.raftIndex) e.raftIndex = s.raftIndex;
  if (s.errors.length > 0) e.error = s.errors.join('; ');
  return e;
}

export function watchRaft(
  timeline: EventSink,
  members: { name: string; source: StatusSource }[],
  options: RaftWatcherOptions,
): StopWatcher {
  const intervalMs = Math.max(RAFT_MIN_INTERVAL_MS, options.intervalMs);
  const faultIntervalMs = Math.min(
    intervalMs,
    Math.max(RAFT_MIN_INTERVAL_MS, options.faultIntervalMs ?? intervalMs),
  );
  const timeoutMs = options.timeoutMs ?? Math.max(500, 2 * intervalMs);
  const pace = new RaftPace(members.length, {
    intervalMs,
    faultIntervalMs,
    faultWindowMs: options.faultWindowMs ?? 10_000,
  });
  // inject steps open the fast window; without a subscribable timeline the pace stays steady
  const unsubscribe = timeline.subscribe?.((e) => {
    if (e.kind === 'step') pace.observe(e);
  });
  const stops = members.map(({ name, source }) => {
    let blind = false;
    return startPolling(
      () => pace.intervalMs(timeline.now(), name),
      async (signal) => {
        const s = await source.status({ timeoutMs, signal });
        if (signal.aborted) return; // stopping: an aborted call is not an observation
        pace.observe(timeline.append(raftEvent(name, s)));
        if (!s.ok && !blind) {
          blind = true;
          timeline.append({
            kind: 'blind',
            watcher: 'raft',
            subject: name,
            state: 'start',
            reason: s.errors.join('; '),
          });
        } else if (s.ok && blind) {
          blind = false;
          timeline.append({ kind: 'blind', watcher: 'raft', subject: name, state: 'end' });
        }
      },
      { lastLook: true },
    );
  });
  return async () => {
    unsubscribe?.();
    await Promise.all(stops.map((stop) => stop()));
    for (const m of members) m.source.close?.();
  };
}

export function startRaftWatcher(
  spec: { interval?: string; faultInterval?: string; faultWindow?: string },
  ctx: WatcherContext,
): StopWatcher {
  const tls = etcdTlsOf(ctx);
  const connect = etcdConnect(ctx.inventory.etcd?.transport);
  const members = ctx.inventory.masters.map((m) => ({
    name: m.name,
    source: connect(m.etcd, tls),
  }));
  return watchRaft(ctx.timeline, members, {
    intervalMs: parseDurationMs(spec.interval ?? '100ms'),
    faultIntervalMs: parseDurationMs(spec.faultInterval ?? '20ms'),
    faultWindowMs: parseDurationMs(spec.faultWindow ?? '10s'),
  });
}
