/**
 * Between game-day runs: wait until the next drill's steady state holds again, with the
 * engine's own condition checks (the same ones a run checks before injecting). A drill without
 * steadyState waits for a healthy etcd, ready API servers and load balancer. A pending restore
 * journal is never steady. Not the engine's steady-state phase (engine/phases/steady-state.ts):
 * that one checks once and refuses the run; this one waits, reporting what still fails, until
 * the conditions hold or the timeout passes. The time comes in through `now`, like the sleeps.
 */
import type { Condition, Drill, Inventory } from '../config/schema.js';
import { checkCondition, describeCondition, type ConditionDeps } from '../engine/conditions.js';
import { readPendingJournal } from '../engine/journal.js';
import type { ClusterView, Remote } from '../engine/types.js';

export const DEFAULT_STEADY: Condition[] = [
  { check: 'etcdHealthy' },
  { check: 'apiserversReady' },
  { check: 'loadBalancerReady' },
];

export interface SteadyDeps {
  inventory: Inventory;
  view: ClusterView;
  remote: Remote;
  env: Record<string, string | undefined>;
  sleep: (ms: number, stop: AbortSignal) => Promise<void>;
  /** milliseconds on any steady clock (the caller's `Date.now`, a test's counter) */
  now: () => number;
  /** a long wait: what, elapsed, bound, detail */
  onWait?: (what: string, elapsedS: number, boundS: number, detail: string) => void;
}

export async function waitSteady(
  drill: Drill,
  timeoutS: number,
  stop: AbortSignal,
  deps: SteadyDeps,
): Promise<{ ok: boolean; detail: string }> {
  const conditions = drill.steadyState.length ? drill.steadyState : DEFAULT_STEADY;
  const start = deps.now();
  const elapsed = () => (deps.now() - start) / 1000;
  const cond: ConditionDeps = {
    inventory: deps.inventory,
    view: deps.view,
    remote: deps.remote,
    baseline: { leases: new Map() },
    sleep: (ms) => deps.sleep(ms, stop),
    now: elapsed,
  };
  let failing = '';
  for (;;) {
    failing = '';
    const pending = readPendingJournal(deps.env, deps.inventory.metadata.name);
    if (pending) {
      return {
        ok: false,
        detail: `a restore journal is pending (run ${pending.runId}): run kha-drill recover`,
      };
    }
    for (const c of conditions) {
      let r: { ok: boolean; detail: string };
      try {
        r = await checkCondition(c, cond);
      } catch (err) {
        r = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      if (!r.ok) {
        failing = `${describeCondition(c)}: ${r.detail}`;
        break;
      }
      if (stop.aborted) return { ok: false, detail: 'interrupted' };
    }
    if (!failing) return { ok: true, detail: conditions.map(describeCondition).join('; ') };
    if (stop.aborted) return { ok: false, detail: 'interrupted' };
    if (elapsed() >= timeoutS) return { ok: false, detail: failing };
    deps.onWait?.('steady state', elapsed(), timeoutS, failing);
    await deps.sleep(1000, stop);
  }
}
