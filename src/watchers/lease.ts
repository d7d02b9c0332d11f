/**
 * Lease watcher: per named Lease, list then watch (fieldSelector=metadata.name,
 * allowWatchBookmarks, timeoutSeconds) and append every change as it is seen. The watch is
 * restarted from the last resourceVersion (bookmarks count), re-listed on 410 Gone, and dropped
 * and restarted after `inactivityMs` without a byte. Any period without a working watch is a
 * `blind` start/end pair, so a report can say what was not seen.
 */
import { errorMessage } from '../clients/http.js';
import {
  KubeApiError,
  KubeClient,
  type Lease,
  type WatchEnd,
  type WatchEvent,
  type WatchOptions,
} from '../clients/kube.js';
import type { LeaseList } from '../clients/kube.js';
import { silentWatchReason } from '../timeline/blind-reasons.js';
import type { NewEvent } from '../timeline/events.js';
import type { EventSink } from '../timeline/timeline.js';
import { DEFAULT_LEASES } from '../config/schema.js';
import { masterOfHolder } from '../kube/lease.js';
import { sleep } from '../time/sleep.js';
import { setSafeTimeout, type SafeTimer } from '../time/timer.js';
import { kubeConnectionOf } from './kube-context.js';
import type { StopWatcher, WatcherContext } from './types.js';

export { DEFAULT_LEASES };

/** What the lease watcher needs from a Kubernetes client (KubeClient; tests pass fakes). */
export interface LeaseSource {
  listLeases(namespace: string, options: { fieldSelector?: string; timeoutMs?: number }): Promise<LeaseList>;
  watchLeases(
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onOpen?: () => void,
  ): Promise<WatchEnd>;
  close?(): void;
}

export interface LeaseWatcherOptions {
  leases: string[];
  masters: { name: string; nodeName: string }[];
  /** asked of the server per watch (default 60) */
  timeoutSeconds?: number;
  /** restart a watch that delivered nothing (not even a bookmark) for this long (default 5000) */
  inactivityMs?: number;
  /** deadline of a list and of a watch's response headers (default 2000) */
  requestTimeoutMs?: number;
  /** wait after a failed attempt, doubled up to 1 s (default 100) */
  retryMs?: number;
}

export function leaseEvent(
  lease: string,
  type: 'LIST' | 'ADDED' | 'MODIFIED' | 'DELETED',
  obj: Lease | null,
  resourceVersion: string,
  masters: { name: string; nodeName: string }[],
): NewEvent {
  const spec = obj?.spec ?? {};
  const holder = spec.holderIdentity ?? null;
  return {
    kind: 'lease',
    lease,
    type,
    holder,
    master: masterOfHolder(holder, masters),
    leaseDurationSeconds: spec.leaseDurationSeconds ?? null,
    acquireTime: spec.acquireTime ?? null,
    renewTime: spec.renewTime ?? null,
    transitions: spec.leaseTransitions ?? null,
    resourceVersion: obj?.metadata.resourceVersion ?? resourceVersion,
  };
}

export function watchLeases(
  timeline: EventSink,
  source: LeaseSource,
  options: LeaseWatcherOptions,
): StopWatcher {
  const stopping = new AbortController();
  const loops = options.leases.map((ref) => watchOneLease(timeline, source, ref, options, stopping.signal));
  return async () => {
    stopping.abort();
    await Promise.all(loops);
    source.close?.();
  };
}

