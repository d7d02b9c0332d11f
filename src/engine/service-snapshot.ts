/**
 * Which control-plane services run on which master, before the drill and after restore: the
 * run leaves the cluster as it found it, or says loudly what differs (a component that died of
 * the fault and that nothing restarted, e.g. a kube-scheduler that exits on losing its Lease).
 */
import type { ComponentName, Inventory } from '../config/schema.js';
import { ALL_COMPONENTS } from './conditions.js';
import { activeComponents, serviceCommands } from './services.js';
import type { Remote, UndoSpec } from './types.js';

/** `master/component` → active */
export type ServiceSnapshot = Map<string, boolean>;

export async function snapshotServices(inventory: Inventory, remote: Remote): Promise<ServiceSnapshot> {
  const s = serviceCommands(inventory.services);
  const snap: ServiceSnapshot = new Map();
  // one command per master, the masters side by side (one check per component and master cost
  // about 1.2 s before each inject on the lab, see the benchmark)
  await Promise.all(
    inventory.masters.map(async (m) => {
      const states = await activeComponents(
        s,
        (command) => remote.exec(m, command, { timeoutS: 15 }),
        ALL_COMPONENTS,
      );
      // a component whose state is unknown is never compared
      for (const [c, active] of states) if (active !== undefined) snap.set(`${m.name}/${c}`, active);
    }),
  );
  return snap;
}

export interface LostService {
  master: string;
  component: ComponentName;
}

/** Services active before and not after. */
export function lostServices(before: ServiceSnapshot, after: ServiceSnapshot): LostService[] {
  const lost: LostService[] = [];
  for (const [key, was] of before) {
    if (was && after.get(key) === false) {
      const [master, component] = key.split('/') as [string, ComponentName];
      lost.push({ master, component });
    }
  }
  return lost;
}

/**
 * The undo that brings a lost service back, journaled as pending so that `kha-drill recover`
 * starts it when the run could not.
 */
export function restartUndo(inventory: Inventory, l: LostService, n: number): UndoSpec {
  const s = serviceCommands(inventory.services);
  return {
    id: `post.${n}`,
    master: l.master,
    description: `start ${l.component}, which ran before the drill`,
    commands: [s.start(l.component)],
    verify: s.isActive(l.component),
  };
}
