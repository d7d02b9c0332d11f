/**
 * Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a dropped jump-box session) during a run. The
 * first signal stops injecting and observing and lets restore run; later ones say what is still
 * pending and keep waiting.
 */
import { STOP_SIGNALS, type StopSignal } from '../context.js';
import { describeUndo } from './describe.js';
import type { Run } from './phases/state.js';

/** Installs the handlers; returns the function that removes them. */
export function handleSignals(run: Run): () => void {
  const { state: s, ports } = run;
  const { progress } = ports;
  const onInterrupt = (sig: StopSignal) => () => {
    s.interrupts++;
    if (s.interrupts === 1) {
      s.interruptedBy = sig;
      run.mark('interrupted', `${sig}: stopping, restoring what was injected`);
      progress.warn(`${sig} received: stopping and restoring (Ctrl-C again shows what is still pending)`);
      s.stop.abort();
      return;
    }
    const pending = s.journal?.pending().map(describeUndo) ?? [];
    const list = pending.length ? pending.join('; ') : 'the drill’s restore steps';
    progress.warn(
      s.restoring
        ? `still restoring, please wait. Pending: ${list}`
        : pending.length
          ? `stopping after the step now running, then restoring. Pending: ${list}`
          : 'stopping; nothing injected is pending',
    );
  };
  const offs = STOP_SIGNALS.map((sig) => ports.onSignal(sig, onInterrupt(sig)));
  return () => {
    for (const off of offs) off();
  };
}
