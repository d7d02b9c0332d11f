/**
 * Commands on the laptop side: inside the `kha-laptop` network namespace, the only place from
 * which a lab is reachable. A process already inside it runs them directly.
 */
import { execa, type Options, type Result } from 'execa';
import { LAPTOP_NETNS } from './layout.js';
import { inLaptop } from './net.js';

/**
 * `nsenter --net`, not `ip netns exec`: the latter also gives the command a mount namespace of its
 * own with a fresh /sys, where the cgroup hierarchies are missing (nspawn then fails with "Failed
 * to determine whether the unified cgroups hierarchy is used") and mounts made stay invisible to
 * the machine. Only the network namespace changes here.
 */
export function inNetns(netns: string, argv: string[]): string[] {
  return ['nsenter', `--net=/run/netns/${netns}`, '--', ...argv];
}

export function laptopArgv(argv: string[]): string[] {
  return inLaptop() ? argv : inNetns(LAPTOP_NETNS, argv);
}

export async function onLaptop(argv: string[], opts: Options = {}): Promise<Result> {
  const [cmd, ...args] = laptopArgv(argv) as [string, ...string[]];
  return execa(cmd, args, { reject: false, stdin: 'ignore', timeout: 30_000, ...opts }) as Promise<Result>;
}
