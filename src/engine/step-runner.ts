/**
 * Runs one rendered step: its remote commands in order (each must exit 0), or its local wait,
 * or its waitFor condition. Every step is a start and an end event on the timeline and a
 * StepRecord for the report.
 */
import { KhaError, errorMessage } from '../errors.js';
import type { Inventory, Step } from '../config/schema.js';
import { parseDuration } from '../text/duration.js';
import type { StepRecord } from '../report/result.js';
import { RemoteCommandError, trimOutput } from '../ssh/errors.js';
import type { CommandBracket, NewEvent } from '../timeline/events.js';
import { describeCondition, waitForCondition, type ConditionDeps } from './conditions.js';
import { describeExit } from './describe.js';
import type { RunTimeline } from './deps.js';
import type { Progress } from './progress.js';
import { bracketCommand, parseBracket } from './fault/bracket.js';
import type { Remote, RenderedStep } from './types.js';

/** A waitFor step's condition did not hold within its bound (or the wait was stopped). */
export class WaitNotMetError extends KhaError {
  constructor(message: string) {
    super('E_WAIT_NOT_MET', message);
    this.name = 'WaitNotMetError';
  }
}

export interface StepRunner {
  inventory: Inventory;
  remote: Remote;
  timeline: RunTimeline;
  progress: Progress;
  conditions: () => ConditionDeps;
  sleep: (ms: number) => Promise<void>;
  pause: (ms: number, signal: AbortSignal) => Promise<void>;
  /** aborted on interrupt or abort: inject-phase waits end early */
  stop: AbortSignal;
}

export interface StepRun {
  step: Step;
  rendered: RenderedStep;
  index: number;
  phase: 'inject' | 'restore';
  targetSpec: string | undefined;
  /** waits end early on `stop` (inject phase); restore waits never do */
  interruptible: boolean;
}

async function runOps(r: StepRunner, s: StepRun, rec: StepRecord, brackets: CommandBracket[]): Promise<void> {
  const timeoutS = s.step.timeout ? parseDuration(s.step.timeout) : undefined;
  for (const op of s.rendered.ops) {
    const master = r.inventory.masters.find((m) => m.name === op.master);
    if (!master) throw new KhaError('E_NO_MASTER', `no master ${op.master} in the inventory`);
    rec.host = master.host;
    rec.command = rec.command ? `${rec.command}; ${op.command}` : op.command;
    // an inject command runs between two readings of the master's clock (t_fault's bracket)
    const bracketed = s.phase === 'inject';
    const raw = await r.remote.exec(
      master,
      bracketed ? bracketCommand(op.command) : op.command,
      timeoutS ? { timeoutS } : {},
    );
    let res = raw;
    if (bracketed) {
      const b = parseBracket(raw.stdout);
      res = { ...raw, stdout: b.stdout };
      if (b.start !== null)
        brackets.push({ master: op.master, start: b.start, ...(b.end !== null ? { end: b.end } : {}) });
    }
    rec.exitCode = res.code;
    const out = trimOutput(`${res.stdout}${res.stdout && res.stderr ? '\n' : ''}${res.stderr}`, 500);
    if (out) rec.output = out;
    if (res.code !== 0 || res.timedOut) {
      const status = describeExit(res);
      const err = res.stderr ? `: ${trimOutput(res.stderr, 200)}` : '';
      throw new RemoteCommandError(
        {
          master: master.name,
          address: `${master.host}:${master.port ?? r.inventory.ssh.port}`,
          command: op.command,
          exitCode: res.code,
          stderr: res.stderr,
          ...(res.timedOut ? { timedOut: true } : {}),
        },
        `\`${op.command}\` on ${master.name} (${master.host}) ${status}${err}`,
      );
    }
  }
}

async function runLocal(r: StepRunner, s: StepRun, rec: StepRecord): Promise<void> {
  const { wait, waitFor } = s.rendered;
  if (wait) {
    const ms = wait.seconds * 1000;
    await (s.interruptible ? r.pause(ms, r.stop) : r.sleep(ms));
  }
  if (waitFor) {
    const res = await waitForCondition(waitFor.condition, r.conditions(), {
      timeoutS: waitFor.timeoutS,
      onWait: (what, el, bound, detail) => r.progress.wait(what, el, bound, detail),
      stopped: () => (s.interruptible && r.stop.aborted ? 'interrupted' : null),
    });
    if (!res.ok) {
      throw new WaitNotMetError(
        res.stoppedBy
          ? `stopped (${res.stoppedBy})`
          : `${describeCondition(waitFor.condition)}: not met within ${waitFor.timeoutS} s (${res.detail})`,
      );
    }
    rec.output = res.detail;
  }
}

export async function runStep(r: StepRunner, s: StepRun): Promise<StepRecord> {
  const { step, rendered, index, phase } = s;
  const title = `${phase} ${index + 1}: ${rendered.summary}`;
  const startT = r.timeline.now();
  const base: NewEvent = {
    kind: 'step',
    phase,
    index,
    action: step.action,
    targets: rendered.targets,
    state: 'start',
    ...(step.id ? { id: step.id } : {}),
    ...('service' in step ? { service: step.service } : {}),
  };
  r.timeline.append(base);
  r.progress.start(title);
  const rec: StepRecord = {
    phase,
    index,
    action: step.action,
    targets: rendered.targets,
    startT,
    endT: startT,
    ok: true,
    ...(step.id ? { id: step.id } : {}),
    ...(s.targetSpec ? { targetSpec: s.targetSpec } : {}),
  };
  const brackets: CommandBracket[] = [];
  try {
    await runOps(r, s, rec, brackets);
    await runLocal(r, s, rec);
  } catch (err) {
    rec.ok = false;
    rec.error = errorMessage(err);
  }
  rec.endT = r.timeline.now();
  const end: NewEvent = { ...base, state: 'end', ok: rec.ok };
  if (rec.command) end.command = rec.command;
  if (rec.exitCode !== undefined) end.exitCode = rec.exitCode;
  if (rec.output) end.output = rec.output;
  if (rec.error) end.error = rec.error;
  if (brackets.length) end.brackets = rec.brackets = brackets;
  r.timeline.append(end);
  r.progress.end(title, rec.ok, rec.error ?? `${(rec.endT - startT).toFixed(2)} s`);
  return rec;
}
