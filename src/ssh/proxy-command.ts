/**
 * A ProxyCommand as ssh(1) runs it: `sh -c <command>` on this machine, its stdin/stdout the
 * SSH byte stream (ssh2's `sock`). The process is watched: if it exits before the connection is
 * made, the caller learns its status and the end of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';

export interface ProxyProcess {
  sock: Duplex;
  /** resolves when the command exits, with its status and the tail of its stderr */
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(): void;
}

export function startProxyCommand(command: string, env: Record<string, string | undefined>): ProxyProcess {
  const child: ChildProcess = spawn('/bin/sh', ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: env as NodeJS.ProcessEnv,
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, stderr: err.message }));
    child.once('exit', (code, signal) => {
      // stderr may still be draining: give it a tick
      setImmediate(() => resolve({ code, signal, stderr }));
    });
  });
  const sock = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
  // a broken pipe after the command exited surfaces through `exited`, not as an unhandled error
  sock.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  return {
    sock,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
