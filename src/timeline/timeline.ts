/**
 * The run's timeline: stamps every appended event with a sequence number and the run clock,
 * keeps it in memory, tells subscribers, and streams it to `timeline.ndjson` one line per event
 * as it happens (a synchronous write per line, so a killed run keeps its history).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactDeep } from '../text/redact.js';
import { systemClock, type Clock } from './clock.js';
import type { NewEvent, TimelineEvent } from './events.js';

export type TimelineListener = (event: TimelineEvent) => void;

/** What watchers and the engine need from a timeline: append and read the clock. */
export interface EventSink {
  append(event: NewEvent): TimelineEvent;
  /** seconds since the run's base time */
  now(): number;
  /** Calls `listener` for every later event (where the sink can); returns the unsubscribe. */
  subscribe?(listener: TimelineListener): () => void;
}

export interface TimelineOptions {
  /** NDJSON file to stream to; created (with its folder) or appended to */
  file?: string;
  clock?: Clock;
}

export class Timeline implements EventSink {
  readonly clock: Clock;
  /** monotonic ms at t = 0 */
  readonly baseMonotonicMs: number;
  /** ISO wall-clock time at t = 0 (goes into the `run` header) */
  readonly wallTime: string;
  private readonly list: TimelineEvent[] = [];
  private readonly listeners = new Set<TimelineListener>();
  private fd: number | null = null;
  private seq = 0;

  constructor(options: TimelineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.baseMonotonicMs = this.clock.monotonicMs();
    this.wallTime = new Date(this.clock.wallMs()).toISOString();
    if (options.file !== undefined) {
      mkdirSync(dirname(options.file), { recursive: true });
      this.fd = openSync(options.file, 'a');
    }
  }

  now(): number {
    return roundT((this.clock.monotonicMs() - this.baseMonotonicMs) / 1000);
  }

  /**
   * Stamps `seq` and `t` and records the event. A `run` header without `wallTime` (empty
   * string) gets the timeline's own.
   */
  append(event: NewEvent): TimelineEvent {
    const stamped = { ...event, seq: this.seq++, t: this.now() } as TimelineEvent;
    if (stamped.kind === 'run' && !stamped.wallTime) stamped.wallTime = this.wallTime;
    this.list.push(stamped);
    // on disk as it happens, so redacted as it is written (a killed run never leaves secrets)
    if (this.fd !== null) writeSync(this.fd, JSON.stringify(redactDeep(stamped)) + '\n');
    for (const listener of this.listeners) {
      try {
        listener(stamped);
      } catch {
        // A failing subscriber must not stop the recording nor the other subscribers.
      }
    }
    return stamped;
  }

  /** Calls `listener` for every later event; returns the unsubscribe function. */
  subscribe(listener: TimelineListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Everything appended so far, in order. */
  events(): readonly TimelineEvent[] {
    return this.list;
  }

  /** Closes the file; later appends are kept in memory only. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Microsecond resolution is plenty and keeps the NDJSON short. */
function roundT(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
