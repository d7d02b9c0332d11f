/**
 * Watch: one etcd watch per client watch, translated to Kubernetes watch events, one JSON object per line
 * on a chunked 200 response.
 */
import type http from 'node:http';
import { LEASE_API_VERSION, type Lease } from '../../kube/lease.js';
import { type EtcdClient, type WatchEvent } from './etcd.js';
import { decodeFromStorage, parseStorageKey, storagePrefix, withResourceVersion } from './lease.js';
import { type FieldRequirement, type LabelRequirement, matchesFields, matchesLabels } from './selectors.js';
import { type Status, expired } from './status.js';
import { type IncludeObject, LEASE_COLUMNS, type TableRequest, leaseRow, table } from './table.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  namespace: string | undefined;
  fields: FieldRequirement[];
  labels: LabelRequirement[];
  /** "" or "0": start with the current objects as ADDED. */
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
  table: TableRequest | undefined;
  includeObject: IncludeObject;
}

export function bookmarkObject(resourceVersion: string): Record<string, unknown> {
  return { kind: 'Lease', apiVersion: LEASE_API_VERSION, metadata: { resourceVersion }, spec: {} };
}

/** upstream: a random timeout between the minimum request timeout (30 min) and twice that. */
export function defaultWatchTimeoutMs(random: () => number = Math.random): number {
  return Math.floor((1800 + random() * 1800) * 1000);
}

/**
 * What a client watching with these selectors sees for one etcd event: an object leaving the selection
 * is DELETED for it, one entering it is ADDED (as the apiserver's watch filter does).
 */
export function translate(
  ev: WatchEvent,
  fields: FieldRequirement[],
  labels: LabelRequirement[],
): { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Lease } | undefined {
  const where = parseStorageKey(ev.kv.key);
  if (!where) return undefined;
  if (!matchesFields(fields, where.name, where.namespace)) return undefined;
  const prev = ev.prevKv ? decodeFromStorage(ev.prevKv.value, ev.prevKv.modRevision) : undefined;
  const prevMatches = prev !== undefined && matchesLabels(labels, prev.metadata.labels);
  if (ev.type === 'DELETE') {
    if (!prev || !prevMatches) return undefined;
    // The deleted object carries the revision of its deletion.
    return { type: 'DELETED', object: withResourceVersion(prev, ev.kv.modRevision) };
  }
  const cur = decodeFromStorage(ev.kv.value, ev.kv.modRevision);
  const curMatches = matchesLabels(labels, cur.metadata.labels);
  if (curMatches && prevMatches) return { type: 'MODIFIED', object: cur };
  if (curMatches) return { type: 'ADDED', object: cur };
  if (prevMatches) return { type: 'DELETED', object: cur };
  return undefined;
}

/**
 * The newest revision at which a bookmark is safe: no key under `prefix` changed after `last` up to the
 * current revision. (The gateway cannot send etcd progress requests, so this asks etcd instead: nothing
 * modified since `last`, and as many keys now as at `last`, so nothing deleted either.)
 */
export async function safeBookmarkRevision(etcd: EtcdClient, prefix: string, last: string): Promise<string> {
  try {
    const now = await etcd.range(prefix, { prefix: true, countOnly: true });
    if (BigInt(now.revision) <= BigInt(last)) return last;
    const modified = await etcd.range(prefix, {
      prefix: true,
      countOnly: true,
      revision: now.revision,
      minModRevision: String(BigInt(last) + 1n),
    });
    if (modified.count > 0) return last;
    const before = await etcd.range(prefix, { prefix: true, countOnly: true, revision: last });
    return before.count === now.count ? now.revision : last;
  } catch {
    return last;
  }
}

export interface ActiveWatch {
  stop(): void;
}

/** Serves one watch; resolves when the stream has ended. */
export function serveWatch(
  etcd: EtcdClient,
  res: http.ServerResponse,
  w: WatchRequest,
  registry: Set<ActiveWatch>,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const prefix = storagePrefix(w.namespace);
    let lastRv = w.resourceVersion && w.resourceVersion !== '0' ? w.resourceVersion : '0';
    let done = false;
    let firstTableEvent = true;
    let cancelEtcd: (() => void) | undefined;
    const timeout = setTimeout(() => finish(), w.timeoutMs);
    let bookmarkTimer: NodeJS.Timeout | undefined;

    const send = (type: WatchEventType, object: unknown): void => {
      if (done) return;
      res.write(JSON.stringify({ type, object }) + '\n');
    };
    const sendObject = (type: 'ADDED' | 'MODIFIED' | 'DELETED', lease: Lease): void => {
      if (w.table) {
        const columns = firstTableEvent ? LEASE_COLUMNS : undefined;
        firstTableEvent = false;
        const row = leaseRow(lease, Date.now(), w.includeObject, w.table.apiVersion);
        send(type, table(w.table.apiVersion, columns, [row], lease.metadata.resourceVersion));
      } else {
        send(type, lease);
      }
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timeout);
      clearTimeout(bookmarkTimer);
      cancelEtcd?.();
      registry.delete(handle);
      res.end();
      resolve();
    };
    const handle: ActiveWatch = { stop: finish };
    registry.add(handle);
    res.on('close', finish);

    res.writeHead(200, {
      'Content-Type': w.table ? w.table.contentType : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();

    if (w.allowBookmarks) {
      const tick = (): void => {
        void safeBookmarkRevision(etcd, prefix, lastRv).then((rv) => {
          if (done) return;
          if (BigInt(rv) > BigInt(lastRv)) lastRv = rv;
          if (lastRv !== '0') send('BOOKMARK', bookmarkObject(lastRv));
          bookmarkTimer = setTimeout(tick, w.bookmarkIntervalMs);
        });
      };
      bookmarkTimer = setTimeout(tick, w.bookmarkIntervalMs);
    }

    const startEtcdWatch = (fromRevision: string): void => {
      const watch = etcd.watch(prefix, fromRevision, {
        onCreated: () => undefined,
        onEvents: (events) => {
          for (const ev of events) {
            if (BigInt(ev.kv.modRevision) > BigInt(lastRv)) lastRv = ev.kv.modRevision;
            const t = translate(ev, w.fields, w.labels);
            if (t) sendObject(t.type, t.object);
          }
        },
        onCompacted: (compactRevision) => {
          const status: Status = expired(w.resourceVersion, compactRevision);
          send('ERROR', status);
          finish();
        },
        onEnd: () => finish(),
      });
      cancelEtcd = () => watch.cancel();
    };

    if (lastRv !== '0') {
      startEtcdWatch(String(BigInt(lastRv) + 1n));
      return;
    }
    // No resourceVersion (or 0): the current state first, as ADDED events, then changes after it.
    etcd
      .range(prefix, { prefix: true })
      .then((r) => {
        if (done) return;
        for (const kv of r.kvs) {
          const where = parseStorageKey(kv.key);
          if (!where || !matchesFields(w.fields, where.name, where.namespace)) continue;
          const lease = decodeFromStorage(kv.value, kv.modRevision);
          if (matchesLabels(w.labels, lease.metadata.labels)) sendObject('ADDED', lease);
        }
        lastRv = r.revision;
        startEtcdWatch(String(BigInt(r.revision) + 1n));
      })
      .catch(() => finish());
  });
}
