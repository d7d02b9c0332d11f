/**
 * The inventory's SSH tunnels as routes for the clients: each endpoint is dialled over the SSH
 * connection the run already holds to the master that carries it (its own master for etcd and
 * the API server), taken from the pool on each new connection, so a dropped SSH connection is
 * re-opened by the next poll and the tunnel with it. While it is down the clients' requests fail
 * and the watchers report blindness as for any unreachable endpoint.
 */
import type { Duplex } from 'node:stream';
import { tunnelEndpoints, type TunnelEndpoint } from '../config/reach.js';
import type { Inventory } from '../config/schema.js';
import type { TunnelRoute } from '../clients/tunnel-routes.js';
import { errorMessage } from '../errors.js';

/** Opens one channel to `host:port` over the SSH connection to `master`. */
export type ChannelOpener = (master: string, host: string, port: number) => Promise<Duplex>;

/** One route per tunnelled `host:port`. */
export function tunnelRoutesOf(
  inventory: Pick<Inventory, 'ssh' | 'masters' | 'kubernetes'>,
  open: ChannelOpener,
): Map<string, TunnelRoute> {
  const routes = new Map<string, TunnelRoute>();
  for (const e of tunnelEndpoints(inventory)) {
    routes.set(e.origin, {
      via: `SSH tunnel through ${e.via}`,
      dial: (host, port) => open(e.via, host, port),
    });
  }
  return routes;
}

/**
 * Opens and closes one channel per tunnelled endpoint; resolves with one line per endpoint that
 * could not be reached, naming the master, the endpoint and its port.
 */
export async function tunnelFailures(
  inventory: Pick<Inventory, 'ssh' | 'masters' | 'kubernetes'>,
  open: ChannelOpener,
  timeoutMs = 10_000,
): Promise<string[]> {
  const tryOne = async (e: TunnelEndpoint): Promise<string | null> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no channel within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const stream = await Promise.race([open(e.via, e.host, e.port), late]);
      stream.destroy();
      return null;
    } catch (err) {
      // the channel's own reason (sshd's "Connection refused"), not the wrapper that repeats the target
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      return `${e.what} ${e.url}: port ${e.port} over the SSH connection to ${e.via}: ${errorMessage(cause)}`;
    } finally {
      clearTimeout(timer);
    }
  };
  const all = await Promise.all(tunnelEndpoints(inventory).map(tryOne));
  return all.filter((x): x is string => x !== null);
}
