/**
 * Replaying undo records: run the commands, then poll the verify command until it passes;
 * retried with backoff. Shared by the run's restore phase and `kha-drill recover`.
 */
import type { Inventory } from '../config/schema.js';
import { trimOutput } from '../ssh/errors.js';
import { describeExit } from './describe.js';
import type { Remote, UndoSpec } from './types.js';

export interface ReplayOptions {
  /** waits before attempts 2, 3, …; its length + 1 is the number of attempts */
  backoffMs?: number[];
  /** how long the verify command may take to pass after the commands ran */
  verifyTimeoutS?: number;
  commandTimeoutS?: number;
  sleep: (ms: number) => Promise<void>;
  onAttempt?: (attempt: number, error: string) => void;
}

export interface ReplayResult {
  ok: boolean;
  attempts: number;
  command: string;
  error?: string;
  output?: string;
}

export const DEFAULT_BACKOFF_MS = [1000, 2000, 4000, 8000];

/** The waits before tries 2…n: `backoffS`, doubling each time (5 tries of 1 s: 1, 2, 4, 8 s). */
export function backoffWaitsMs(tries: number, backoffS: number): number[] {
  return Array.from({ length: Math.max(0, tries - 1) }, (_, i) => Math.round(backoffS * 1000 * 2 ** i));
}

export async function replayUndo(
  undo: UndoSpec,
  inventory: Inventory,
  remote: Remote,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const master = inventory.masters.find((m) => m.name === undo.master);
  const command = undo.commands.join(' && ');
  if (!master) {
    return {
      ok: false,
      attempts: 0,
      command,
      error: `master ${undo.master} is not in the inventory: cannot restore it`,
    };
  }
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const verifyTimeoutS = options.verifyTimeoutS ?? 15;
  let error = '';
  let output = '';
  for (let attempt = 1; attempt <= backoff.length + 1; attempt++) {
    if (attempt > 1) await options.sleep(backoff[attempt - 2] ?? 1000);
    try {
      let failed = false;
      for (const c of undo.commands) {
        const r = await remote.exec(
          master,
          c,
          options.commandTimeoutS ? { timeoutS: options.commandTimeoutS } : {},
        );
        output = trimOutput(`${r.stdout}\n${r.stderr}`, 300);
        if (r.code !== 0) {
          error = `\`${c}\` on ${master.name} ${describeExit(r)}${r.stderr ? `: ${trimOutput(r.stderr, 200)}` : ''}`;
          failed = true;
          break;
        }
      }
      if (!failed && undo.verify) {
        let verified = false;
        // polls every 0.5 s (counted, so a fake clock works too)
        for (let poll = 0; ; poll++) {
          const v = await remote.exec(master, undo.verify, { timeoutS: 15 });
          if (v.code === 0) {
            verified = true;
            break;
          }
          error = `not verified on ${master.name}: \`${undo.verify}\` ${describeExit(v)}${v.stdout || v.stderr ? ` (${trimOutput(v.stdout || v.stderr, 120)})` : ''}`;
          if (poll >= verifyTimeoutS * 2) break;
          await options.sleep(500);
        }
        failed = !verified;
      }
      if (!failed) return { ok: true, attempts: attempt, command, ...(output ? { output } : {}) };
    } catch (err) {
      error = (err as Error).message;
    }
    options.onAttempt?.(attempt, error);
  }
  return { ok: false, attempts: backoff.length + 1, command, error, ...(output ? { output } : {}) };
}
