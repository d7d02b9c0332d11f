/**
 * Which endpoints kha-drill reaches through an SSH tunnel, and over whose connection: a master's
 * etcd and API server over the connection to that same master (a tunnel through a peer would be
 * cut by a partition drill), the load balancer over the master `kubernetes.loadBalancerVia` names.
 */
import type { Inventory, Master } from './schema.js';

export type Reach = 'direct' | 'ssh-tunnel';

export function reachOf(inv: Pick<Inventory, 'ssh'>, m: Pick<Master, 'reach'>): Reach {
  return m.reach ?? inv.ssh.reach;
}

/** `host:port` of a URL, lower-case, default port filled in, IPv6 without brackets. */
export function originOf(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
}

export interface TunnelEndpoint {
  /** the master whose SSH connection carries it */
  via: string;
  what: 'etcd' | 'API server' | 'load balancer';
  /** the URL as the inventory gives it: TLS is checked against its host */
  url: string;
  /** what the far end dials: the URL's host and port as the master sees them */
  host: string;
  port: number;
  origin: string;
}

function endpoint(via: string, what: TunnelEndpoint['what'], url: string): TunnelEndpoint {
  const u = new URL(url);
  const origin = originOf(u);
  const port = Number(origin.slice(origin.lastIndexOf(':') + 1));
  return { via, what, url, host: u.hostname.replace(/^\[|\]$/g, ''), port, origin };
}

/** Every endpoint the inventory reaches through a tunnel, in inventory order. */
export function tunnelEndpoints(inv: Pick<Inventory, 'ssh' | 'masters' | 'kubernetes'>): TunnelEndpoint[] {
  const out: TunnelEndpoint[] = [];
  for (const m of inv.masters) {
    if (reachOf(inv, m) !== 'ssh-tunnel') continue;
    out.push(endpoint(m.name, 'etcd', m.etcd), endpoint(m.name, 'API server', m.apiserver));
  }
  const via = inv.kubernetes.loadBalancerVia;
  if (via) out.push(endpoint(via, 'load balancer', inv.kubernetes.loadBalancer));
  return out;
}

/**
 * Endpoints are routed by `host:port`: a tunnelled one that shares it with another endpoint
 * (every master's etcd at https://127.0.0.1:2379, say) would be ambiguous. One message each.
 */
export function tunnelClashes(inv: Pick<Inventory, 'ssh' | 'masters' | 'kubernetes'>): string[] {
  const all: { label: string; origin: string }[] = [];
  for (const m of inv.masters)
    all.push(
      { label: `masters[${m.name}].etcd`, origin: originOf(m.etcd) },
      { label: `masters[${m.name}].apiserver`, origin: originOf(m.apiserver) },
    );
  all.push({ label: 'kubernetes.loadBalancer', origin: originOf(inv.kubernetes.loadBalancer) });
  const tunnelled = new Set(tunnelEndpoints(inv).map((e) => e.origin));
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const e of all) {
    const first = seen.get(e.origin);
    if (first === undefined) seen.set(e.origin, e.label);
    else if (tunnelled.has(e.origin))
      out.push(
        `${e.label} and ${first} are both ${e.origin}: with ssh-tunnel each endpoint needs its own host:port (use the address each master has on its network)`,
      );
  }
  return out;
}
