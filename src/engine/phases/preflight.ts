/**
 * Before anything is touched: no pending journal, every master reachable over SSH with a
 * verified key (and root when the drill requires it), every etcd member, API server and the
 * load balancer answering, the guardrails satisfied. Then the pre-fault baseline and the
 * watchers' first observations.
 */
import type { Drill, Inventory } from '../../config/schema.js';
import { gatewayAuthError, gatewayRefusesCertUser } from '../../clients/etcd-access.js';
import { reachOf } from '../../config/reach.js';
import { KhaError, errorMessage, type ErrorCode } from '../../errors.js';
import type { Baseline } from '../conditions.js';
import type { RunInput, RunPorts, RunTimeline } from '../deps.js';
import { enforceGuardrails } from '../guardrails.js';
import { acquireRunLock, pendingEntries, readPendingJournal } from '../journal.js';
import { buildPlan } from '../plan.js';
import type { Progress } from '../progress.js';
import type { ClusterView } from '../types.js';
import { missingUnits } from '../unit-check.js';

/** Stops the run before anything is injected, with the exit code to return. */
export class StopBeforeInject extends KhaError {}

const notSteady = (code: ErrorCode, message: string, hint?: string) =>
  new StopBeforeInject(code, message, hint ? { hint } : {});

/**
 * Throws StopBeforeInject (exit 3) or the guardrails' UsageError (exit 2); returns a summary
 * line. Takes the cluster's run lock (released through `onRelease`) before looking at anything.
 */
export async function preflight(
  input: RunInput,
  ports: RunPorts,
  onRelease: (release: () => void) => void,
): Promise<string> {
  const { drill, inventory } = input;
  const { remote, view } = ports;
  try {
    onRelease(acquireRunLock(input.env, inventory.metadata.name, input.runId, ports.clock.wallTime));
  } catch (err) {
    if (err instanceof KhaError)
      throw new StopBeforeInject(err.code, err.message, err.hint ? { hint: err.hint } : {});
    throw err;
  }
  const pending = readPendingJournal(input.env, inventory.metadata.name);
  if (pending) {
    throw notSteady(
      'E_JOURNAL_PENDING',
      `a restore journal of cluster ${inventory.metadata.name} is pending (run ${pending.runId}, drill ${pending.drill}, ${pendingEntries(pending).length} undo(s)): the cluster may still be degraded`,
      `run \`kha-drill recover -i ${input.inventoryFile}\` first (journal: ${pending.journalFile})`,
    );
  }
  // Every check only reads: they run side by side (SSH handshakes, etcd, API servers, the Lease
  // rights), and their verdicts are then taken in this order, so the first failure named is the
  // same as when they ran one after another.
  const ssh = settle(sshChecks(input, remote));
  const etcd = settle(view.etcd());
  const apis = settle(
    Promise.all([
      ...inventory.masters.map(async (m) => {
        const h = await view.apiserver(m);
        return h.ok ? null : `${m.name} API server (${m.apiserver}): ${h.error ?? 'not ready'}`;
      }),
      view
        .loadBalancer()
        .then((lb) =>
          lb.ok ? null : `load balancer (${inventory.kubernetes.loadBalancer}): ${lb.error ?? 'not ready'}`,
        ),
    ]),
  );
  // the kubeconfig's credential and rights, before anything is touched: a 401 or 403 here is
  // bad input (E_KUBE_AUTH, exit 2), not a watcher that stays blind through the drill
  const access = settle(view.checkLeaseAccess?.(drill.watchers.lease?.leases ?? []) ?? Promise.resolve());

  const { sshFailures, tunnels, missing } = unwrap(await ssh);
  if (sshFailures.length)
    throw notSteady('E_PREFLIGHT', `preflight: SSH failed:\n  ${sshFailures.join('\n  ')}`);
  if (tunnels.length)
    throw notSteady(
      'E_PREFLIGHT',
      `preflight: SSH tunnel cannot open: ${tunnels.join('; ')}`,
      'check that the service listens at that address and port on the master itself (ss -ltn there), or set reach: direct',
    );
  if (missing.length)
    throw notSteady(
      'E_PREFLIGHT',
      `preflight: what the drill acts on is not on the masters:\n  ${missing.join('\n  ')}`,
      'check services.manager and services.units in the inventory; nothing was injected',
    );

  const bad = unwrap(await etcd).filter((m) => !m.ok);
  // etcd auth on and the JSON gateway asked: every member refuses alike, and it is a setting
  if (bad.some((m) => gatewayRefusesCertUser(m.error ?? ''))) throw gatewayAuthError(view.etcdUser?.());
  if (bad.length) {
    const list = bad.map((m) => {
      const endpoint = inventory.masters.find((x) => x.name === m.master)?.etcd ?? '?';
      return `${m.master} (${endpoint}): ${m.error ?? 'not answering'}`;
    });
    throw notSteady(
      'E_PREFLIGHT',
      `preflight: etcd members not answering:\n  ${list.join('\n  ')}`,
      directHint(
        inventory,
        bad.map((m) => m.master),
      ),
    );
  }
  const apiBad = unwrap(await apis).filter((x): x is string => x !== null);
  if (apiBad.length)
    throw notSteady(
      'E_PREFLIGHT',
      `preflight: not answering:\n  ${apiBad.join('\n  ')}`,
      directHint(
        inventory,
        inventory.masters.map((m) => m.name),
      ),
    );
  unwrap(await access);
  // the etcd user's rights, when the drill writes: a refusal is E_ETCD_AUTH (exit 3), not a
  // write outage measured through the whole drill
  if (drill.watchers.etcdWrite) await view.checkEtcdWriteAccess?.(input.runId);

  const plan = await buildPlan(drill, inventory, view, input.runId, ports.random);
  enforceGuardrails(drill, plan.violations, input.yes ?? false);
  return `${inventory.masters.length} masters reachable, etcd and API servers answering`;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so one started early is never an unhandled rejection). */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

