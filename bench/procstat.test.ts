import { describe, expect, it } from 'vitest';
import { cpuTicks, rssKb, windowCost, type ProcSample } from './procstat.js';

describe('/proc parsing', () => {
  it('utime + stime, with a command name holding spaces and parentheses', () => {
    const stat =
      '4242 (node (kha) x) S 1 4242 4242 0 -1 4194560 12000 0 0 0 150 37 0 0 20 0 11 0 123456 1179648000 21000 18446744073709551615';
    expect(cpuTicks(stat)).toBe(187);
    expect(cpuTicks('garbage')).toBeNull();
  });

  it('VmRSS in kB; null for a zombie without one', () => {
    expect(rssKb('Name:\tnode\nVmPeak:\t 1200 kB\nVmRSS:\t   84100 kB\nVmHWM:\t 90000 kB\n')).toBe(84100);
    expect(rssKb('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });
});

describe('cost in a window', () => {
  const samples: ProcSample[] = [0, 100, 200, 300, 400, 500, 600].map((at, i) => ({
    at: 1000 + at,
    ticks: 10 + i * 2, // 2 ticks per 100 ms = 20 % of a core at 100 ticks/s
    rssKb: i === 3 ? 90_000 : 80_000,
  }));

  it('CPU % of one core and peak RSS between the samples around the window', () => {
    const c = windowCost(samples, 1150, 1450, 100)!;
    expect(c.windowS).toBeCloseTo(0.4, 9);
    expect(c.cpuS).toBeCloseTo(0.08, 9);
    expect(c.cpuPct).toBeCloseTo(20, 9);
    expect(c.peakRssKb).toBe(90_000);
  });

  it('null when there is nothing to measure', () => {
    expect(windowCost([], 0, 1, 100)).toBeNull();
    expect(windowCost(samples.slice(0, 1), 0, 5000, 100)).toBeNull();
  });
});
