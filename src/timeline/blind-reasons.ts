/**
 * Blind `reason` prefixes that metrics interpret. A watch restarted for silence may have been
 * dead since its last event, so its blind window is taken to start there, not when noticed.
 */
export const SILENT_WATCH_REASON = 'silent watch';

export function silentWatchReason(ms: number): string {
  return `${SILENT_WATCH_REASON}: no event for ${ms} ms`;
}

export function isSilentWatch(reason: string | undefined): boolean {
  return reason?.startsWith(SILENT_WATCH_REASON) ?? false;
}
