/**
 * The bench's subprocesses: the real CLI, once as a plain command (`cli`) and once as the measured
 * harness (`harness`: its own process group, /proc sampled meanwhile). Ctrl-C reaches the running
 * drill once, from here, so that it restores before the bench takes the lab down.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcSampler, type ProcSample } from './procstat.js';

/** dist-bench/bench/harness.js → the repository root */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'bin', 'kha-drill.js');

export const log = (s: string): void => void process.stderr.write(`${s}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export class Interrupted extends Error {}

let interrupted = false;
let current: ChildProcess | undefined;

export const isInterrupted = (): boolean => interrupted;

export function throwIfInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

export interface Harness {
  code: number;
  spawnMs: number;
  samples: ProcSample[];
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as its own process group (so a terminal's Ctrl-C reaches it once, from us, and it
 * restores) and samples its /proc meanwhile.
 */
export function harness(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Harness> {
  return new Promise((resolve) => {
    const spawnMs = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    const sampler = new ProcSampler(child.pid!, 100).start();
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\nbench: timed out after ${timeoutMs} ms, interrupting\n`;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
    }, timeoutMs);
    child.on('exit', () => {
      // the last sample before the process is gone
      sampler.sample();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: code ?? 1, spawnMs, samples: sampler.stop(), stdout, stderr });
    });
  });
}

/** SIGINT, SIGTERM, SIGHUP: stop the running drill (it restores); the bench then takes the lab down. */
export function handleSignals(): void {
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      log(`bench: ${sig} again; still restoring and stopping the lab`);
      return;
    }
    interrupted = true;
    log(`bench: ${sig}: stopping the current drill (it restores), then lab down`);
    if (current?.pid) {
      try {
        process.kill(current.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}
