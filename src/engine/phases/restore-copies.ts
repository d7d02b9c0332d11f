/**
 * Journals entries of restore itself (the drill's restore steps, the "as found" check): in the
 * local journal, and a copy on the master each concerns, the masters side by side. No
 * dead-man's switch: these are not faults, and the run is alive to run them.
 */
import { hostname } from 'node:os';
import { writeMasterCopy } from '../dead-man-switch.js';
import { masterCopyPath, type MasterCopy } from '../master-journal.js';
import type { UndoSpec } from '../types.js';
import type { Run } from './state.js';

/** The record of one journal entry that goes to its master (`recover --from-masters`). */
export function masterCopyOf(run: Run, u: UndoSpec): MasterCopy {
  const { input, ports } = run;
  return {
    version: 1,
    cluster: input.inventory.metadata.name,
    runId: input.runId,
    drill: input.drill.metadata.name,
    host: hostname(),
    writtenAt: ports.clock.wallTime(),
    undo: u,
  };
}

export async function journalWithCopies(run: Run, entries: UndoSpec[]): Promise<void> {
  const { input, ports, state: s } = run;
  await Promise.all(
    entries.map(async (u) => {
      u.copy = masterCopyPath(input.runId, u.id);
      const failed = await writeMasterCopy(ports.remote, input.inventory, u, masterCopyOf(run, u));
      if (failed) {
        delete u.copy;
        ports.progress.warn(`no copy of the journal on ${u.master}: ${failed}`);
      }
    }),
  );
  // in the order given, whatever order the copies were written in
  for (const u of entries) s.journal?.add(u);
}
