import { describe, expect, it } from 'vitest';
import { parseReading, pingClock, type PingChannel } from './clock-ping.js';

/** A master whose loop answers each line with its clock (laptop time + skew), in chunks as given. */
function fakeLoop(skew: number, clock: { t: number }, split = false, stallAfter = Infinity) {
  const writes: string[] = [];
  let ended = false;
  let listener: (chunk: string) => void = () => undefined;
  const channel: PingChannel = {
    write: (line) => {
      writes.push(line);
      if (writes.length > stallAfter) return;
      clock.t += 0.001; // the way there
      const reading = `${(clock.t + skew).toFixed(6)}\n`;
      clock.t += 0.001; // the way back
      queueMicrotask(() => {
        if (split) {
          listener(reading.slice(0, 5));
          listener(reading.slice(5));
        } else listener(reading);
      });
    },
    end: () => (ended = true),
    onData: (l) => (listener = l),
  };
  return { channel, writes, ended: () => ended };
}

describe('reading the master’s clock over one channel', () => {
  it('parses $EPOCHREALTIME and date +%s.%N, also with a comma; other lines are not readings', () => {
    expect(parseReading('1796528946.386030')).toBeCloseTo(1796528946.38603, 6);
    expect(parseReading('1796528946,386030\r')).toBeCloseTo(1796528946.38603, 6);
    expect(parseReading('1796528946.386030008')).toBeCloseTo(1796528946.38603, 6);
    expect(parseReading('bash: warning')).toBeNull();
  });

  it('one ping at a time; each reading lies inside its own round trip, 3.7 s ahead', async () => {
    const clock = { t: 100 };
    const f = fakeLoop(3.7, clock, true);
    const samples = await pingClock(f.channel, 4, () => clock.t, 1000);
    expect(samples).toHaveLength(4);
    expect(f.writes).toHaveLength(4);
    expect(f.ended()).toBe(true);
    for (const s of samples) {
      expect(s.master - 3.7).toBeGreaterThan(s.sent);
      expect(s.master - 3.7).toBeLessThan(s.received);
    }
  });

  it('a loop that stalls: the samples so far, after the timeout', async () => {
    const clock = { t: 100 };
    const f = fakeLoop(0, clock, false, 2);
    const samples = await pingClock(f.channel, 5, () => clock.t, 50);
    expect(samples).toHaveLength(2);
    expect(f.ended()).toBe(true);
  });
});
