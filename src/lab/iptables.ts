/**
 * The lab's own iptables state: one chain KHA-LAB-<octet> per master, hooked from OUTPUT by
 * `lab up` and removed (with every rule in it) by `lab down`. Chain names are global to the
 * machine, so each hook's comment names the lab dir that owns it, and `lab down` of one lab never
 * removes the chains of another lab on the same addresses.
 */
import { spawnSync } from 'node:child_process';
import { chainName, type LabMaster } from './layout.js';

function iptables(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() };
}

export function hookComment(dir: string): string {
  return `kha-drill lab ${dir}`;
}

interface Hook {
  chain: string;
  comment: string | undefined;
  /** the rule's arguments after `-A OUTPUT`, ready for `-D OUTPUT …` */
  args: string[];
}

/** OUTPUT rules jumping to a KHA-LAB-<n> chain. */
function hooks(): Hook[] {
  const found: Hook[] = [];
  for (const line of iptables(['-S', 'OUTPUT']).out.split('\n')) {
    const m = /^-A OUTPUT (.*-j (KHA-LAB-\d+))$/.exec(line.trim());
    if (!m) continue;
    // the saved form quotes the comment; split it back into arguments
    const args =
      (m[1] as string)
        .match(/"(?:[^"\\]|\\.)*"|\S+/g)
        ?.map((a) => (a.startsWith('"') ? a.slice(1, -1) : a)) ?? [];
    const i = args.indexOf('--comment');
    found.push({ chain: m[2] as string, comment: i >= 0 ? args[i + 1] : undefined, args });
  }
  return found;
}

/** Creates (or empties) each master's chain and hooks it from OUTPUT for the lab at `dir`. */
export function createChains(masters: LabMaster[], dir: string): string[] {
  const chains = masters.map((m) => chainName(m.octet));
  // hooks left by a lab that died without `lab down` (its addresses are free, or up refused)
  for (const h of hooks().filter((x) => chains.includes(x.chain))) iptables(['-D', 'OUTPUT', ...h.args]);
  for (const chain of chains) {
    if (!iptables(['-N', chain]).ok) iptables(['-F', chain]);
    const r = iptables(['-I', 'OUTPUT', '-m', 'comment', '--comment', hookComment(dir), '-j', chain]);
    if (!r.ok) throw new Error(`iptables: cannot hook ${chain} from OUTPUT: ${r.err}`);
  }
  return chains;
}

/**
 * Removes the hooks the lab at `dir` added and the chains they led to (with every rule in
 * them); returns the rules of those chains still present (should be none).
 */
export function removeChains(chains: string[], dir: string): string[] {
  const all = hooks();
  // 'kha-drill lab' alone: hooks made before comments named the dir
  const mine = (h: Hook): boolean => h.comment === hookComment(dir) || h.comment === 'kha-drill lab';
  const ours = all.filter((h) => mine(h) && chains.includes(h.chain));
  for (const h of ours) iptables(['-D', 'OUTPUT', ...h.args]);
  // a chain another lab hooked is that lab's now; an unhooked one of ours is a half-made up
  const foreign = new Set(all.filter((h) => !mine(h)).map((h) => h.chain));
  const removable = chains.filter((c) => !foreign.has(c));
  for (const chain of removable) {
    iptables(['-F', chain]);
    iptables(['-X', chain]);
  }
  const left = iptables(['-S']).out.split('\n');
  // KHA-LAB-2 must not match another lab's KHA-LAB-21
  return left.filter((l) => removable.some((c) => new RegExp(`${c}(?!\\d)`).test(l)));
}
