/**
 * After restore: every service that ran before the fault must run again (systemd may need a
 * moment to restart one); anything else is reported as not restored and journaled for `recover`.
 */
import { lostServices, restartUndo, snapshotServices, type LostService } from '../service-snapshot.js';
import type { Run } from './state.js';

export async function compareServices(run: Run): Promise<void> {
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
  if (lost.length === 0) return;
  s.restoreOk = false;
  // pending in the journal (and so in the restore's pending list): `kha-drill recover` starts them
  for (const [n, l] of lost.entries()) s.journal?.add(restartUndo(inventory, l, n));
  const msg = `not as found: ${names()} not active after restore (active before the drill)`;
  run.mark('note', msg);
  progress.warn(msg);
}
