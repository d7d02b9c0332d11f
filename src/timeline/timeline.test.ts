import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import type { TimelineEvent } from './events.js';
import { parseTimeline, readTimeline, TimelineParseError } from './read.js';
import { Timeline } from './timeline.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kha-timeline-'));
  dirs.push(d);
  return d;
};

describe('Timeline', () => {
  it('stamps seq and monotonic t from one base time, and the header wall time', () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const tl = new Timeline({ clock });
    const run = tl.append({
      kind: 'run',
      runId: 'r',
      drill: 'd',
      cluster: 'c',
      wallTime: '',
      harnessVersion: '0',
      masters: [],
      leaderElection: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
    });
    clock.advance(1234.5678);
    const w = tl.append({ kind: 'write', ok: true, latencyMs: 1 });
    expect(run).toMatchObject({ seq: 0, t: 0, wallTime: '2025-01-02T03:04:05.678Z' });
    expect(w).toMatchObject({ seq: 1, t: 1.234568 });
    expect(tl.now()).toBe(1.234568);
    expect(tl.events()).toHaveLength(2);
  });

  it('tells subscribers each event, and survives a failing one', () => {
    const tl = new Timeline({ clock: new FakeClock() });
    const seen: TimelineEvent[] = [];
    tl.subscribe(() => {
      throw new Error('boom');
    });
    const off = tl.subscribe((e) => seen.push(e));
    tl.append({ kind: 'write', ok: true, latencyMs: 1 });
    off();
    tl.append({ kind: 'write', ok: false, latencyMs: 1 });
    expect(seen.map((e) => e.seq)).toEqual([0]);
    expect(tl.events()).toHaveLength(2);
  });

  it('writes each event as one line at once, and reads it back', async () => {
    const file = join(tmp(), 'run', 'timeline.ndjson');
    const clock = new FakeClock();
    const tl = new Timeline({ file, clock });
    tl.append({ kind: 'mark', mark: 'note', message: 'a' });
    // on disk before close: a killed run keeps it
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
    clock.advance(500);
    tl.append({ kind: 'api', master: 'lb', ok: true, status: 200, latencyMs: 2 });
    tl.close();
    expect(await readTimeline(file)).toEqual(tl.events());
  });

  it('tolerates a cut last line, not a broken middle one', () => {
    const tl = new Timeline({ clock: new FakeClock() });
    const a = tl.append({ kind: 'write', ok: true, latencyMs: 1 });
    const text = JSON.stringify(a) + '\n' + JSON.stringify(a).slice(0, 10);
    expect(parseTimeline(text)).toEqual({ events: [a], truncated: true });
    expect(() => parseTimeline(JSON.stringify(a).slice(0, 10) + '\n' + JSON.stringify(a) + '\n')).toThrow(
      TimelineParseError,
    );
    expect(() => parseTimeline('{"x":1}\n')).toThrow(/not a timeline event/);
  });

  it('appends to an existing file', async () => {
    const file = join(tmp(), 'timeline.ndjson');
    appendFileSync(file, JSON.stringify({ kind: 'mark', mark: 'note', message: 'old', seq: 0, t: 0 }) + '\n');
    const tl = new Timeline({ file, clock: new FakeClock() });
    tl.append({ kind: 'mark', mark: 'note', message: 'new' });
    tl.close();
    expect((await readTimeline(file)).map((e) => (e.kind === 'mark' ? e.message : ''))).toEqual([
      'old',
      'new',
    ]);
  });
});
