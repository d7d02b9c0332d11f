/**
 * The watcher registry: one small definition per watcher a drill may name. `startWatchers`
 * starts those a drill's `watchers` section lists and returns one function that stops them all.
 */
import type { Drill, Inventory } from '../config/schema.js';
import type { KubeConnection } from '../clients/kubeconfig.js';
import type { TlsMaterial } from '../clients/tls.js';
import type { NewEvent } from '../timeline/events.js';
import type { EventSink, Timeline } from '../timeline/timeline.js';
import { setSafeTimeout, type SafeTimer } from '../time/timer.js';
import { startApiserverWatcher } from './apiserver.js';
import { startEtcdWriteWatcher } from './etcd-write.js';
import { DEFAULT_LEASES, startLeaseWatcher } from './lease.js';
import { startRaftWatcher } from './raft.js';
import type { StopWatcher, WatcherContext, WatcherDefinition } from './types.js';

type WatcherSpecs = Drill['watchers'];
export type WatcherName = keyof WatcherSpecs;

export const watcherRegistry: { [K in WatcherName]-?: WatcherDefinition<NonNullable<WatcherSpecs[K]>> } = {
  lease: {
    description: 'list+watch of named Leases through the load balancer',
    start: startLeaseWatcher,
    seen: (e) => (e.kind === 'lease' ? e.lease : null),
    subjects: (spec) => (spec.leases ?? DEFAULT_LEASES).length,
  },
  raft: {
    description: 'status poll of every etcd member',
    start: startRaftWatcher,
    seen: (e) => (e.kind === 'raft' ? e.master : null),
    subjects: (_spec, ctx) => ctx.inventory.masters.length,
  },
  apiserver: {
    description: '/readyz of each API server and of the load balancer',
    start: startApiserverWatcher,
    seen: (e) => (e.kind === 'api' ? e.master : null),
    subjects: (_spec, ctx) => ctx.inventory.masters.length + 1,
  },
  etcdWrite: {
    description: 'periodic put through the etcd cluster',
    start: startEtcdWriteWatcher,
    seen: (e) => (e.kind === 'write' ? 'write' : null),
    subjects: () => 1,
  },
};

export interface StartWatchersOptions {
  /**
   * resolve once every watcher has seen each of its subjects once (a Lease listed, each member
   * polled…), or after this long, whichever comes first (default 5000; 0: do not wait)
   */
  readyTimeoutMs?: number;
  /** names the etcd probe's keys; default: the timeline's run header, else a fresh id */
  runId?: string;
  env?: Record<string, string | undefined>;
  kube?: KubeConnection;
  etcdTls?: TlsMaterial;
}

/**
 * Starts every watcher `watchers` names. If one fails to start, those already started are
 * stopped and the error is thrown.
 */
export async function startWatchers(
  watchers: WatcherSpecs,
  inventory: Inventory,
  timeline: EventSink,
  options: StartWatchersOptions = {},
): Promise<StopWatcher> {
  const runId = options.runId ?? runIdOf(timeline) ?? `kha-${process.pid}-${Date.now()}`;
  const ctx: WatcherContext = { timeline, inventory, runId, env: options.env ?? process.env };
  if (options.kube) ctx.kube = options.kube;
  if (options.etcdTls) ctx.etcdTls = options.etcdTls;
  const stops: StopWatcher[] = [];
  const stopAll: StopWatcher = async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  };
  const readiness: Promise<void>[] = [];
  try {
    for (const name of Object.keys(watcherRegistry) as WatcherName[]) {
      const spec = watchers[name];
      if (spec === undefined) continue;
      const def = watcherRegistry[name] as WatcherDefinition<typeof spec>;
      const { sink, ready } = readinessSink(timeline, def, def.subjects(spec, ctx));
      readiness.push(ready);
      stops.push(def.start(spec, { ...ctx, timeline: sink }));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 5000;
  if (readyTimeoutMs > 0) {
    let timer: SafeTimer | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setSafeTimeout(resolve, readyTimeoutMs)));
    await Promise.race([Promise.all(readiness), timeout]);
    timer?.clear();
  }
  return stopAll;
}

/** Passes events through and resolves `ready` once `needed` distinct subjects were seen. */
function readinessSink(
  timeline: EventSink,
  def: { seen(e: NewEvent): string | null },
  needed: number,
): { sink: EventSink; ready: Promise<void> } {
  const seen = new Set<string>();
  let resolve!: () => void;
  const ready = new Promise<void>((r) => (resolve = r));
  if (needed <= 0) resolve();
  const sink: EventSink = {
    append(e) {
      const subject = def.seen(e);
      if (subject !== null && seen.size < needed) {
        seen.add(subject);
        if (seen.size >= needed) resolve();
      }
      return timeline.append(e);
    },
    now: () => timeline.now(),
  };
  if (timeline.subscribe) sink.subscribe = timeline.subscribe.bind(timeline);
  return { sink, ready };
}

function runIdOf(timeline: EventSink): string | undefined {
  const header = (timeline as Partial<Timeline>).events?.()[0];
  return header?.kind === 'run' ? header.runId : undefined;
}

export { watchApiservers, type Probe } from './apiserver.js';
export { PROBE_PREFIX, watchEtcdWrites, clusterWriteTarget, type WriteTarget } from './etcd-write.js';
export {
  DEFAULT_LEASES,
  leaseEvent,
  watchLeases,
  type LeaseSource,
  type LeaseWatcherOptions,
} from './lease.js';
export {
  RAFT_MIN_INTERVAL_MS,
  raftEvent,
  watchRaft,
  type RaftWatcherOptions,
  type StatusSource,
} from './raft.js';
export type { StopWatcher, WatcherContext, WatcherDefinition } from './types.js';
