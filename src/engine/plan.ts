/**
 * The plan: every step resolved against live state (read-only) and rendered exactly as it
 * would run. `kha-drill plan`, `run --dry-run` and the guardrails all start from it.
 */
import type { Drill, Inventory, Master, Step } from '../config/schema.js';
import { actionFor, renderStep } from './actions/index.js';
import { chooseSwitch, describeSwitch } from './dead-man-switch.js';
import { describeCondition } from './conditions.js';
import { checkGuardrails, type Violation } from './guardrails.js';
import { isDynamicTarget, resolveTarget, type TargetContext } from './targets/index.js';
import { describePeers, type PeerAddresses } from './peers.js';
import type { ClusterView, Effect, RenderedStep, UndoSpec } from './types.js';

export interface PlannedStep {
  phase: 'inject' | 'restore';
  index: number;
  id?: string;
  step: Step;
  targetSpec?: string;
  /** how the target resolved, or why it could not */
  reason?: string;
  rendered?: RenderedStep;
  error?: string;
}

export interface Plan {
  runId: string;
  inject: PlannedStep[];
  /** automatic undo of the inject steps, in the order restore runs them */
  undo: UndoSpec[];
  restore: PlannedStep[];
  etcdDown: string[];
  /** voting members in etcd's own member list, when it could be read */
  etcdVoters?: number;
  violations: Violation[];
  /** the addresses partition and heal cut, when the drill has such a step */
  peers?: PeerAddresses;
}

/** The actions whose commands name peer addresses. */
const PEER_ACTIONS: ReadonlySet<string> = new Set(['partition', 'heal']);

/** Reads the peer addresses at most once, the first time a partition or heal step asks. */
export function memoPeers(view: ClusterView): () => Promise<PeerAddresses | undefined> {
  let once: Promise<PeerAddresses | undefined> | undefined;
  return () => (once ??= view.peers ? view.peers() : Promise.resolve(undefined));
}

/**
 * Who counts for quorum: etcd's member list where it can be read (a member the inventory does
 * not list still counts), else one member per inventory master.
 */
async function etcdQuorumView(view: ClusterView): Promise<{ down: string[]; voters?: number }> {
  if (view.etcdMembership) {
    try {
      return await view.etcdMembership();
    } catch {
      // no member answered the member list: fall back to the inventory below
    }
  }
  try {
    return { down: (await view.etcd()).filter((m) => !m.ok).map((m) => m.master) };
  } catch {
    return { down: [] };
  }
}

export async function resolveAndRender(
  step: Step,
  index: number,
  phase: 'inject' | 'restore',
  inventory: Inventory,
  tctx: TargetContext,
  runId: string,
): Promise<{ rendered: RenderedStep; reason: string | undefined }> {
  const def = actionFor(step);
  const want = def.targets(step);
  let target: Master[] = [];
  let reason: string | undefined;
  if (want.target) {
    const r = await resolveTarget(want.target, tctx);
    target = r.masters;
    reason = r.reason;
  }
  const from: Master[] = [];
  for (const spec of want.from ?? []) {
    for (const m of (await resolveTarget(spec, tctx)).masters)
      if (!from.some((x) => x.name === m.name)) from.push(m);
  }
  const peers = PEER_ACTIONS.has(step.action) ? await tctx.peers?.() : undefined;
  return {
    rendered: renderStep(
      step,
      { target, from },
      { inventory, runId, index, phase, ...(peers ? { peers } : {}) },
    ),
    reason,
  };
}

/**
 * A dynamic target that resolved to a master already taken down by an earlier step would, at run
 * time, move to another master: assume the worst for the guardrails.
 */
function worstCaseEffects(
  step: Step,
  rendered: RenderedStep,
  masters: string[],
  downSoFar: Effect[],
): Effect[] {
  const spec = 'target' in step ? step.target : undefined;
  if (!spec || !isDynamicTarget(spec)) return rendered.effects;
  return rendered.effects.map((e) => {
    if (e.kind !== 'down') return e;
    const isDown = (m: string) =>
      downSoFar.some((d) => d.kind === 'down' && d.component === e.component && d.master === m);
    if (!isDown(e.master)) return e;
    const other = masters.find((m) => !isDown(m));
    return other ? { ...e, master: other } : e;
  });
}

