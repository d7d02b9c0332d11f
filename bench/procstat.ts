/**
 * The harness's own cost, read from /proc/<pid>/stat (utime + stime) and /proc/<pid>/status
 * (VmRSS) while it runs. Parsing and windowing are pure; `ProcSampler` does the sampling.
 */
import { readFileSync } from 'node:fs';

/** utime + stime in clock ticks, from the text of /proc/<pid>/stat; null if unreadable. */
export function cpuTicks(stat: string): number | null {
  // the command name (field 2) is in parentheses and may hold spaces: split after the last ')'
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** VmRSS in kB from the text of /proc/<pid>/status; null if absent (e.g. a zombie). */
export function rssKb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : null;
}

export interface ProcSample {
  /** epoch ms */
  at: number;
  ticks: number;
  rssKb: number;
}

export interface WindowCost {
  /** CPU seconds used in the window */
  cpuS: number;
  /** CPU time / wall time, as % of one core */
  cpuPct: number;
  peakRssKb: number;
  windowS: number;
  samples: number;
}

/**
 * CPU and peak RSS between `fromMs` and `toMs` (epoch ms): CPU is the tick difference between
 * the last sample at or before `fromMs` (else the first inside) and the first at or after `toMs`
 * (else the last inside), over the time between those samples.
 */
export function windowCost(
  samples: readonly ProcSample[],
  fromMs: number,
  toMs: number,
  ticksPerS: number,
): WindowCost | null {
  if (samples.length === 0) return null;
  const before = samples.filter((s) => s.at <= fromMs).pop();
  const inside = samples.filter((s) => s.at > fromMs && s.at < toMs);
  const after = samples.find((s) => s.at >= toMs);
  const a = before ?? inside[0];
  const b = after ?? inside[inside.length - 1];
  if (!a || !b || b.at <= a.at) return null;
  const cpuS = (b.ticks - a.ticks) / ticksPerS;
  const windowS = (b.at - a.at) / 1000;
  const within = [a, ...inside, b];
  return {
    cpuS,
    cpuPct: (100 * cpuS) / windowS,
    peakRssKb: Math.max(...within.map((s) => s.rssKb)),
    windowS,
    samples: within.length,
  };
}

/** Samples one process every `intervalMs` until stopped or the process is gone. */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Takes one sample now; false once the process is gone. */
  sample(): boolean {
    try {
      const ticks = cpuTicks(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
      const rss = rssKb(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      if (ticks === null || rss === null) return false;
      this.samples.push({ at: Date.now(), ticks, rssKb: rss });
      return true;
    } catch {
      return false;
    }
  }

  stop(): ProcSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.samples;
  }
}
