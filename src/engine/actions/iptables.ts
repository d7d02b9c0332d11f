/**
 * The partition rules: on the isolated master, drop traffic from and to each peer, tagged with
 * the run's comment so heal finds exactly these. The lab's iptables shim takes the same text.
 */
import type { Master } from '../../config/schema.js';
import { shellJoin } from '../../ssh/quote.js';

export function partitionComment(runId: string): string {
  return `kha-drill:${runId}`;
}

/** The two rules (as iptables arguments after the chain) isolating one master from one peer. */
export function peerRules(peer: Master, runId: string): { chain: 'INPUT' | 'OUTPUT'; spec: string[] }[] {
  const comment = ['-j', 'DROP', '-m', 'comment', '--comment', partitionComment(runId)];
  return [
    { chain: 'INPUT', spec: ['-s', peer.host, ...comment] },
    { chain: 'OUTPUT', spec: ['-d', peer.host, ...comment] },
  ];
}

export function insertRule(chain: string, spec: string[]): string {
  return shellJoin(['iptables', '-w', '-I', chain, ...spec]);
}

/** Deletes every copy of the rule (`-D` while `-C` finds it). */
export function deleteRule(chain: string, spec: string[]): string {
  const check = shellJoin(['iptables', '-w', '-C', chain, ...spec]);
  const del = shellJoin(['iptables', '-w', '-D', chain, ...spec]);
  return `while ${check} 2>/dev/null; do ${del} || exit 1; done`;
}

/** Exits 0 only when iptables says the rule is absent (status 1), not on other errors. */
export function ruleAbsent(chain: string, spec: string[]): string {
  return `{ ${shellJoin(['iptables', '-w', '-C', chain, ...spec])} 2>/dev/null; [ $? -eq 1 ]; }`;
}

export function healCommands(peers: Master[], runId: string): { command: string; verify: string } {
  const rules = peers.flatMap((p) => peerRules(p, runId));
  return {
    command: rules.map((r) => deleteRule(r.chain, r.spec)).join('; '),
    verify: rules.map((r) => ruleAbsent(r.chain, r.spec)).join(' && '),
  };
}
