/**
 * Progress of a run: a listr2 task tree on a TTY, plain timestamped lines otherwise (CI,
 * NO_COLOR, --quiet prints only warnings). Waits say what is awaited and elapsed vs bound.
 */
import type { Output } from '../context.js';

export interface Progress {
  /** a phase or step begins */
  start(title: string): void;
  /** it ended */
  end(title: string, ok: boolean, detail?: string): void;
  /** a long wait: what, elapsed and bound (throttled by the implementation) */
  wait(what: string, elapsedS: number, boundS: number, detail?: string): void;
  info(text: string): void;
  /** always shown, even with --quiet */
  warn(text: string): void;
  close(): void;
}

function stamp(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Plain lines: `12:01:02.345 ✓ inject: stop kube-scheduler on master-2 (0.21 s)`. */
export class LineProgress implements Progress {
  private lastWait = 0;
  constructor(
    private readonly out: Output,
    private readonly quiet = false,
  ) {}

  private line(text: string, always = false): void {
    if (this.quiet && !always) return;
    this.out.write(`${stamp()} ${text}\n`);
  }

  start(title: string): void {
    this.line(`▶ ${title}`);
  }

  end(title: string, ok: boolean, detail?: string): void {
    this.line(`${ok ? '✓' : '✗'} ${title}${detail ? `: ${detail}` : ''}`, !ok);
  }

  wait(what: string, elapsedS: number, boundS: number, detail?: string): void {
    const now = Date.now();
    if (now - this.lastWait < 2000) return;
    this.lastWait = now;
    this.line(`… waiting for ${what} ${elapsedS.toFixed(1)}s / ${boundS}s${detail ? ` (${detail})` : ''}`);
  }

  info(text: string): void {
    this.line(`  ${text}`);
  }

  warn(text: string): void {
    this.line(`! ${text}`, true);
  }

  close(): void {}
}

/** Progress that records everything (tests). */
export class MemoryProgress implements Progress {
  readonly lines: string[] = [];
  start(title: string): void {
    this.lines.push(`start ${title}`);
  }
  end(title: string, ok: boolean, detail?: string): void {
    this.lines.push(`${ok ? 'ok' : 'FAIL'} ${title}${detail ? `: ${detail}` : ''}`);
  }
  wait(what: string, elapsedS: number, boundS: number): void {
    this.lines.push(`wait ${what} ${elapsedS.toFixed(1)}/${boundS}`);
  }
  info(text: string): void {
    this.lines.push(`info ${text}`);
  }
  warn(text: string): void {
    this.lines.push(`warn ${text}`);
  }
  close(): void {}
}
