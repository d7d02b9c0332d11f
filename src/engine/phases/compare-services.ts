/**
 * After restore: every service that ran before the fault must run again (systemd may need a
 * moment to restart one); anything else is reported as not restored. The journal's "as found"
 * entries (restore-journal.ts) stay pending for `recover` on the masters where something is lost.
 */
import { lostServices, snapshotServices, type LostService } from '../service-snapshot.js';
import type { Run } from './state.js';

/** Returns the services that ran before the fault and do not run now. */
export async function compareServices(run: Run): Promise<LostService[]> {
  const { state: s, input, ports } = run;
  const { inventory } = input;
  const { timeline, progress } = ports;
  const boundS = run.tuning.servicesSettleS ?? 20;
  const start = timeline.now();
  let lost: LostService[] = [];
  const names = (): string => lost.map((l) => `${l.component} on ${l.master}`).join(', ');
  for (;;) {
    lost = lostServices(s.servicesBefore, await snapshotServices(inventory, ports.remote));
    const elapsed = timeline.now() - start;
    if (lost.length === 0 || elapsed >= boundS) break;
    progress.wait(
      'every service that ran before the drill to run again',
      elapsed,
      boundS,
      `not active: ${names()}`,
    );
    await ports.clock.sleep(1000);
  }
  if (lost.length === 0) return lost;
  s.restoreOk = false;
  const msg = `not as found: ${names()} not active after restore (active before the drill)`;
  run.mark('note', msg);
  progress.warn(msg);
  return lost;
}
