/**
 * Progress of lab commands: one line per step, and for long steps a ticker that repeats the step
 * with its elapsed time (every 15 s; on a terminal, in place). Output that cannot be written
 * (a closed pipe: `lab up | head`) is dropped; the command goes on.
 */
import type { Writable } from 'node:stream';

export interface Progress {
  line(text: string): void;
  /** starts a long step; call the returned function with the final line (or none) when done */
  ticker(text: string): (done?: string) => void;
}

export function streamProgress(out: Writable, quiet = false): Progress {
  let broken = false;
  out.on('error', () => {
    broken = true;
  });
  const t0 = performance.now();
  const write = (s: string): void => {
    if (broken || quiet) return;
    try {
      out.write(s);
    } catch {
      broken = true;
    }
  };
  const stamp = (): string => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    line: (text) => write(`${stamp()} ${text}\n`),
    ticker: (text) => {
      const start = performance.now();
      write(`${stamp()} ${text} …\n`);
      const timer = setInterval(() => {
        write(`${stamp()} … ${text}: ${((performance.now() - start) / 1000).toFixed(0)}s so far\n`);
      }, 15_000);
      timer.unref();
      return (done) => {
        clearInterval(timer);
        if (done) write(`${stamp()} ${done}\n`);
      };
    },
  };
}
