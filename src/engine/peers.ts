/**
 * The addresses a partition cuts, per master: the peer and client URLs etcd's own member list
 * gives for that master's member (matched by the member id the master's status reports), not
 * the SSH address, which may sit on a management network that carries no peer traffic. Names
 * are resolved once, at plan time, so iptables never resolves a name on `-I`/`-C`/`-D`.
 */
import { isIP } from 'node:net';
import type { MemberInfo } from '../clients/etcd.js';
import { KhaError } from '../errors.js';

/** master name → IP addresses (v4 or v6) its peers reach it at */
export type PeerAddresses = Record<string, string[]>;

/** The host of a URL, without IPv6 brackets. */
export function hostOfUrl(url: string): string {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new KhaError('E_PEERS', `etcd member list has a URL that does not parse: ${url}`);
  }
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost';
}

/**
 * Each master's peer and client URL hosts (names or IPs, loopback left out: cutting it would cut
 * the master from itself), from the member whose id the master's own status reported.
 */
export function peerHostsOf(
  status: readonly { master: string; id?: string; error?: string }[],
  members: readonly MemberInfo[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of status) {
    if (!s.id)
      throw new KhaError(
        'E_PEERS',
        `cannot tell ${s.master}'s peer addresses: its etcd member did not answer${s.error ? ` (${s.error})` : ''}`,
        { hint: 'partition and heal take the addresses from etcd’s member list; start etcd on it first' },
      );
    const member = members.find((m) => m.id === s.id);
    if (!member) throw new KhaError('E_PEERS', `${s.master}'s etcd member ${s.id} is not in the member list`);
    const hosts = [...member.peerURLs, ...member.clientURLs].map(hostOfUrl).filter((h) => !isLoopback(h));
    if (hosts.length === 0)
      throw new KhaError(
        'E_PEERS',
        `${s.master}'s etcd member ${s.id} lists no non-loopback peer or client URL`,
      );
    out[s.master] = [...new Set(hosts)];
  }
  return out;
}

/** Resolves every name once; IP literals pass through. Order kept, duplicates dropped. */
export async function resolvePeerHosts(
  hosts: Record<string, string[]>,
  lookup: (name: string) => Promise<string[]>,
): Promise<PeerAddresses> {
  const out: PeerAddresses = {};
  for (const [master, list] of Object.entries(hosts)) {
    const addresses: string[] = [];
    for (const h of list) {
      let resolved: string[];
      if (isIP(h)) resolved = [h];
      else {
        try {
          resolved = await lookup(h);
        } catch (err) {
          throw new KhaError(
            'E_PEERS',
            `cannot resolve ${master}'s peer address ${h}: ${(err as Error).message}`,
            { hint: 'the name comes from etcd’s member list; it must resolve where kha-drill runs' },
          );
        }
      }
      for (const a of resolved) if (!isLoopback(a) && !addresses.includes(a)) addresses.push(a);
    }
    out[master] = addresses;
  }
  return out;
}

/** One line for the plan, the timeline and the report: `master-1 198.18.56.11, …`. */
export function describePeers(peers: PeerAddresses): string {
  return Object.entries(peers)
    .map(([m, a]) => `${m} ${a.join(' ')}`)
    .join(', ');
}
