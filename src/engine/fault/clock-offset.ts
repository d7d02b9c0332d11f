/**
 * A master's clock against the run clock, from SSH round trips (NTP's idea without its
 * filtering): the master's time was read somewhere between the laptop's send and receive, so the
 * offset lies in [master − received, master − sent]. Every sample's interval holds the true
 * offset (the clocks do not drift measurably over a drill), so their intersection does too: the
 * estimate is its middle ± half its width, never wider than the best single round trip / 2. An
 * inject command's own bracket is such a sample (two readings inside one round trip). Pure.
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
  const lo = Math.max(...good.map((s) => s.master - s.received));
  const hi = Math.min(...good.map((s) => s.master - s.sent));
  if (lo <= hi) return { offsetS: (lo + hi) / 2, errS: (hi - lo) / 2, samples: good.length };
  // disjoint: the master's clock stepped (NTP) between samples; the best single trip then
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
