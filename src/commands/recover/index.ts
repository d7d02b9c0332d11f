/**
 * `kha-drill recover [-i inv]`: replay the undo records a killed run left pending for the
 * inventory's cluster (newest first), verify each, and mark them done.
 * Exit 0 when nothing is pending any more; 5 when something could not be restored.
 * `--discard <id>...` gives up undos that can never succeed (shown, then asked on a TTY, or
 * `--yes`): they are marked discarded, nothing is run, and the rest stays pending.
 */
import { createInterface } from 'node:readline/promises';
import { hostname } from 'node:os';
import { delay } from '../../time/timer.js';
import type { Context } from '../../context.js';
import { ExitCode, UsageError } from '../../errors.js';
import { acquireRunLock, Journal, processAlive, readPendingJournal } from '../../engine/journal.js';
import { SshRemote } from '../../engine/live.js';
import { describeUndo } from '../../engine/describe.js';
import { describeSwitchDeadline, disarmSwitch } from '../../engine/dead-man-switch.js';
import { replayUndo } from '../../engine/restore.js';
import { loadInventoryFor, sshEnvFor, type LoadedInventory } from '../../engine/session.js';
import type { Remote } from '../../engine/types.js';
import type { RegisterCommand } from '../types.js';

export interface RecoverOptions {
  inventory?: string;
  force?: boolean;
  /** journal entry ids to give up without running them */
  discard?: string[];
  yes?: boolean;
}

/** Asks a yes/no question; null when there is no terminal to ask on. */
export type Ask = (question: string) => Promise<boolean> | null;

const ttyAsk: Ask = (question) => {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return rl
    .question(question)
    .then((a) => /^y(es)?$/i.test(a.trim()))
    .finally(() => rl.close());
};

export const registerRecover: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('recover')
    .description('run the restore steps that a killed run left pending for this cluster')
    .option('-i, --inventory <file>', 'inventory (default: KHA_INVENTORY, then ./inventory.yaml)')
    .option('--force', 'recover even though the run that wrote the journal still seems to be running')
    .option(
      '--discard <id...>',
      'give up these journal entries (their undo can never succeed): shown, then asked, nothing is run',
    )
    .option('--yes', 'with --discard: do not ask')
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
  ask: Ask = ttyAsk,
): Promise<number> {
  if (opts.yes && !opts.discard?.length) throw new UsageError('--yes only goes with --discard');
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
  if (opts.discard?.length) {
    try {
      return await discard(ctx, journal, opts.discard, opts.yes === true, ask);
    } finally {
      journal.close();
      release?.();
    }
  }
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

/**
 * Marks the named pending entries discarded after showing each and asking (or `--yes`). Every id
 * is checked before anything is asked; without a terminal and without --yes nothing changes.
 */
async function discard(
  ctx: Context,
  journal: Journal,
  ids: string[],
  yes: boolean,
  ask: Ask,
): Promise<number> {
  const pending = journal.pending();
  const entries = ids.map((id) => {
    const e = pending.find((x) => x.id === id);
    if (!e)
      throw new UsageError(
        `--discard ${id}: no pending entry with that id in run ${journal.index.runId}'s journal (pending: ${pending.map((x) => x.id).join(', ') || 'none'})`,
      );
    return e;
  });
  let discarded = 0;
  for (const e of entries) {
    ctx.stdout.write(
      `- ${e.id}: ${describeUndo(e)}\n  undo: ${e.commands.join(' && ')}\n${e.verify ? `  verified by: ${e.verify}\n` : ''}  status: ${e.status}${e.error ? ` (${e.error})` : ''}\n`,
    );
    if (!yes) {
      const answer = ask(`Discard ${e.id}? Nothing is run; whatever it would undo stays as it is. [y/N] `);
      if (answer === null)
        throw new UsageError(`--discard ${e.id}: no terminal to ask on`, {
          hint: 'run it on a terminal, or add --yes once you know the undo can never succeed',
        });
      if (!(await answer)) {
        ctx.stdout.write(`  kept pending\n`);
        continue;
      }
    }
    journal.mark(e.id, 'discarded', `discarded by hand (recover --discard)`);
    ctx.stdout.write(`  discarded: nothing was run; check ${e.master} by hand\n`);
    discarded++;
  }
  const left = journal.pending().length;
  ctx.stdout.write(
    left
      ? `${discarded} discarded; ${left} still pending: run \`kha-drill recover\` for them\n`
      : `${discarded} discarded; nothing is pending for cluster ${journal.index.cluster}\n`,
  );
  return ExitCode.Ok;
}
