import { describe, expect, it } from 'vitest';
import type { RaftEvent, StepEvent, TimelineEvent } from '../timeline/events.js';
import { RaftPace, SETTLE_S } from './raft-pace.js';

const OPTIONS = { intervalMs: 100, faultIntervalMs: 20, faultWindowMs: 10_000 };
let seq = 0;

function raft(t: number, master: string, fields: Partial<RaftEvent> = {}): TimelineEvent {
  return { kind: 'raft', master, ok: true, latencyMs: 1, seq: ++seq, t, ...fields };
}

function injectStart(t: number, fields: Partial<StepEvent> = {}): TimelineEvent {
  const step: StepEvent = {
    kind: 'step',
    phase: 'inject',
    index: 0,
    action: 'killService',
    service: 'etcd',
    targets: ['master-1'],
    state: 'start',
    seq: ++seq,
    t,
    ...fields,
  };
  return step;
}

/** Three members all reporting leader `leader` at `term`. */
function all(pace: RaftPace, t: number, leader: string, term: string, down: string[] = []): void {
  for (const [master, id] of [
    ['master-1', 'a'],
    ['master-2', 'b'],
    ['master-3', 'c'],
  ] as const) {
    if (down.includes(master)) pace.observe(raft(t, master, { ok: false }));
    else pace.observe(raft(t, master, { memberId: id, leader, term }));
  }
}

describe('raft watcher pace', () => {
  it('polls at the steady period until an inject step starts', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '2');
    expect(pace.intervalMs(1.05)).toBe(100);
    pace.observe(injectStart(2));
    expect(pace.intervalMs(2.01)).toBe(20);
  });

  it('stays fast through the election and slows down once the new leader has held for SETTLE_S', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '2');
    pace.observe(injectStart(2));
    // the old leader is dead; the survivors still name it until the election timeout
    all(pace, 2.5, 'a', '2', ['master-1']);
    expect(pace.intervalMs(2.5)).toBe(20);
    // b reports itself leader at term 3: the election is known
    pace.observe(raft(3.2, 'master-2', { memberId: 'b', leader: 'b', term: '3' }));
    expect(pace.intervalMs(3.2)).toBe(20);
    expect(pace.intervalMs(3.2 + SETTLE_S - 0.01)).toBe(20);
    expect(pace.intervalMs(3.2 + SETTLE_S)).toBe(100);
    expect(pace.intervalMs(5)).toBe(100);
  });

  it('a quorum of followers naming one new leader counts as much as its own report', () => {
    const pace = new RaftPace(5, OPTIONS);
    pace.observe(raft(1, 'master-1', { memberId: 'a', leader: 'a', term: '4' }));
    pace.observe(injectStart(2));
    for (const m of ['master-2', 'master-3'])
      pace.observe(raft(3, m, { memberId: m, leader: 'z', term: '5' }));
    expect(pace.intervalMs(3 + SETTLE_S)).toBe(20); // two of five is no quorum
    pace.observe(raft(3.1, 'master-4', { memberId: 'd', leader: 'z', term: '5' }));
    expect(pace.intervalMs(3.1 + SETTLE_S + 0.001)).toBe(100);
  });

  it('a leader at the old term, or a member without a leader, does not end the window', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '7');
    pace.observe(injectStart(2));
    all(pace, 2.5, 'a', '7');
    pace.observe(raft(2.6, 'master-3', { memberId: 'c', term: '8' })); // campaigning, no leader
    expect(pace.intervalMs(2.6 + 2 * SETTLE_S)).toBe(20);
  });

  it('the window ends after faultWindow even without an election (a drill that leaves etcd alone)', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '2');
    pace.observe(injectStart(2));
    all(pace, 5, 'a', '2');
    expect(pace.intervalMs(11.99)).toBe(20);
    expect(pace.intervalMs(12)).toBe(100);
  });

  it('each inject step opens a new window measured from the term it found', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '2');
    pace.observe(injectStart(2));
    all(pace, 3, 'b', '3', ['master-1']);
    expect(pace.intervalMs(3 + SETTLE_S)).toBe(100);
    pace.observe(injectStart(6));
    all(pace, 6.5, 'b', '3', ['master-1']); // term 3 is now the old term
    expect(pace.intervalMs(6.5 + SETTLE_S)).toBe(20);
  });

  it('a member that did not answer its last poll stays at the steady period', () => {
    const pace = new RaftPace(3, OPTIONS);
    all(pace, 1, 'a', '2');
    pace.observe(injectStart(2));
    all(pace, 2.5, 'a', '2', ['master-1']);
    expect(pace.intervalMs(2.5, 'master-1')).toBe(100);
    expect(pace.intervalMs(2.5, 'master-2')).toBe(20);
    pace.observe(raft(2.6, 'master-1', { memberId: 'a', leader: 'a', term: '2' }));
    expect(pace.intervalMs(2.6, 'master-1')).toBe(20);
  });

  it('a fault interval not below the steady one changes nothing', () => {
    const pace = new RaftPace(3, { ...OPTIONS, faultIntervalMs: 100 });
    pace.observe(injectStart(2));
    expect(pace.intervalMs(2.01)).toBe(100);
  });

  it('only steps that may move etcd’s leader open a window', () => {
    const opens = (fields: Partial<StepEvent>): boolean => {
      const pace = new RaftPace(3, OPTIONS);
      pace.observe(injectStart(2, fields));
      return pace.intervalMs(2.01) === 20;
    };
    expect(opens({ action: 'stopService', service: 'etcd' })).toBe(true);
    expect(opens({ action: 'partition', service: undefined })).toBe(true);
    expect(opens({ action: 'ssh', service: undefined })).toBe(true);
    expect(opens({ action: 'stopService', service: 'kube-scheduler' })).toBe(false);
    expect(opens({ action: 'killService', service: 'kube-apiserver' })).toBe(false);
    expect(opens({ action: 'wait', service: undefined })).toBe(false);
  });

  it('restore steps do not open a window', () => {
    const pace = new RaftPace(3, OPTIONS);
    pace.observe({ ...(injectStart(2) as StepEvent), phase: 'restore' });
    expect(pace.intervalMs(2.01)).toBe(100);
  });
});
