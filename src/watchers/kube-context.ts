/** The connections a watcher uses: the context's overrides, else what the inventory names. */
import { etcdTlsFor, kubeConnectionFor } from '../clients/inventory.js';
import type { KubeConnection } from '../clients/kubeconfig.js';
import type { TlsMaterial } from '../clients/tls.js';
import type { WatcherContext } from './types.js';

export function kubeConnectionOf(ctx: WatcherContext): KubeConnection {
  return ctx.kube ?? kubeConnectionFor(ctx.inventory, ctx.env);
}

export function etcdTlsOf(ctx: WatcherContext): TlsMaterial {
  return ctx.etcdTls ?? etcdTlsFor(ctx.inventory);
}
