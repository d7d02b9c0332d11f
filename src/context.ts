/**
 * Everything a command may touch of the process: streams, environment, working directory,
 * signals. Whole commands run in-process in tests with a fake of this object.
 */
export interface Output {
  write(chunk: string): void;
  /** true when progress may be drawn in place (TTY, not NO_COLOR/--quiet/CI) */
  isTTY: boolean;
}

export interface Context {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Register a signal handler; returns a function that removes it. */
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): () => void;
}

export function processContext(): Context {
  return {
    stdout: { write: (s) => void process.stdout.write(s), isTTY: Boolean(process.stdout.isTTY) },
    stderr: { write: (s) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) },
    env: process.env,
    cwd: process.cwd(),
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
  };
}
