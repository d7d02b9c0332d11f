/**
 * Words for what a person reads at the worst moment: how a remote command ended, and which
 * undo is meant. One place, so the run, its restore and `recover` say it the same way.
 */
import type { RemoteResult, UndoSpec } from './types.js';

/** `exited 1`, `timed out`, or, with no exit status at all, that the SSH session was lost. */
export function describeExit(r: Pick<RemoteResult, 'code' | 'timedOut'>): string {
  if (r.timedOut) return 'timed out';
  if (r.code === null) return 'ended without an exit status: the SSH session was lost';
  return `exited ${r.code}`;
}

/** `start kube-scheduler on master-2`: the master once, whether the description names it or not. */
export function describeUndo(u: Pick<UndoSpec, 'description' | 'master'>): string {
  return new RegExp(`(^|[^\\w-])${u.master.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w-]|$)`).test(
    u.description,
  )
    ? u.description
    : `${u.description} on ${u.master}`;
}
