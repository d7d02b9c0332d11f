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
import { errorMessage, ExitCode, UsageError } from '../../errors.js';
import { acquireRunLock, Journal, processAlive, readPendingJournal } from '../../engine/journal.js';
import { SshRemote } from '../../engine/live.js';
import { describeUndo } from '../../engine/describe.js';
import { describeSwitchDeadline, disarmSwitch } from '../../engine/dead-man-switch.js';
import { replayUndo, type ReplayResult } from '../../engine/restore.js';
import { describeArmedSwitches, listArmedSwitches } from '../../engine/armed-switches.js';
import { replayOrder } from '../../engine/restore-journal.js';
import { loadInventoryFor, sshEnvFor, type LoadedInventory } from '../../engine/session.js';
import type { Remote, UndoSpec } from '../../engine/types.js';
import {
  isPendingCopy,
  MASTER_JOURNAL_DIR,
  parseCopies,
  readCopiesCommand,
  type MasterCopyRecord,
} from '../../engine/master-journal.js';
import type { RegisterCommand } from '../types.js';

export interface RecoverOptions {
  inventory?: string;
  force?: boolean;
  fromMasters?: boolean;
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
      '--from-masters',
      `finish what runs left pending according to the journal copies on the masters (${MASTER_JOURNAL_DIR}), from any machine`,
    )
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
  if (opts.fromMasters) return recoverFromMasters(ctx, inv, makeRemote, sleep);
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
  // the undos newest first, then the drill's restore steps and the "as found" check
  const pending = replayOrder(journal.pending(), (u) => u);
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
      const r = await replayForRecover(ctx, u, inv, remote, sleep);
      if (!r) {
        failed++;
        continue;
      }
      journal.mark(u.id, r.ok ? 'done' : 'failed', r.error);
      ctx.stdout.write(r.ok ? `  ✓ restored and verified\n` : `  ✗ NOT restored: ${r.error}\n`);
      if (r.ok && (u.switch || u.copy)) {
        const left = await disarmSwitch(remote, inv.inventory, u, 'kha-drill recover');
        const what = u.switch ? `its dead-man's switch ${u.switch.unit}` : `its copy on ${u.master}`;
        ctx.stdout.write(
          left
            ? `  ! could not disarm ${what} (or mark its copy done): ${left}\n`
            : u.switch
              ? `  ✓ ${what} is disarmed (or had already fired)\n`
              : `  ✓ ${what} is marked done\n`,
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

/** One undo as recover replays it: one that held a secret is refused (null), else replayed and verified. */
async function replayForRecover(
  ctx: Context,
  u: UndoSpec,
  inv: LoadedInventory,
  remote: Remote,
  sleep: (ms: number) => Promise<void>,
): Promise<ReplayResult | null> {
  if (u.commands.some((c) => c.includes('[REDACTED'))) {
    // secrets are never stored, so this undo cannot be replayed from the journal
    ctx.stdout.write(`  ✗ NOT replayed: it held a secret, which was not stored; run it by hand\n`);
    return null;
  }
  return replayUndo(u, inv.inventory, remote, {
    sleep,
    onAttempt: (n, e) => ctx.stderr.write(`  attempt ${n} failed: ${e}\n`),
  });
}

/**
 * `recover --from-masters`: the journal copies on the masters, read over SSH, are the record. Each
 * copy of this cluster not marked done (pending, or healed by its switch) is replayed and
 * verified, its switch disarmed and the copy marked done. The lock is this machine's.
 */
async function recoverFromMasters(
  ctx: Context,
  inv: LoadedInventory,
  makeRemote: RemoteFactory,
  sleep: (ms: number) => Promise<void>,
): Promise<number> {
  const cluster = inv.inventory.metadata.name;
  const release = acquireRunLock(ctx.env, cluster, 'recover-from-masters');
  const remote = makeRemote(ctx, inv);
  let failed = 0;
  try {
    const pending: MasterCopyRecord[] = [];
    let seen = 0;
    for (const master of inv.inventory.masters) {
      let text: string;
      try {
        const r = await remote.exec(master, readCopiesCommand(), { timeoutS: 20 });
        if (r.code !== 0 || r.timedOut)
          throw new Error(`exited ${r.timedOut ? '(timed out)' : r.code}: ${r.stderr.trim().slice(0, 200)}`);
        text = r.stdout;
      } catch (err) {
        ctx.stdout.write(`- ${master.name}: ✗ could not read its journal copies: ${errorMessage(err)}\n`);
        failed++;
        continue;
      }
      const { records, problems } = parseCopies(text);
      for (const p of problems) ctx.stdout.write(`- ${master.name}: ! unreadable journal copy ${p}\n`);
      const mine = records.filter((r) => r.copy.cluster === cluster && r.copy.undo.master === master.name);
      seen += mine.length;
      pending.push(...mine.filter(isPendingCopy));
    }
    ctx.stdout.write(
      `journal copies on the masters of cluster ${cluster}: ${seen} record(s), ${pending.length} not done\n`,
    );
    // in the order the runs journaled them; undos replayed newest first, then restore steps and
    // the "as found" checks
    pending.sort(
      (a, b) =>
        a.copy.writtenAt.localeCompare(b.copy.writtenAt) || a.copy.undo.id.localeCompare(b.copy.undo.id),
    );
    for (const rec of replayOrder(pending, (r) => r.copy.undo)) {
      const u: UndoSpec = { ...rec.copy.undo, copy: rec.path };
      ctx.stdout.write(
        `- ${describeUndo(u)} (run ${rec.copy.runId}, drill ${rec.copy.drill}, from ${rec.copy.host}): ${u.commands.join(' && ')}\n`,
      );
      if (rec.status?.status === 'healed')
        ctx.stdout.write(`  healed by ${rec.status.by} at ${rec.status.at} (master's clock); verifying\n`);
      else {
        const deadline = describeSwitchDeadline({ ...u, at: rec.copy.writtenAt }, Date.now());
        if (deadline) ctx.stdout.write(`  ${deadline}\n`);
      }
      const r = await replayForRecover(ctx, u, inv, remote, sleep);
      if (!r) {
        failed++;
        continue;
      }
      if (!r.ok) {
        ctx.stdout.write(`  ✗ NOT restored: ${r.error}\n`);
        failed++;
        continue;
      }
      const left = await disarmSwitch(remote, inv.inventory, u, 'kha-drill recover --from-masters');
      ctx.stdout.write(
        left
          ? `  ✓ restored and verified; ! could not disarm its switch or mark the copy done: ${left}\n`
          : `  ✓ restored and verified; marked done on ${u.master}\n`,
      );
    }
  } finally {
    await remote.close();
    release();
  }
  if (failed) {
    ctx.stderr.write(
      `RESTORE FAILED: ${failed} record(s) could not be read or restored; the cluster may be degraded\n`,
    );
    return ExitCode.RestoreFailed;
  }
  ctx.stdout.write(`recovered: nothing is pending on the masters of cluster ${cluster}\n`);
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
