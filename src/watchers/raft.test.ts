import { describe, expect, it } from 'vitest';
import type { MemberStatus } from '../clients/etcd.js';
import type { RaftEvent } from '../timeline/events.js';
import { Timeline } from '../timeline/timeline.js';
import { watchRaft, type StatusSource } from './raft.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const good: MemberStatus = {
  ok: true,
  endpoint: 'x',
  id: 'a1',
  leader: 'a1',
  term: '2',
  raftIndex: '9',
  errors: [],
  latencyMs: 1,
};

describe('raft watcher', () => {
  it('never overlaps polls of one member, and marks a silent member blind until it answers', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const slow: StatusSource = {
      async status({ timeoutMs }) {
        active++;
        maxActive = Math.max(maxActive, active);
        calls++;
        const failing = calls >= 2 && calls <= 3;
        await sleep(failing ? timeoutMs : 1);
        active--;
        return failing
          ? { ok: false, endpoint: 'x', errors: ['no answer within 30 ms'], latencyMs: timeoutMs }
          : good;
      },
    };
    const fast: StatusSource = { status: async () => good };
    const tl = new Timeline();
    const stop = watchRaft(
      tl,
      [
        { name: 'm1', source: slow },
        { name: 'm2', source: fast },
      ],
      { intervalMs: 20, timeoutMs: 30 },
    );
    await sleep(250);
    await stop();
    expect(maxActive).toBe(1);
    const m1 = tl
      .events()
      .filter(
        (e) =>
          (e.kind === 'raft' || e.kind === 'blind') && (e.kind === 'raft' ? e.master : e.subject) === 'm1',
      );
    expect(
      m1
        .slice(0, 5)
        .map((e) => (e.kind === 'raft' ? `raft:${e.ok}` : e.kind === 'blind' ? `blind:${e.state}` : '')),
    ).toEqual(['raft:true', 'raft:false', 'blind:start', 'raft:false', 'raft:true']);
    expect(m1[5]).toMatchObject({ kind: 'blind', state: 'end' });
    const ok = tl.events().find((e): e is RaftEvent => e.kind === 'raft' && e.ok)!;
    expect(ok).toMatchObject({ memberId: 'a1', leader: 'a1', term: '2', raftIndex: '9' });
    const m2 = tl.events().filter((e) => e.kind === 'raft' && e.master === 'm2').length;
    expect(m2).toBeGreaterThanOrEqual(8);
  });

  it('clamps the interval to 20 ms', async () => {
    const tl = new Timeline();
    const stop = watchRaft(tl, [{ name: 'm1', source: { status: async () => good } }], { intervalMs: 1 });
    await sleep(100);
    await stop();
    expect(tl.events().length).toBeLessThanOrEqual(7);
  });
});
