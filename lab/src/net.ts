/**
 * The lab's network: a switch namespace with a bridge, one namespace per host joined to it by a
 * veth pair, and the laptop's leg in the shared `kha-laptop` namespace. No route but the lab's
 * own /24 is ever added anywhere, so nothing a lab host or the laptop sends can leave the machine.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { LAPTOP_NETNS, PEER_PREFIX_LENGTH, type LabHost } from './layout.js';

const NETNS_DIR = '/run/netns';

async function ip(args: string[]): Promise<string> {
  const r = await execa('ip', args, { stdin: 'ignore' });
  return r.stdout;
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

export function listNetns(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : [];
}

/** Creates a namespace with only `lo`, up. */
export async function addNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await ip(['netns', 'add', name]);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function delNetns(name: string): Promise<void> {
  if (netnsExists(name)) await execa('ip', ['netns', 'del', name], { reject: false });
}

export async function ensureLaptop(): Promise<void> {
  await addNetns(LAPTOP_NETNS);
}

export async function addSwitch(netns: string): Promise<void> {
  await addNetns(netns);
  await ip(['-n', netns, 'link', 'add', 'br0', 'type', 'bridge']);
  await ip(['-n', netns, 'link', 'set', 'br0', 'up']);
}

/**
 * Joins `host` to the switch: `eth0` (or, in the shared laptop namespace, a veth named after the
 * lab) with the host's address in the lab's /24, its peer on the bridge.
 */
export async function plug(host: LabHost, switchNs: string, labName: string): Promise<void> {
  const inner = host.netns === LAPTOP_NETNS ? labName : 'eth0';
  await vethToBridge(host.netns, inner, `${host.address}/24`, switchNs, host.port);
}

/**
 * Joins a master to the lab's peer network (`lab up --peer-net`): `eth1` with its peer address,
 * the other end on the peer switch's bridge. No route but the /28 itself is added, and the laptop
 * has no leg on it: only the masters reach it.
 */
export async function plugPeer(host: LabHost, peerSwitchNs: string): Promise<void> {
  if (!host.peerAddress) throw new Error(`${host.name} has no peer address`);
  await vethToBridge(
    host.netns,
    'eth1',
    `${host.peerAddress}/${PEER_PREFIX_LENGTH}`,
    peerSwitchNs,
    `${host.port}p`,
  );
}

/** A veth pair: `inner` in `netns` with `cidr`, `outer` in `switchNs` on its bridge `br0`. */
async function vethToBridge(
  netns: string,
  inner: string,
  cidr: string,
  switchNs: string,
  outer: string,
): Promise<void> {
  await ip([
    'link',
    'add',
    'name',
    inner,
    'netns',
    netns,
    'type',
    'veth',
    'peer',
    'name',
    outer,
    'netns',
    switchNs,
  ]);
  await ip(['-n', netns, 'addr', 'add', cidr, 'dev', inner]);
  // `dev`: a lab named like a prefix of an ip keyword (`li` → `link`) is not taken for one
  await ip(['-n', netns, 'link', 'set', 'dev', inner, 'up']);
  await ip(['-n', switchNs, 'link', 'set', outer, 'master', 'br0']);
  await ip(['-n', switchNs, 'link', 'set', outer, 'up']);
}

/** Removes the laptop's leg into one lab (the rest goes with the lab's namespaces). */
export async function unplugLaptop(labName: string): Promise<void> {
  if (netnsExists(LAPTOP_NETNS)) {
    await execa('ip', ['-n', LAPTOP_NETNS, 'link', 'del', 'dev', labName], { reject: false });
  }
}

/** Addresses the laptop namespace holds, by interface (to find a subnet already in use). */
export async function laptopAddresses(): Promise<Array<{ dev: string; address: string }>> {
  if (!netnsExists(LAPTOP_NETNS)) return [];
  const out = await ip(['-n', LAPTOP_NETNS, '-4', '-o', 'addr', 'show']);
  return out
    .split('\n')
    .map((l) => /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+([\d.]+)\//.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ dev: m[1] as string, address: m[2] as string }))
    .filter((a) => a.dev !== 'lo');
}

function nsInode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Pids of processes inside the network namespace `name` (by the inode of their ns link). */
export function processesIn(name: string): number[] {
  const ino = nsInode(`${NETNS_DIR}/${name}`);
  if (ino === undefined) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const link = readlinkSync(`/proc/${entry}/ns/net`);
      if (link === `net:[${ino}]`) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** True when this process runs inside the laptop namespace. */
export function inLaptop(): boolean {
  const ino = nsInode(`${NETNS_DIR}/${LAPTOP_NETNS}`);
  if (ino === undefined) return false;
  try {
    return readlinkSync('/proc/self/ns/net') === `net:[${ino}]`;
  } catch {
    return false;
  }
}

/** The laptop namespace goes when no lab is plugged into it and no process lives in it. */
export async function dropLaptopIfUnused(): Promise<boolean> {
  if (!netnsExists(LAPTOP_NETNS)) return true;
  if ((await laptopAddresses()).length > 0) return false;
  if (processesIn(LAPTOP_NETNS).length > 0) return false;
  await delNetns(LAPTOP_NETNS);
  return true;
}

/** Is `dev`'s default route absent? (the lab's namespaces never get one) */
export function hasDefaultRoute(netns: string): Promise<boolean> {
  return ip(['-n', netns, 'route', 'show', 'default']).then((s) => s.trim().length > 0);
}

export const readProc = (pid: number, file: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
};
