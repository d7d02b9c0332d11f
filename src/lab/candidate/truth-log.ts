import fs from 'node:fs';
import path from 'node:path';
import { formatMicroTime, wallClockMs } from '../../kube/microtime.js';

export type TruthEventName = 'started' | 'acquired' | 'renewed' | 'lost' | 'released' | 'stopped' | 'error';

/** One line of `<unit>.truth.jsonl` (docs/HELPERS.md "Lab layout"). */
export interface TruthEntry {
  /** wall clock, RFC 3339 with microseconds */
  ts: string;
  event: TruthEventName;
  identity: string;
  /** `namespace/name` */
  lease: string;
  /** holder after the event ("" when released or unknown) */
  holder: string;
  transitions: number | null;
  resourceVersion: string | null;
  message?: string;
}

export type TruthInput = Omit<TruthEntry, 'ts' | 'identity' | 'lease'>;

/** Lets one message through per interval; counts what it held back. */
export class RateLimiter {
  private last = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** undefined when held back, else the number suppressed since the last one let through. */
  take(): number | undefined {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed += 1;
      return undefined;
    }
    this.last = t;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/**
 * Append-only JSON-lines ground truth. Lines are written synchronously so that nothing is lost
 * when the process exits right after an event; `error` lines are limited to one per second.
 */
export class TruthLog {
  private readonly fd: number | undefined;
  private readonly errors: RateLimiter;

  constructor(
    file: string | undefined,
    private readonly identity: string,
    private readonly lease: string,
    private readonly clock: { wallMs(): number; monoMs(): number } = {
      wallMs: wallClockMs,
      monoMs: () => performance.now(),
    },
  ) {
    if (file !== undefined) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.fd = fs.openSync(file, 'a');
    }
    this.errors = new RateLimiter(1000, () => this.clock.monoMs());
  }

  /** The entry written, or undefined when an error was rate-limited away. */
  write(input: TruthInput): TruthEntry | undefined {
    let message = input.message;
    if (input.event === 'error') {
      const suppressed = this.errors.take();
      if (suppressed === undefined) return undefined;
      if (suppressed > 0) message = `${message ?? ''} (${suppressed} similar suppressed)`;
    }
    const entry: TruthEntry = {
      ts: formatMicroTime(this.clock.wallMs()),
      event: input.event,
      identity: this.identity,
      lease: this.lease,
      holder: input.holder,
      transitions: input.transitions,
      resourceVersion: input.resourceVersion,
      ...(message === undefined ? {} : { message }),
    };
    if (this.fd !== undefined) fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}
