/** `kha-drill lab up|down|status|env`: the local practice control plane (DESIGN.md §5). */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { RegisterCommand } from '../index.js';
import type { Context } from '../../context.js';
import { ExitCode, KhaError, UsageError } from '../../errors.js';
import { envLines } from '../../lab/files.js';
import { labDown } from '../../lab/down.js';
import { parseIpv4, type LabOptions } from '../../lab/layout.js';
import { readState } from '../../lab/state.js';
import { formatStatus, labStatus } from '../../lab/status.js';
import { labUp } from '../../lab/up.js';

function labDir(ctx: Context, flag: string | undefined): string {
  return path.resolve(ctx.cwd, flag ?? ctx.env.KHA_LAB_DIR ?? '.kha-lab');
}

const dirOption = (): Option =>
  new Option('--dir <dir>', 'lab directory (default: KHA_LAB_DIR, else .kha-lab in the current directory)');

function ip(flag: string, value: string): string {
  if (!parseIpv4(value) || !value.startsWith('127.'))
    throw new UsageError(`${flag} must be a loopback IPv4 address (127.x.y.z), got ${value}`);
  return value;
}

function integer(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} must be a whole number, got ${value}`);
  return n;
}

function noLab(dir: string): KhaError {
  return new KhaError('E_NO_LAB', ExitCode.BadInput, `no lab in ${dir} (no lab.json)`, {
    hint: 'start one with kha-drill lab up',
  });
}

interface UpFlags {
  masters: string;
  tls?: boolean;
  dir?: string;
  firstIp: string;
  lbIp: string;
  sshPort: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

export const registerLab: RegisterCommand = (program: Command, ctx: Context, setExit) => {
  const lab = program
    .command('lab')
    .description('the local practice control plane: real etcd, sshd and HAProxy on loopback');

  lab
    .command('up')
    .description(
      'start a lab: N masters (etcd, sshd, API server, scheduler, controller-manager) behind HAProxy',
    )
    .option('--masters <n>', 'number of masters', '3')
    .option('--tls', 'etcd with client certificates and the API over HTTPS with a lab CA')
    .addOption(dirOption())
    .option('--first-ip <ip>', 'address of master-1; the others follow', '127.0.10.1')
    .option('--lb-ip <ip>', 'address of the load balancer', '127.0.10.100')
    .option('--ssh-port <port>', "sshd's port on every master (≥1024 without root)", '22')
    .option('--lease-duration <d>', 'leader election lease duration', '15s')
    .option('--renew-deadline <d>', 'leader election renew deadline', '10s')
    .option('--retry-period <d>', 'leader election retry period', '2s')
    .action(async (flags: UpFlags) => {
      const opts: LabOptions = {
        masters: integer('--masters', flags.masters),
        tls: Boolean(flags.tls),
        dir: labDir(ctx, flags.dir),
        firstIp: ip('--first-ip', flags.firstIp),
        lbIp: ip('--lb-ip', flags.lbIp),
        sshPort: integer('--ssh-port', flags.sshPort),
        leaseDuration: flags.leaseDuration,
        renewDeadline: flags.renewDeadline,
        retryPeriod: flags.retryPeriod,
        root: process.getuid?.() === 0,
      };
      await labUp(opts, ctx);
      setExit(ExitCode.Ok);
    });

  lab
    .command('down')
    .description('stop every lab process (by pid), remove its iptables rules; logs are kept')
    .addOption(dirOption())
    .option('--purge', 'also remove the lab directory')
    .action(async (flags: { dir?: string; purge?: boolean }) => {
      const dir = labDir(ctx, flags.dir);
      const r = await labDown(dir, { purge: Boolean(flags.purge) });
      for (const s of r.stopped) ctx.stdout.write(`stopped ${s.component} (pid ${s.pid})\n`);
      if (r.chainsLeft.length > 0 || r.listenersLeft.length > 0) {
        throw new KhaError(
          'E_LAB_DOWN',
          ExitCode.Infrastructure,
          `lab down left ${[...r.listenersLeft.map((l) => `a listener ${l}`), ...r.chainsLeft.map((c) => `iptables ${c}`)].join('; ')}`,
        );
      }
      ctx.stdout.write(
        `lab down: ${r.stopped.length} processes stopped${flags.purge ? `, ${dir} removed` : `; logs kept in ${dir}/logs`}\n`,
      );
      setExit(ExitCode.Ok);
    });

  lab
    .command('status')
    .description('each component per master: up/down and pid, etcd role and term, Lease holders')
    .addOption(dirOption())
    .option('--json', 'machine-readable output')
    .action(async (flags: { dir?: string; json?: boolean }) => {
      const dir = labDir(ctx, flags.dir);
      const status = await labStatus(dir);
      if (!status) throw noLab(dir);
      ctx.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      setExit(ExitCode.Ok);
    });

  lab
    .command('env')
    .description('export lines for KUBECONFIG, KHA_INVENTORY and etcdctl')
    .addOption(dirOption())
    .action((flags: { dir?: string }) => {
      const dir = labDir(ctx, flags.dir);
      const state = readState(dir);
      if (!state) throw noLab(dir);
      ctx.stdout.write(envLines(state.options, state.masters).join('\n') + '\n');
      setExit(ExitCode.Ok);
    });
};
