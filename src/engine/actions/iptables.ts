/**
 * The partition rules: on the isolated master, drop traffic from and to each peer address, tagged
 * with the run's comment so heal finds exactly these. IPv6 addresses go to ip6tables. Addresses
 * are IP literals resolved at plan time (engine/peers.ts), so iptables never resolves a name.
 * The lab's iptables shim takes the same text.
 */
import { isIP } from 'node:net';
import type { Master } from '../../config/schema.js';
import { shellJoin } from '../../ssh/quote.js';
import type { RenderContext } from '../types.js';

export interface Rule {
  bin: 'iptables' | 'ip6tables';
  chain: 'INPUT' | 'OUTPUT';
  spec: string[];
}

export function partitionComment(runId: string): string {
  return `kha-drill:${runId}`;
}

/**
 * The addresses a master's peers reach it at: the plan's resolved ones (etcd's member list), or
 * the inventory host where the context has none (unit tests' fake views).
 */
export function addressesOf(peer: Master, ctx: Pick<RenderContext, 'peers'>): string[] {
  return ctx.peers?.[peer.name] ?? [peer.host];
}

/** The two rules isolating one master from one peer address. */
export function peerRules(address: string, runId: string): Rule[] {
  const bin = isIP(address) === 6 ? 'ip6tables' : 'iptables';
  const comment = ['-j', 'DROP', '-m', 'comment', '--comment', partitionComment(runId)];
  return [
    { bin, chain: 'INPUT', spec: ['-s', address, ...comment] },
    { bin, chain: 'OUTPUT', spec: ['-d', address, ...comment] },
  ];
}

export function insertRule(r: Rule): string {
  return shellJoin([r.bin, '-w', '-I', r.chain, ...r.spec]);
}

/** Deletes every copy of the rule (`-D` while `-C` finds it). */
export function deleteRule(r: Rule): string {
  const check = shellJoin([r.bin, '-w', '-C', r.chain, ...r.spec]);
  const del = shellJoin([r.bin, '-w', '-D', r.chain, ...r.spec]);
  return `while ${check} 2>/dev/null; do ${del} || exit 1; done`;
}

/** Exits 0 only when iptables says the rule is absent (status 1), not on other errors. */
export function ruleAbsent(r: Rule): string {
  return `{ ${shellJoin([r.bin, '-w', '-C', r.chain, ...r.spec])} 2>/dev/null; [ $? -eq 1 ]; }`;
}

export function rulesFor(peers: Master[], ctx: Pick<RenderContext, 'peers' | 'runId'>): Rule[] {
  return peers.flatMap((p) => addressesOf(p, ctx).flatMap((a) => peerRules(a, ctx.runId)));
}

export function healCommands(
  peers: Master[],
  ctx: Pick<RenderContext, 'peers' | 'runId'>,
): { command: string; verify: string } {
  const rules = rulesFor(peers, ctx);
  return {
    command: rules.map(deleteRule).join('; '),
    verify: rules.map(ruleAbsent).join(' && '),
  };
}
