/**
 * etcd write probe: puts `/kha-drill/probe/<runId>/<n>` every interval through the cluster
 * (any member that works, starting from the last that did) and records success and latency.
 * Pending puts finish (or time out) at stop and are recorded.
 * Deletes its keys when stopped.
 */
import { parseDurationMs } from '../text/duration.js';
import { EtcdCluster } from '../clients/etcd.js';
import { errorMessage } from '../clients/http.js';
import type { EventSink } from '../timeline/timeline.js';
import { startPolling } from './loop.js';
import { etcdTlsOf } from './kube-context.js';
import type { StopWatcher, WatcherContext } from './types.js';

export const PROBE_PREFIX = '/kha-drill/probe/';

/** What the probe needs from the cluster (tests pass fakes). */
export interface WriteTarget {
  put(key: string, value: string, timeoutMs: number): Promise<void>;
  deletePrefix(prefix: string, timeoutMs: number): Promise<void>;
  close?(): void;
}

export function clusterWriteTarget(cluster: EtcdCluster): WriteTarget {
  return {
    put: async (key, value, timeoutMs) => {
      await cluster.withAnyMember((c) => c.put(key, value, { timeoutMs }), timeoutMs);
    },
    deletePrefix: async (prefix, timeoutMs) => {
      await cluster.withAnyMember((c) => c.deletePrefix(prefix, { timeoutMs }), timeoutMs);
    },
    close: () => cluster.close(),
  };
}

/**
 * Starts a put every interval even while earlier ones are pending (each has its own deadline),
 * so the first write that succeeds after an outage is seen within one interval rather than
 * after the previous put's timeout. At most timeout/interval + 1 puts are in flight.
 */
export function watchEtcdWrites(
  timeline: EventSink,
  target: WriteTarget,
  options: { runId: string; intervalMs: number; timeoutMs: number },
): StopWatcher {
  const prefix = `${PROBE_PREFIX}${options.runId}/`;
  const maxInFlight = Math.ceil(options.timeoutMs / options.intervalMs) + 1;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let n = 0;
  const put = async () => {
    const key = `${prefix}${n++}`;
    const started = performance.now();
    let error: string | undefined;
    try {
      await target.put(key, String(Date.now()), options.timeoutMs);
    } catch (err) {
      error = errorMessage(err);
    }
    if (stopped) return; // a put cut short by stopping is not an observation
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    timeline.append(
      error === undefined
        ? { kind: 'write', ok: true, latencyMs }
        : { kind: 'write', ok: false, error, latencyMs },
    );
  };
  const stopTicks = startPolling(options.intervalMs, async () => {
    if (inFlight.size >= maxInFlight) return;
    const p = put().finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  return async () => {
    await stopTicks();
    await Promise.all(inFlight);
    stopped = true;
    try {
      await target.deletePrefix(prefix, Math.max(2000, options.timeoutMs));
    } catch (err) {
      timeline.append({
        kind: 'mark',
        mark: 'note',
        message: `etcd write probe could not delete ${prefix}: ${errorMessage(err)}`,
      });
    }
    target.close?.();
  };
}

export function startEtcdWriteWatcher(
  spec: { interval?: string; timeout?: string },
  ctx: WatcherContext,
): StopWatcher {
  const cluster = new EtcdCluster(
    ctx.inventory.masters.map((m) => ({ name: m.name, endpoint: m.etcd })),
    etcdTlsOf(ctx),
  );
  return watchEtcdWrites(ctx.timeline, clusterWriteTarget(cluster), {
    runId: ctx.runId,
    intervalMs: parseDurationMs(spec.interval ?? '100ms'),
    timeoutMs: parseDurationMs(spec.timeout ?? '1s'),
  });
}