function unwrap<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/** Every master reachable over SSH (as root when the drill requires it), then the drill's units there. */
async function sshChecks(
  input: RunInput,
  remote: RunPorts['remote'],
): Promise<{ sshFailures: string[]; tunnels: string[]; missing: string[] }> {
  const { drill, inventory } = input;
  const sshFailures = (
    await Promise.all(
      inventory.masters.map(async (m) => {
        try {
          await remote.connect(m);
          if (drill.requires.includes('root')) {
            const r = await remote.exec(m, 'id -u', { timeoutS: 10 });
            if (r.stdout.trim() !== '0') {
              return `${m.name} (${m.host}): the drill requires root but commands run as uid ${r.stdout.trim() || '?'} (set ssh.user: root or ssh.sudo: true)`;
            }
          }
          return null;
        } catch (err) {
          return `${m.name} (${m.host}): ${errorMessage(err)}`;
        }
      }),
    )
  ).filter((x): x is string => x !== null);
  if (sshFailures.length) return { sshFailures, tunnels: [], missing: [] };
  const tunnels = (await remote.tunnelFailures?.()) ?? [];
  if (tunnels.length) return { sshFailures, tunnels, missing: [] };
  return { sshFailures, tunnels, missing: await missingUnits(drill, inventory, remote) };
}

/** Where some of the masters are reached directly: how to reach them when only SSH gets through. */
function directHint(inventory: Inventory, masters: string[]): string | undefined {
  const direct = inventory.masters.filter(
    (m) => masters.includes(m.name) && reachOf(inventory, m) === 'direct',
  );
  if (!direct.length) return undefined;
  return `${direct.map((m) => m.name).join(', ')} ${direct.length > 1 ? 'are' : 'is'} reached directly: if only SSH gets through from here, set ssh.reach: ssh-tunnel in the inventory (README "SSH tunnels")`;
}

/** Who holds the Leases the drill looks at, and the etcd leader, before the fault. */
export async function captureBaseline(drill: Drill, view: ClusterView): Promise<Baseline> {
  const baseline: Baseline = { leases: new Map() };
  const refs = new Set<string>(drill.watchers.lease?.leases ?? []);
  const collect = (c: { check: string; lease?: string } | undefined) => c?.lease && refs.add(c.lease);
  collect(drill.observe.until);
  drill.steadyState.forEach(collect);
  for (const ref of refs) baseline.leases.set(ref, (await view.lease(ref).catch(() => null))?.holder ?? null);
  try {
    const members = await view.etcd();
    const agreed = members.find((m) => m.ok && m.leader)?.leader;
    const leader = members.find((m) => m.id === agreed);
    if (agreed) baseline.etcdLeader = agreed;
    if (leader?.term) baseline.etcdTerm = leader.term;
  } catch {
    // etcdLeaderChanged will say what it can
  }
  return baseline;
}

/**
 * Waits until every watcher has seen its subject once (the Lease listed, each member polled,
 * each API server probed), so the pre-fault state is on the timeline before the fault.
 */
export async function watchersReady(
  drill: Drill,
  inventory: Inventory,
  timeline: RunTimeline,
  sleep: (ms: number) => Promise<void>,
  progress: Progress,
  timeoutS: number,
  /** stops the wait early (steady state failed, Ctrl-C): nothing is injected then */
  signal?: AbortSignal,
): Promise<void> {
  const want: string[] = [];
  for (const l of drill.watchers.lease?.leases ?? []) want.push(`lease ${l}`);
  if (drill.watchers.raft) for (const m of inventory.masters) want.push(`raft ${m.name}`);
  if (drill.watchers.apiserver)
    for (const m of [...inventory.masters.map((x) => x.name), 'lb']) want.push(`api ${m}`);
  if (drill.watchers.etcdWrite) want.push('write');
  const missing = (): string[] => {
    const seen = new Set<string>();
    for (const e of timeline.events()) {
      if (e.kind === 'lease') seen.add(`lease ${e.lease}`);
      else if (e.kind === 'raft') seen.add(`raft ${e.master}`);
      else if (e.kind === 'api') seen.add(`api ${e.master}`);
      else if (e.kind === 'write') seen.add('write');
    }
    return want.filter((w) => !seen.has(w));
  };
  const start = timeline.now();
  for (;;) {
    const left = missing();
    if (left.length === 0 || signal?.aborted) return;
    const elapsed = timeline.now() - start;
    if (elapsed >= timeoutS) {
      const msg = `watchers not ready after ${timeoutS} s (no first observation of: ${left.join(', ')}); injecting anyway, metrics may be unknown`;
      progress.warn(msg);
      timeline.append({ kind: 'mark', mark: 'note', message: msg });
      return;
    }
    progress.wait('the watchers’ first observations', elapsed, timeoutS, left.join(', '));
    await sleep(100);
  }
}
