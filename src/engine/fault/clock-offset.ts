/**
 * A master's clock against the run clock, from SSH round trips (NTP's idea without its
 * filtering): the master's time was read somewhere between the laptop's send and receive, so
 * offset = master − midpoint, surely within ± round trip / 2. The sample with the smallest round
 * trip gives the tightest bound. Pure.
 */

export interface ClockSample {
  /** run clock when the request was sent and when the answer came back (s) */
  sent: number;
  received: number;
  /** the master's clock, seconds since the epoch */
  master: number;
}

export interface ClockOffset {
  /** master time minus run time */
  offsetS: number;
  /** ± bound of the offset */
  errS: number;
  samples: number;
}

export function offsetOf(samples: readonly ClockSample[]): ClockOffset | null {
  const good = samples.filter((s) => Number.isFinite(s.master) && s.master > 0 && s.received >= s.sent);
  if (good.length === 0) return null;
  const best = good.reduce((a, b) => (b.received - b.sent < a.received - a.sent ? b : a));
  return {
    offsetS: best.master - (best.sent + best.received) / 2,
    errS: (best.received - best.sent) / 2,
    samples: good.length,
  };
}

/** A master-clock time (s since the epoch) on the run clock. */
export function toRunClock(masterTime: number, offset: Pick<ClockOffset, 'offsetS'>): number {
  return masterTime - offset.offsetS;
}

/** The command that prints the master's clock. */
export const CLOCK_COMMAND = 'date +%s.%N';
