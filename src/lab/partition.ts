/**
 * Partitions on loopback. Every lab connection comes from 127.0.0.1, so addresses cannot tell
 * senders apart; each master's processes run as their own uid instead, and a master's plain
 * iptables rules become owner-matched rules in its chain KHA-LAB-<octet> (hooked from OUTPUT,
 * which all loopback traffic passes):
 *   on X: -I INPUT  -s P -j DROP  →  -d X -m owner --uid-owner uid(P) -j DROP
 *   on X: -I OUTPUT -d P -j DROP  →  -d P -m owner --uid-owner uid(X) -j DROP
 * Pure: parsing and translation only (the `iptables` shim runs the result).
 */
import { chainName, parseIpv4, UID_BASE } from './layout.js';

export interface PartitionRule {
  op: 'I' | 'A' | 'D' | 'C';
  chain: 'INPUT' | 'OUTPUT';
  position?: number;
  /** the other master's address */
  peer: string;
  comment?: string;
}

export type IptablesCommand = PartitionRule | { op: 'S'; chain?: 'INPUT' | 'OUTPUT' };

export interface ShimMaster {
  address: string;
  octet: number;
}

export const SUPPORTED_FORMS =
  'iptables [-w] -I|-A|-D|-C INPUT -s <addr> -j DROP [-m comment --comment <c>], ' +
  'iptables [-w] -I|-A|-D|-C OUTPUT -d <addr> -j DROP [-m comment --comment <c>], iptables -S [INPUT|OUTPUT]';

function stripMask(addr: string): string | undefined {
  const bare = addr.endsWith('/32') ? addr.slice(0, -3) : addr;
  return parseIpv4(bare) ? bare : undefined;
}

/** Parses the plain commands the engine sends; throws Error naming the supported forms otherwise. */
export function parseIptables(argv: string[]): IptablesCommand {
  const bad = (why: string): Error => new Error(`${why}; the lab supports only: ${SUPPORTED_FORMS}`);
  let op: IptablesCommand['op'] | undefined;
  let chain: string | undefined;
  let position: number | undefined;
  let source: string | undefined;
  let dest: string | undefined;
  let target: string | undefined;
  let comment: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw bad(`option ${a} requires a value`);
      return v;
    };
    switch (a) {
      case '-w':
      case '--wait':
        if (/^\d+$/.test(argv[i + 1] ?? '')) i++;
        break;
      case '-t':
      case '--table':
        if (value() !== 'filter') throw bad('only the filter table');
        break;
      case '-I':
      case '--insert':
      case '-A':
      case '--append':
      case '-D':
      case '--delete':
      case '-C':
      case '--check':
      case '-S':
      case '--list-rules': {
        if (op) throw bad('one command at a time');
        op = (
          a.startsWith('--')
            ? { insert: 'I', append: 'A', delete: 'D', check: 'C', 'list-rules': 'S' }[a.slice(2)]
            : a[1]
        ) as IptablesCommand['op'];
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('-')) {
          chain = next;
          i++;
          if (op === 'I' && /^\d+$/.test(argv[i + 1] ?? '')) position = Number(argv[++i]);
        }
        break;
      }
      case '-s':
      case '--source':
        source = value();
        break;
      case '-d':
      case '--destination':
        dest = value();
        break;
      case '-j':
      case '--jump':
        target = value();
        break;
      case '-m':
      case '--match':
        if (value() !== 'comment') throw bad('only the comment match');
        break;
      case '--comment':
        comment = value();
        break;
      default:
        throw bad(`unsupported argument '${a}'`);
    }
  }
  if (!op) throw bad('no command');
  if (op === 'S') {
    if (chain !== undefined && chain !== 'INPUT' && chain !== 'OUTPUT') throw bad(`unknown chain ${chain}`);
    return chain ? { op, chain } : { op };
  }
  if (target !== 'DROP') throw bad('only -j DROP');
  let peer: string | undefined;
  if (chain === 'INPUT') {
    if (dest !== undefined || source === undefined) throw bad('INPUT rules take -s <addr> only');
    peer = stripMask(source);
  } else if (chain === 'OUTPUT') {
    if (source !== undefined || dest === undefined) throw bad('OUTPUT rules take -d <addr> only');
    peer = stripMask(dest);
  } else {
    throw bad(`unsupported chain ${chain ?? '(none)'}`);
  }
  if (!peer) throw bad('an IPv4 address is expected');
  const rule: PartitionRule = { op, chain, peer };
  if (position !== undefined) rule.position = position;
  if (comment !== undefined) rule.comment = comment;
  return rule;
}

function uidOf(address: string): number {
  return UID_BASE + (parseIpv4(address) as number[])[3]!;
}

/** Arguments for the real iptables that apply `rule` on master `x`. */
export function translate(rule: PartitionRule, x: ShimMaster): string[] {
  const args = ['-w', `-${rule.op}`, chainName(x.octet)];
  if (rule.position !== undefined) args.push(String(rule.position));
  if (rule.chain === 'INPUT')
    args.push('-d', `${x.address}/32`, '-m', 'owner', '--uid-owner', String(uidOf(rule.peer)));
  else args.push('-d', `${rule.peer}/32`, '-m', 'owner', '--uid-owner', String(uidOf(x.address)));
  if (rule.comment !== undefined) args.push('-m', 'comment', '--comment', rule.comment);
  args.push('-j', 'DROP');
  return args;
}

const SAVED_RULE =
  /^-A (\S+) -d (\d+\.\d+\.\d+\.\d+)\/32 -m owner --uid-owner (\d+)( -m comment --comment (?:"(?:[^"\\]|\\.)*"|\S+))? -j DROP$/;

/**
 * One line of `iptables -S KHA-LAB-<x>` back in the form the engine wrote it (as `iptables -S`
 * prints rules); undefined for lines that are not partition rules.
 */
export function untranslate(line: string, x: ShimMaster): string | undefined {
  const m = SAVED_RULE.exec(line.trim());
  if (!m || m[1] !== chainName(x.octet)) return undefined;
  const [, , dest, uid, comment = ''] = m;
  const prefix = x.address.split('.').slice(0, 3).join('.');
  if (dest === x.address && Number(uid) !== uidOf(x.address)) {
    return `-A INPUT -s ${prefix}.${Number(uid) - UID_BASE}/32${comment} -j DROP`;
  }
  if (Number(uid) === uidOf(x.address)) return `-A OUTPUT -d ${dest}/32${comment} -j DROP`;
  return undefined;
}