async function watchOneLease(
  timeline: EventSink,
  source: LeaseSource,
  ref: string,
  options: LeaseWatcherOptions,
  stopping: AbortSignal,
): Promise<void> {
  const [namespace, name] = ref.split('/') as [string, string];
  const fieldSelector = `metadata.name=${name}`;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2000;
  const inactivityMs = options.inactivityMs ?? 5000;
  const retryMs = options.retryMs ?? 100;
  let resourceVersion: string | null = null; // null: list first
  /** the Lease object's resourceVersion as last seen (list or event): what a silent watch is checked against */
  let objectVersion: string | null = null;
  let blind = true; // nothing seen yet: the first list ends this
  let delay = retryMs;
  timeline.append({ kind: 'blind', watcher: 'lease', subject: ref, state: 'start', reason: 'starting' });

  const see = () => {
    delay = retryMs;
    if (blind) {
      blind = false;
      timeline.append({ kind: 'blind', watcher: 'lease', subject: ref, state: 'end' });
    }
  };
  const lose = (reason: string) => {
    if (!blind && !stopping.aborted) {
      blind = true;
      timeline.append({ kind: 'blind', watcher: 'lease', subject: ref, state: 'start', reason });
    }
  };

  while (!stopping.aborted) {
    try {
      if (resourceVersion === null) {
        const list = await source.listLeases(namespace, { fieldSelector, timeoutMs: requestTimeoutMs });
        if (stopping.aborted) break;
        const lease = list.items.find((l) => l.metadata.name === name) ?? null;
        timeline.append(leaseEvent(ref, 'LIST', lease, list.metadata.resourceVersion, options.masters));
        resourceVersion = list.metadata.resourceVersion;
        objectVersion = lease?.metadata.resourceVersion ?? null;
        see();
      }
      const watch = new AbortController();
      const abortWatch = () => watch.abort();
      stopping.addEventListener('abort', abortWatch, { once: true });
      let gone = false;
      let inactive = false;
      let timer: SafeTimer | undefined;
      const arm = () => {
        timer?.clear();
        timer = setSafeTimeout(() => {
          inactive = true;
          watch.abort();
        }, inactivityMs);
      };
      let end: WatchEnd;
      let delivered = 0;
      const opened = performance.now();
      try {
        end = await source.watchLeases(
          namespace,
          {
            resourceVersion,
            fieldSelector,
            allowWatchBookmarks: true,
            timeoutSeconds: options.timeoutSeconds ?? 60,
            connectTimeoutMs: requestTimeoutMs,
            signal: watch.signal,
          },
          (ev) => {
            arm();
            delivered++;
            if (ev.type === 'ERROR') {
              if (ev.object.code === 410) gone = true;
              else lose(`watch error: ${ev.object.message ?? ev.object.reason ?? 'unknown'}`);
              watch.abort();
              return;
            }
            resourceVersion = ev.object.metadata.resourceVersion;
            if (ev.type !== 'BOOKMARK') {
              objectVersion = resourceVersion;
              timeline.append(leaseEvent(ref, ev.type, ev.object, resourceVersion, options.masters));
            }
          },
          () => {
            arm();
            see();
          },
        );
      } finally {
        timer?.clear();
        stopping.removeEventListener('abort', abortWatch);
      }
      if (stopping.aborted) break;
      if (gone) {
        resourceVersion = null; // 410: history compacted, list again
        continue;
      }
      if (inactive) {
        // A Lease nobody renews (its holder died) is silent by nature: ask for it. Unchanged since
        // the last event, the watch missed nothing and carries on from there; changed, it was blind.
        // A failed check leaves it blind since the last event, as before.
        const now = await source
          .listLeases(namespace, { fieldSelector, timeoutMs: requestTimeoutMs })
          .catch((err: unknown) => {
            lose(silentWatchReason(inactivityMs));
            throw err;
          });
        if (stopping.aborted) break;
        const current = now.items.find((l) => l.metadata.name === name)?.metadata.resourceVersion ?? null;
        if (current !== objectVersion) lose(silentWatchReason(inactivityMs));
      } else if (end.reason === 'error') lose(`watch broke: ${end.error ?? 'unknown'}`);
      // A clean end (server timeoutSeconds) is resumed from the last resourceVersion at once,
      // unless the server keeps closing empty watches straight away: then back off.
      if (end.reason !== 'aborted' && delivered === 0 && performance.now() - opened < 1000) {
        await sleep(delay, stopping);
        delay = Math.min(1000, delay * 2);
      }
    } catch (err) {
      if (stopping.aborted) break;
      if (err instanceof KubeApiError && err.status === 410) {
        resourceVersion = null;
        continue;
      }
      lose(errorMessage(err));
      await sleep(delay, stopping);
      delay = Math.min(1000, delay * 2);
    }
  }
  if (blind)
    timeline.append({ kind: 'blind', watcher: 'lease', subject: ref, state: 'end', reason: 'stopped' });
}

export function startLeaseWatcher(spec: { leases?: string[] }, ctx: WatcherContext): StopWatcher {
  const conn = kubeConnectionOf(ctx);
  const client = new KubeClient(conn).forServer(ctx.inventory.kubernetes.loadBalancer);
  return watchLeases(ctx.timeline, client, {
    leases: spec.leases ?? DEFAULT_LEASES,
    masters: ctx.inventory.masters,
  });
}
