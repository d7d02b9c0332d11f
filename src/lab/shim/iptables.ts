/**
 * The lab's `iptables` (<dir>/bin/<master>/iptables runs this): the engine's plain partition
 * rules, applied as owner-matched rules in this master's chain (see ../partition.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chainName } from '../layout.js';
import { parseIptables, translate, untranslate, type ShimMaster } from '../partition.js';
import { readState } from '../state.js';

const REAL_IPTABLES = ['/usr/sbin/iptables', '/sbin/iptables'].find((p) => existsSync(p)) ?? 'iptables';

function fail(code: number, message: string): number {
  process.stderr.write(`iptables (kha lab): ${message}\n`);
  return code;
}

function main(argv: string[]): number {
  const master = process.env.KHA_LAB_MASTER;
  const dir = process.env.KHA_LAB_DIR;
  if (!master || !dir) return fail(2, 'KHA_LAB_MASTER and KHA_LAB_DIR must be set (this is the lab shim)');
  const state = readState(dir);
  const me = state?.masters.find((m) => m.name === master);
  if (!state || !me) return fail(2, `no lab master ${master} in ${dir}`);
  if (!state.options.root) {
    // exit 4 is what the real iptables returns without root
    return fail(
      4,
      'partitions need a lab started as root (per-master uids and iptables); this lab runs without them',
    );
  }
  let cmd;
  try {
    cmd = parseIptables(argv);
  } catch (err) {
    return fail(2, (err as Error).message);
  }
  const x: ShimMaster = { address: me.address, octet: me.octet };
  if (cmd.op === 'S') {
    const r = spawnSync(REAL_IPTABLES, ['-w', '-S', chainName(x.octet)], { encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      return r.status ?? 1;
    }
    const chains = cmd.chain ? [cmd.chain] : ['INPUT', 'OUTPUT'];
    const lines = r.stdout
      .split('\n')
      .map((l) => untranslate(l, x))
      .filter((l): l is string => l !== undefined);
    let out = cmd.chain ? '' : '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n';
    if (cmd.chain) out += `-P ${cmd.chain} ACCEPT\n`;
    for (const chain of chains)
      out += lines
        .filter((l) => l.startsWith(`-A ${chain} `))
        .map((l) => `${l}\n`)
        .join('');
    process.stdout.write(out);
    return 0;
  }
  const r = spawnSync(REAL_IPTABLES, translate(cmd, x), {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  // the real messages name the chain KHA-LAB-<n>; speak of the chain the engine wrote
  if (r.stderr) process.stderr.write(r.stderr.replaceAll(chainName(x.octet), cmd.chain));
  return r.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
