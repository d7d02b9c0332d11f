/**
 * `kha-drill recover [-i inv]`: replay the undo records a killed run left pending for the
 * inventory's cluster (newest first), verify each, and mark them done.
 * Exit 0 when nothing is pending any more; 5 when something could not be restored.
 */
import { hostname } from 'node:os';
import { delay } from '../../time/timer.js';
import type { Context } from '../../context.js';
import { ExitCode, UsageError } from '../../errors.js';
import { acquireRunLock, Journal, processAlive, readPendingJournal } from '../../engine/journal.js';
import { SshRemote } from '../../engine/live.js';
import { describeUndo } from '../../engine/describe.js';
import { describeSwitchDeadline, disarmSwitch } from '../../engine/dead-man-switch.js';
import { replayUndo } from '../../engine/restore.js';
import { describeArmedSwitches, listArmedSwitches } from '../../engine/armed-switches.js';
import { loadInventoryFor, sshEnvFor, type LoadedInventory } from '../../engine/session.js';
import type { Remote } from '../../engine/types.js';
import type { RegisterCommand } from '../types.js';

export interface RecoverOptions {
  inventory?: string;
  force?: boolean;
}

export const registerRecover: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('recover')
    .description('run the restore steps that a killed run left pending for this cluster')
    .option('-i, --inventory <file>', 'inventory (default: KHA_INVENTORY, then ./inventory.yaml)')
    .option('--force', 'recover even though the run that wrote the journal still seems to be running')
    .action(async (opts: RecoverOptions) => {
      setExit(await runRecover(ctx, opts));
    });
};

/** How recover reaches the masters (tests pass a fake). */
export type RemoteFactory = (ctx: Context, inv: LoadedInventory) => Remote;

const sshRemote: RemoteFactory = (ctx, inv) =>
  new SshRemote(
    inv.inventory,
    sshEnvFor(ctx, inv, (m) => ctx.stderr.write(`warning: ${m}\n`)),
  );

export async function runRecover(
  ctx: Context,
  opts: RecoverOptions,
  makeRemote: RemoteFactory = sshRemote,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<number> {
  const inv = loadInventoryFor(ctx, opts.inventory);
  const cluster = inv.inventory.metadata.name;
  const index = readPendingJournal(ctx.env, cluster);
  if (!index) {
    ctx.stdout.write(`nothing to recover for cluster ${cluster}\n`);
    return ExitCode.Ok;
  }
  if (index.host === hostname() && index.pid !== process.pid && processAlive(index.pid) && !opts.force) {
    throw new UsageError(
      `run ${index.runId} (pid ${index.pid}) that wrote this journal is still running; it restores by itself`,
      { hint: 'wait for it, or pass --force if that pid is not kha-drill' },
    );
  }
  // no run may start (or be running) on this cluster while its journal is replayed
  let release: (() => void) | undefined;
  try {
    release = acquireRunLock(ctx.env, cluster, `recover-${index.runId}`);
  } catch (err) {
    if (!opts.force) throw err;
  }
  const journal = Journal.resume(ctx.env, index);
  const pending = [...journal.pending()].reverse();
  ctx.stdout.write(
    `recovering cluster ${cluster}: ${pending.length} pending undo(s) from run ${index.runId} (drill ${index.drill}, journal ${index.journalFile})\n`,
  );
  const remote = makeRemote(ctx, inv);
  let failed = 0;
  try {
    for (const u of pending) {
      ctx.stdout.write(`- ${describeUndo(u)}: ${u.commands.join(' && ')}\n`);
      const deadline = describeSwitchDeadline(u, Date.now());
      if (deadline) ctx.stdout.write(`  ${deadline}\n`);
      if (u.commands.some((c) => c.includes('[REDACTED'))) {
        // secrets are never stored, so this undo cannot be replayed from the journal
        ctx.stdout.write(`  ✗ NOT replayed: it held a secret, which was not stored; run it by hand\n`);
        failed++;
        continue;
      }
      const r = await replayUndo(u, inv.inventory, remote, {
        sleep,
        onAttempt: (n, e) => ctx.stderr.write(`  attempt ${n} failed: ${e}\n`),
      });
      journal.mark(u.id, r.ok ? 'done' : 'failed', r.error);
      ctx.stdout.write(r.ok ? `  ✓ restored and verified\n` : `  ✗ NOT restored: ${r.error}\n`);
      if (r.ok && u.switch) {
        const left = await disarmSwitch(remote, inv.inventory, u);
        ctx.stdout.write(
          left
            ? `  ! could not disarm its dead-man's switch ${u.switch.unit}: ${left}\n`
            : `  ✓ its dead-man's switch ${u.switch.unit} is disarmed (or had already fired)\n`,
        );
      }
      if (!r.ok) failed++;
    }
    // whoever armed them (this run, another machine): what is still set to heal by itself
    const armed = describeArmedSwitches(await listArmedSwitches(remote, inv.inventory));
    ctx.stdout.write(
      armed.length
        ? `dead-man's switches on the masters:\n${armed.map((l) => `  ${l}\n`).join('')}`
        : `no dead-man's switch is armed on any master\n`,
    );
  } finally {
    await remote.close();
    journal.close();
    release?.();
  }
  if (failed) {
    ctx.stderr.write(
      `RESTORE FAILED: ${failed} undo(s) could not be applied; the cluster may be degraded (journal kept: ${journal.indexFile})\n`,
    );
    return ExitCode.RestoreFailed;
  }
  ctx.stdout.write(`recovered: nothing is pending for cluster ${cluster}\n`);
  return ExitCode.Ok;
}
