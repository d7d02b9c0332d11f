/**
 * Everything a command may touch of the process: streams, environment, working directory,
 * signals. Whole commands run in-process in tests with a fake of this object.
 */
import type { Writable } from 'node:stream';

export interface Output {
  write(chunk: string): void;
  /** true when progress may be drawn in place (TTY, not NO_COLOR/--quiet/CI) */
  isTTY: boolean;
}

/** The signals that stop a run and make it restore: Ctrl-C, a kill, a closed terminal. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface Context {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Register a signal handler; returns a function that removes it. */
  onSignal(signal: StopSignal, handler: () => void): () => void;
}

/**
 * An output that drops what it cannot write. A closed pipe (`run … | head`) or a terminal that
 * went away (EPIPE, EIO) must never crash a run between inject and restore: once the stream has
 * failed, later writes are dropped and the run goes on to restore and exit with its real code.
 */
export function droppingOutput(stream: Writable, isTTY: boolean): Output {
  let broken = false;
  stream.on('error', () => {
    broken = true;
  });
  return {
    isTTY,
    write(s) {
      if (broken || stream.destroyed || stream.writableEnded) return;
      try {
        stream.write(s);
      } catch {
        broken = true;
      }
    },
  };
}

export function processContext(): Context {
  return {
    stdout: droppingOutput(process.stdout, Boolean(process.stdout.isTTY)),
    stderr: droppingOutput(process.stderr, Boolean(process.stderr.isTTY)),
    env: process.env,
    cwd: process.cwd(),
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
  };
}
