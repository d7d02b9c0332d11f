/**
 * `kha-drill lab up|down|status|env|exec`: the user's door to the lab (DESIGN.md §5). The lab is a
 * part of its own (lab/, its own entry kha-lab); the product never imports it, this command runs
 * it as a program and passes its output and exit code through.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { RegisterCommand } from '../types.js';
import { ExitCode, KhaError } from '../../errors.js';
import { STOP_SIGNALS } from '../../context.js';

/** dist/commands/lab → the package root → lab/bin/kha-lab.js */
const LAB_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'lab',
  'bin',
  'kha-lab.js',
);
const LAB_MAIN = path.resolve(path.dirname(LAB_BIN), '..', 'dist', 'cli.js');

export const registerLab: RegisterCommand = (program: Command, ctx, setExit) => {
  program
    .command('lab')
    .description(
      'the local lab: a real HA control plane (upstream Kubernetes, etcd, systemd hosts, HAProxy); up|down|status|env|exec',
    )
    .argument('[args...]', 'a lab command and its options (kha-drill lab --help)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      if (!existsSync(LAB_BIN) || !existsSync(LAB_MAIN)) {
        throw new KhaError(
          'E_NO_LAB',
          `the lab is not here (${LAB_MAIN} is missing): it ships with kha-drill's source repository; run npm run build there`,
        );
      }
      const inherit = ctx.stdout.isTTY || process.env.KHA_LAB_INHERIT === '1';
      const child = spawn(process.execPath, [LAB_BIN, ...(args.length > 0 ? args : ['--help'])], {
        cwd: ctx.cwd,
        env: ctx.env,
        stdio: inherit ? 'inherit' : ['inherit', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => ctx.stdout.write(d.toString()));
      child.stderr?.on('data', (d: Buffer) => ctx.stderr.write(d.toString()));
      const off = STOP_SIGNALS.map((s) => ctx.onSignal(s, () => child.kill(s)));
      const code = await new Promise<number>((resolve) => {
        child.on('error', () => resolve(ExitCode.Infrastructure));
        child.on('close', (c, sig) => resolve(c ?? (sig === 'SIGINT' ? 130 : ExitCode.Infrastructure)));
      });
      for (const f of off) f();
      setExit(code);
    });
};