export async function buildPlan(
  drill: Drill,
  inventory: Inventory,
  view: ClusterView,
  runId: string,
  random: () => number = Math.random,
): Promise<Plan> {
  const stepTargets = new Map<string, string[]>();
  const peers = memoPeers(view);
  const tctx: TargetContext = { inventory, view, stepTargets, random, peers };
  const inject: PlannedStep[] = [];
  const effects: Effect[][] = [];
  const flat: Effect[] = [];
  const masters = inventory.masters.map((m) => m.name);
  for (const [index, step] of drill.inject.entries()) {
    const p: PlannedStep = { phase: 'inject', index, step, ...(step.id ? { id: step.id } : {}) };
    if ('target' in step) p.targetSpec = step.target;
    try {
      const { rendered, reason } = await resolveAndRender(step, index, 'inject', inventory, tctx, runId);
      p.rendered = rendered;
      if (reason) p.reason = reason;
      if (step.id) stepTargets.set(step.id, rendered.targets);
      const eff = worstCaseEffects(step, rendered, masters, flat);
      effects.push(eff);
      flat.push(...eff);
    } catch (err) {
      p.error = (err as Error).message;
      effects.push([]);
    }
    inject.push(p);
  }
  const restore: PlannedStep[] = [];
  for (const [index, step] of drill.restore.entries()) {
    const p: PlannedStep = { phase: 'restore', index, step, ...(step.id ? { id: step.id } : {}) };
    if ('target' in step) p.targetSpec = step.target;
    try {
      const { rendered, reason } = await resolveAndRender(step, index, 'restore', inventory, tctx, runId);
      p.rendered = rendered;
      if (reason) p.reason = reason;
    } catch (err) {
      p.error = (err as Error).message;
    }
    restore.push(p);
  }
  const { down: etcdDown, voters: etcdVoters } = await etcdQuorumView(view);
  const undo = inject.flatMap((p) => p.rendered?.undo ?? []).reverse();
  const violations = checkGuardrails({
    masters,
    effects,
    etcdAlreadyDown: etcdDown,
    ...(etcdVoters !== undefined ? { etcdVoters } : {}),
  });
  const usesPeers = [...drill.inject, ...drill.restore].some((s) => PEER_ACTIONS.has(s.action));
  const resolvedPeers = usesPeers ? await peers().catch(() => undefined) : undefined;
  return {
    runId,
    inject,
    undo,
    restore,
    etcdDown,
    ...(etcdVoters !== undefined ? { etcdVoters } : {}),
    violations,
    ...(resolvedPeers ? { peers: resolvedPeers } : {}),
  };
}

function hostOf(inventory: Inventory, name: string): string {
  const m = inventory.masters.find((x) => x.name === name);
  if (!m) return name;
  return `${name} (${m.host}${m.port ? `:${m.port}` : ''})`;
}

export function formatPlan(
  drill: Drill,
  inventory: Inventory,
  plan: Plan,
  options: { sudo?: boolean } = {},
): string {
  const lines: string[] = [];
  const prefix = options.sudo ? 'sudo -n ' : '';
  lines.push(
    `Plan for drill ${drill.metadata.name} on cluster ${inventory.metadata.name} (run id ${plan.runId}; nothing is touched)`,
  );
  if (plan.etcdVoters !== undefined)
    lines.push(`  etcd voting members (etcd's member list): ${plan.etcdVoters}`);
  if (plan.etcdDown.length) lines.push(`  etcd members already down: ${plan.etcdDown.join(', ')}`);
  if (plan.peers)
    lines.push(`  peer addresses (etcd member list, resolved once): ${describePeers(plan.peers)}`);
  const section = (title: string, steps: PlannedStep[]) => {
    lines.push('', title);
    for (const p of steps) {
      const head = `  ${p.index + 1}. ${p.step.action}${p.id ? ` [${p.id}]` : ''}`;
      if (p.error) {
        lines.push(`${head}${p.targetSpec ? ` ${p.targetSpec}` : ''}: CANNOT RESOLVE: ${p.error}`);
        continue;
      }
      const r = p.rendered as RenderedStep;
      const resolved = p.targetSpec
        ? ` ${p.targetSpec} → ${r.targets.join(', ')}${p.reason ? ` (${p.reason})` : ''}`
        : '';
      lines.push(`${head}${resolved}: ${r.summary}`);
      for (const op of r.ops) lines.push(`       on ${hostOf(inventory, op.master)}: ${prefix}${op.command}`);
      for (const u of r.undo) {
        lines.push(
          `       undo on ${hostOf(inventory, u.master)}: ${u.commands.map((c) => prefix + c).join(' && ')}`,
        );
        if (u.verify) lines.push(`         verified by: ${prefix}${u.verify}`);
        if (p.phase === 'inject')
          lines.push(`         ${describeSwitch(chooseSwitch(drill, inventory, plan.runId, u))}`);
      }
      if (p.phase === 'inject' && r.ops.length > 0 && r.undo.length === 0 && p.step.action === 'ssh') {
        lines.push("       (no undo: this ssh step has no `undo` command, so no dead-man's switch either)");
      }
    }
  };
  section('Inject:', plan.inject);
  const until = drill.observe.until ? `until ${describeCondition(drill.observe.until)}, ` : '';
  lines.push('', `Observe: ${until}at most ${drill.observe.timeout}, then settle ${drill.observe.settle}`);
  if (drill.abort.length) lines.push(`  abort when: ${drill.abort.join(' | ')}`);
  lines.push('', 'Restore (always runs):');
  if (plan.undo.length === 0) lines.push('  (no automatic undo)');
  for (const u of plan.undo)
    lines.push(
      `  - ${u.description}: on ${hostOf(inventory, u.master)}: ${u.commands.map((c) => prefix + c).join(' && ')}`,
    );
  if (plan.restore.length) section('Then the drill’s restore steps:', plan.restore);
  lines.push('');
  if (plan.violations.length) {
    lines.push('Guardrails: this plan would be REFUSED without allowQuorumLoss: true and --yes:');
    for (const v of plan.violations) lines.push(`  - inject step ${v.step + 1} ${v.message}`);
  } else {
    lines.push('Guardrails: ok (etcd keeps quorum; no component loses every instance)');
  }
  lines.push(
    `Each command is sent as: ${prefix}timeout -s KILL <seconds> sh -c '<command>' (ssh.commandTimeout ${inventory.ssh.commandTimeout}, or the step's timeout).`,
  );
  if (plan.inject.some((p) => p.targetSpec && isDynamicTarget(p.targetSpec))) {
    lines.push('Targets marked by role (leader, holder, random) are resolved again when the step runs.');
  }
  return lines.join('\n') + '\n';
}
