/**
 * The harness's one clock. Production uses performance.now() (monotonic) and Date.now() (wall);
 * tests pass a FakeClock and move time by hand.
 */
export interface Clock {
  /** monotonic milliseconds from an arbitrary origin */
  monotonicMs(): number;
  /** wall-clock milliseconds since the epoch */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  private mono: number;
  private wall: number;

  constructor(startWallMs = Date.UTC(2025, 0, 1), startMonotonicMs = 1000) {
    this.wall = startWallMs;
    this.mono = startMonotonicMs;
  }

  monotonicMs(): number {
    return this.mono;
  }

  wallMs(): number {
    return this.wall;
  }

  /** Moves both clocks forward by `ms`. */
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}
