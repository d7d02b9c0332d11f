/**
 * After preflight: the leader-election timings as the cluster runs them, per Lease the drill
 * looks at (issue 14). Differences from the inventory are warnings; the SLO and abort bounds
 * then use the observed values. Read-only; a drill without Leases reads nothing.
 */
import { describeTimings, drillLeases, observeTimings } from '../leader-election.js';
import type { Run } from './state.js';

export async function observeTimingsPhase(run: Run): Promise<string | null> {
  const { input, ports, state } = run;
  const leases = drillLeases(input.drill);
  if (leases.length === 0) return null;
  const seen = await observeTimings(input.inventory, ports.remote, ports.view, leases);
  const until = input.drill.observe.until;
  const primary = until && 'lease' in until ? until.lease : input.drill.watchers.lease?.leases[0];
  state.leaseTimings = {
    byLease: Object.fromEntries(seen.leases.map((l) => [l.lease, l.timings])),
    ...(primary !== undefined ? { primary } : {}),
  };
  const summary = `leader-election timings read from the cluster: ${describeTimings(seen.leases).join('; ')}`;
  run.mark('note', summary);
  for (const w of seen.warnings) {
    ports.progress.warn(w);
    run.mark('note', `warning: ${w}`);
  }
  return summary;
}
