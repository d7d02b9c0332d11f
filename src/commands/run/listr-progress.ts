/**
 * The TTY progress: one listr2 tree whose tasks are the run's phases (known up front, run in
 * order). The engine's phase `end` settles a task; steps and waits show as the running task's
 * output; phases that never ran are marked skipped when the run closes.
 */
import { Listr } from 'listr2';
import type { Output } from '../../context.js';
import type { Progress } from '../../engine/progress.js';

const PHASES = ['preflight', 'steadyState', 'inject', 'observe', 'restore', 'evaluate'] as const;
type PhaseName = (typeof PHASES)[number];

interface TaskHandle {
  title: string;
  output: string;
  skip(message?: string): void;
}

interface Slot {
  done: Promise<{ ok: boolean; detail?: string; skipped?: boolean }>;
  settle: (r: { ok: boolean; detail?: string; skipped?: boolean }) => void;
  task?: TaskHandle;
}

function isPhase(title: string): title is PhaseName {
  return (PHASES as readonly string[]).includes(title);
}

export class ListrProgress implements Progress {
  private readonly slots = new Map<PhaseName, Slot>();
  private current: PhaseName = 'preflight';
  private readonly run: Promise<unknown>;

  constructor(private readonly out: Output) {
    for (const p of PHASES) {
      let settle!: Slot['settle'];
      const done = new Promise<{ ok: boolean; detail?: string; skipped?: boolean }>((r) => (settle = r));
      this.slots.set(p, { done, settle });
    }
    const list = new Listr(
      PHASES.map((p) => ({
        title: p,
        task: async (_ctx: unknown, task: TaskHandle) => {
          const slot = this.slots.get(p) as Slot;
          slot.task = task;
          const r = await slot.done;
          if (r.skipped) return task.skip(`${p}: skipped`);
          if (r.detail) task.title = `${p}: ${r.detail}`;
          if (!r.ok) throw new Error(r.detail ?? `${p} failed`);
        },
      })),
      { exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    this.run = list.run().catch(() => undefined);
  }

  start(title: string): void {
    if (isPhase(title)) this.current = title;
    else this.info(`▶ ${title}`);
  }

  end(title: string, ok: boolean, detail?: string): void {
    if (isPhase(title)) {
      // phases before this one that never started were skipped
      for (const p of PHASES) {
        if (p === title) break;
        void this.slots.get(p)?.settle({ ok: true, skipped: true });
      }
      this.slots.get(title)?.settle({ ok, ...(detail ? { detail } : {}) });
      return;
    }
    this.info(`${ok ? '✓' : '✗'} ${title}${detail ? `: ${detail}` : ''}`);
  }

  wait(what: string, elapsedS: number, boundS: number, detail?: string): void {
    this.info(`waiting for ${what} ${elapsedS.toFixed(1)}s / ${boundS}s${detail ? ` (${detail})` : ''}`);
  }

  info(text: string): void {
    const t = this.slots.get(this.current)?.task;
    if (t) t.output = text;
  }

  warn(text: string): void {
    this.out.write(`! ${text}\n`);
  }

  close(): void {
    for (const slot of this.slots.values()) slot.settle({ ok: true, skipped: true });
  }

  /** Resolves once the tree has drawn its last frame. */
  finished(): Promise<unknown> {
    return this.run;
  }
}
