/**
 * etcd write probe: puts `/kha-drill/probe/<runId>/<n>` every interval through the cluster
 * (any member that works, starting from the last that did) and records success and latency.
 * Pending puts finish (or time out) at stop and are recorded.
 * Its keys hang on an etcd lease with a short TTL (they vanish if the harness dies); stopping
 * revokes the lease and deletes the prefix.
 */
import { parseDurationMs } from '../text/duration.js';
import { EtcdCluster } from '../clients/etcd.js';
import { PROBE_PREFIX } from '../clients/etcd-access.js';
import { etcdConnect } from '../clients/etcd-transport.js';
import { errorMessage } from '../clients/http.js';
import type { EventSink } from '../timeline/timeline.js';
import { startPolling } from './loop.js';
import { etcdTlsOf } from './kube-context.js';
import type { StopWatcher, WatcherContext } from './types.js';

export { PROBE_PREFIX };

/** What the probe needs from the cluster (tests pass fakes). */
export interface WriteTarget {
  put(key: string, value: string, timeoutMs: number): Promise<void>;
  deletePrefix(prefix: string, timeoutMs: number): Promise<void>;
  close?(): void;
}

/** The probe keys' lease TTL: keys outlive a dead harness by at most this long. */
export const PROBE_LEASE_TTL_S = 15;
/** Keep-alives per TTL: one lost keep-alive (a member cut off) does not let the lease lapse. */
const KEEPALIVES_PER_TTL = 3;

function leaseLost(err: unknown): boolean {
  return /lease not found/i.test(errorMessage(err));
}

/**
 * Puts through any member that answers, every key attached to one lease granted on the first
 * put and kept alive while the probe runs, so the keys disappear by themselves when the harness
 * dies. A lease that lapsed anyway (keep-alives lost for a whole TTL) is granted again and the put
 * retried once, so the probe measures the cluster rather than its own lease.
 */
export function clusterWriteTarget(
  cluster: EtcdCluster,
  ttlS: number = PROBE_LEASE_TTL_S,
  setTimer: typeof setInterval = setInterval,
): WriteTarget {
  let lease: Promise<string> | undefined;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  const grant = (timeoutMs: number) =>
    (lease ??= cluster
      .withAnyMember((c) => c.leaseGrant(ttlS, { timeoutMs }), timeoutMs)
      .catch((err: unknown) => {
        lease = undefined;
        throw err;
      }));
  const startKeepAlive = () => {
    keepAlive ??= setTimer(
      () => {
        const id = lease;
        if (!id) return;
        void id
          .then((l) => cluster.withAnyMember((c) => c.leaseKeepAlive(l, { timeoutMs: 1000 }), 2000))
          .then((ttl) => {
            if (ttl <= 0 && lease === id) lease = undefined;
          })
          .catch(() => undefined); // the next one, or the re-grant on a put, makes up for it
      },
      (ttlS * 1000) / KEEPALIVES_PER_TTL,
    );
    keepAlive.unref?.();
  };
  const putOnce = async (key: string, value: string, timeoutMs: number) => {
    const id = await grant(timeoutMs);
    startKeepAlive();
    await cluster.withAnyMember((c) => c.put(key, value, { timeoutMs, lease: id }), timeoutMs);
  };
  return {
    put: async (key, value, timeoutMs) => {
      try {
        await putOnce(key, value, timeoutMs);
      } catch (err) {
        if (!leaseLost(err)) throw err;
        lease = undefined;
        await putOnce(key, value, timeoutMs);
      }
    },
    deletePrefix: async (prefix, timeoutMs) => {
      if (keepAlive) clearInterval(keepAlive);
      keepAlive = undefined;
      const id = lease;
      lease = undefined;
      if (id) {
        const l = await id.catch(() => undefined);
        if (l)
          await cluster
            .withAnyMember((c) => c.leaseRevoke(l, { timeoutMs }), timeoutMs)
            .catch(() => undefined);
      }
      await cluster.withAnyMember((c) => c.deletePrefix(prefix, { timeoutMs }), timeoutMs);
    },
    close: () => {
      if (keepAlive) clearInterval(keepAlive);
      cluster.close();
    },
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
    etcdConnect(ctx.inventory.etcd?.transport),
  );
  return watchEtcdWrites(ctx.timeline, clusterWriteTarget(cluster), {
    runId: ctx.runId,
    intervalMs: parseDurationMs(spec.interval ?? '100ms'),
    timeoutMs: parseDurationMs(spec.timeout ?? '1s'),
  });
}
