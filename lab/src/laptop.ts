/**
 * Commands on the laptop side: inside the `kha-laptop` network namespace, the only place from
 * which a lab is reachable. A process already inside it runs them directly.
 */
import { execa, type Options, type Result } from 'execa';
import { LAPTOP_NETNS } from './layout.js';
import { inLaptop } from './net.js';

export function laptopArgv(argv: string[]): string[] {
  return inLaptop() ? argv : ['ip', 'netns', 'exec', LAPTOP_NETNS, ...argv];
}

export async function onLaptop(argv: string[], opts: Options = {}): Promise<Result> {
  const [cmd, ...args] = laptopArgv(argv) as [string, ...string[]];
  return execa(cmd, args, { reject: false, stdin: 'ignore', timeout: 30_000, ...opts }) as Promise<Result>;
}
