/**
 * `kha-drill plan <drill> [-i inv]`: resolve targets against live state, read-only, and print
 * every step exactly as it would run (host, command, undo). Touches nothing: its only SSH command
 * reads the components' leader-election flags (read-only), to warn where the cluster's timings
 * differ from the inventory's.
 * Exit 0; 2 when the guardrails would refuse the plan; 3 when a target cannot be resolved.
 */
import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { buildPlan, formatPlan } from '../../engine/plan.js';
import { describeTimings, drillLeases, observeTimings } from '../../engine/leader-election.js';
import { SshRemote } from '../../engine/live.js';
import { liveViewFor, loadDrillFor, loadInventoryFor, sshEnvFor } from '../../engine/session.js';
import type { RegisterCommand } from '../types.js';

export interface PlanOptions {
  inventory?: string;
  yes?: boolean;
  /** kubeconfig context, over kubernetes.context */
  context?: string;
}

export const registerPlan: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('plan')
    .description('resolve targets read-only and print every step exactly as it would run; touches nothing')
    .argument('<drill>', 'drill name or file')
    .option('-i, --inventory <file>', 'inventory (default: KHA_INVENTORY, then ./inventory.yaml)')
    .option('--yes', 'as run --yes: accept a plan the drill marks allowQuorumLoss')
    .option('--context <name>', 'kubeconfig context (default: kubernetes.context, then current-context)')
    .action(async (drill: string, opts: PlanOptions) => {
      setExit(await runPlan(ctx, [drill], opts));
    });
};

/** Prints the plans of drills; shared with `run --dry-run`. Returns the exit code. */
export async function runPlan(ctx: Context, drills: string[], opts: PlanOptions): Promise<number> {
  const inv = loadInventoryFor(ctx, opts.inventory, opts.context);
  const loaded = drills.map((d) => loadDrillFor(ctx, d, inv.inventory));
  const view = liveViewFor(ctx, inv.inventory);
  const remote = new SshRemote(
    inv.inventory,
    sshEnvFor(ctx, inv, (m) => ctx.stderr.write(`warning: ${m}\n`)),
  );
  let code: number = ExitCode.Ok;
  try {
    for (const { drill } of loaded) {
      const plan = await buildPlan(drill, inv.inventory, view, `plan-${drill.metadata.name}`);
      ctx.stdout.write(formatPlan(drill, inv.inventory, plan, { sudo: inv.inventory.ssh.sudo }));
      const leases = drillLeases(drill);
      if (leases.length > 0) {
        const seen = await observeTimings(inv.inventory, remote, view, leases);
        ctx.stdout.write(
          `\nLeader election, read from the cluster (SLO bounds use these):\n${describeTimings(seen.leases)
            .map((l) => `  ${l}\n`)
            .join('')}`,
        );
        for (const w of seen.warnings) ctx.stderr.write(`warning: ${w}\n`);
      }
      if (
        plan.inject.some((p) => p.error) ||
        plan.restore.some((p) => p.error && !p.targetSpec?.startsWith('step:'))
      ) {
        code = Math.max(code, ExitCode.NotSteady);
      }
      if (plan.violations.length && !(drill.allowQuorumLoss && opts.yes))
        code = Math.max(code, ExitCode.BadInput);
    }
  } finally {
    await remote.close();
    view.close();
  }
  return code;
}
