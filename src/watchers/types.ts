/** What every watcher gets and returns. Watchers only append events to the timeline. */
import type { Inventory } from '../config/schema.js';
import type { KubeConnection } from '../clients/kubeconfig.js';
import type { TlsMaterial } from '../clients/tls.js';
import type { NewEvent } from '../timeline/events.js';
import type { EventSink } from '../timeline/timeline.js';

export interface WatcherContext {
  timeline: EventSink;
  inventory: Inventory;
  /** names the etcd write probe's keys: `/kha-drill/probe/<runId>/<n>` */
  runId: string;
  env: Record<string, string | undefined>;
  /** overrides the connection read from the inventory's kubeconfig (tests, status) */
  kube?: KubeConnection;
  /** overrides the etcd TLS read from the inventory's etcd.tls files */
  etcdTls?: TlsMaterial;
}

/** Stops the watcher; resolves once its last event is appended and its connections are closed. */
export type StopWatcher = () => Promise<void>;

export interface WatcherDefinition<Spec> {
  description: string;
  start(spec: Spec, ctx: WatcherContext): StopWatcher;
  /** the subject an event of this watcher first shows (a Lease, a master), else null */
  seen(event: NewEvent): string | null;
  /** how many subjects it must have seen once to be ready */
  subjects(spec: Spec, ctx: WatcherContext): number;
}
