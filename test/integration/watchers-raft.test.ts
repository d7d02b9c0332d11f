/**
 * Raft watcher and etcd write probe against a real 3-member etcd: a frozen follower is recorded
 * as not answering (blind) without stalling the others; a SIGKILLed leader's re-election time
 * agrees with the members' own "elected leader … at term N" log lines.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster, EtcdMemberClient } from '../../src/clients/etcd.js';
import { computeMetrics } from '../../src/metrics/compute.js';
import type { RaftEvent, TimelineEvent } from '../../src/timeline/events.js';
import { Timeline } from '../../src/timeline/timeline.js';
import { clusterWriteTarget, watchEtcdWrites } from '../../src/watchers/etcd-write.js';
import { watchRaft } from '../../src/watchers/raft.js';
import { devEtcd, electedLines, type DevEtcd } from './watchers-etcd-cluster.js';

const DIR = process.env.KHA_TEST_WATCHERS_DIR ?? mkdtempSync(join(tmpdir(), 'kha-watchers-raft-'));
const INTERVAL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function header(tl: Timeline, etcd: DevEtcd, drill: string) {
  tl.append({
    kind: 'run',
    runId: drill,
    drill,
    cluster: 'dev',
    wallTime: '',
    harnessVersion: 'test',
    masters: etcd.members.map((m) => ({
      name: m.name,
      nodeName: m.name,
      host: m.ip,
      etcd: m.endpoint,
      apiserver: '',
    })),
    leaderElection: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
  });
}

function startRaft(tl: Timeline, etcd: DevEtcd) {
  return watchRaft(
    tl,
    etcd.members.map((m) => ({ name: m.name, source: new EtcdMemberClient(m.endpoint) })),
    { intervalMs: INTERVAL_MS },
  );
}

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(50);
  }
  return pred();
}

const raftOf = (events: readonly TimelineEvent[]) => events.filter((e): e is RaftEvent => e.kind === 'raft');

describe('raft watcher on a real etcd', () => {
  let etcd: DevEtcd;

  beforeAll(async () => {
    etcd = devEtcd(DIR);
    for (const m of etcd.members) etcd.start(m.name);
    const cluster = new EtcdCluster(etcd.members.map((m) => ({ name: m.name, endpoint: m.endpoint })));
    for (let i = 0; i < 100; i++) {
      const all = await cluster.statusAll({ timeoutMs: 300 });
      if (all.every((s) => s.ok && s.leader)) break;
      await sleep(100);
    }
    cluster.close();
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  it('records a frozen follower as not answering, without stalling the others', async () => {
    const tl = new Timeline({ file: join(DIR, 'freeze', 'timeline.ndjson') });
    header(tl, etcd, 'freeze');
    const stop = startRaft(tl, etcd);
    await sleep(800);
    const leaderId = raftOf(tl.events()).find((e) => e.leader)!.leader;
    const follower = raftOf(tl.events()).find((e) => e.memberId && e.memberId !== leaderId)!.master;
    const frozenAt = tl.now();
    etcd.signal(follower, 'SIGSTOP');
    await sleep(2000);
    etcd.signal(follower, 'SIGCONT');
    const thawedAt = tl.now();
    await sleep(1000);
    await stop();
    tl.close();

    const events = tl.events();
    const mine = raftOf(events).filter(
      (e) => e.master === follower && e.t > frozenAt && e.t < thawedAt + 0.6,
    );
    expect(mine.some((e) => !e.ok && /no answer within/.test(e.error ?? ''))).toBe(true);
    const blind = events
      .filter((e) => e.kind === 'blind' && e.subject === follower)
      .map((e) => (e.kind === 'blind' ? e.state : ''));
    expect(blind).toEqual(['start', 'end']);
    expect(
      raftOf(events)
        .filter((e) => e.master === follower)
        .pop()!.ok,
    ).toBe(true);
    for (const m of etcd.members.filter((x) => x.name !== follower)) {
      const ts = raftOf(events)
        .filter((e) => e.master === m.name && e.t > frozenAt && e.t < thawedAt)
        .map((e) => e.t);
      const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
      expect(Math.max(...gaps), `${m.name} kept polling`).toBeLessThan(0.3);
      expect(ts.length).toBeGreaterThan(12);
    }
  });

  it('times a SIGKILLed leader’s re-election as the members’ logs do, and the restarted member’s catch-up', async () => {
    const tl = new Timeline({ file: join(DIR, 'kill', 'timeline.ndjson') });
    header(tl, etcd, 'kill');
    const stopRaft = startRaft(tl, etcd);
    const cluster = new EtcdCluster(etcd.members.map((m) => ({ name: m.name, endpoint: m.endpoint })));
    const stopWrites = watchEtcdWrites(tl, clusterWriteTarget(cluster), {
      runId: 'it-kill',
      intervalMs: INTERVAL_MS,
      timeoutMs: 1000,
    });
    await sleep(1000);
    const before = raftOf(tl.events())
      .filter((e) => e.ok && e.leader)
      .pop()!;
    const leader = raftOf(tl.events()).find((e) => e.memberId === before.leader)!.master;
    const termBefore = Number(before.term);

    tl.append({ kind: 'phase', phase: 'inject', state: 'start' });
    tl.append({
      kind: 'step',
      phase: 'inject',
      index: 0,
      action: 'killService',
      targets: [leader],
      state: 'start',
    });
    etcd.signal(leader, 'SIGKILL');
    tl.append({
      kind: 'step',
      phase: 'inject',
      index: 0,
      action: 'killService',
      targets: [leader],
      state: 'end',
      ok: true,
    });
    const reelected = await until(
      () => computeMetrics(tl.events(), { metrics: ['raft.reelection_s'] })[0]!.status === 'measured',
      10_000,
    );
    expect(reelected).toBe(true);
    await sleep(1000);
    tl.append({ kind: 'phase', phase: 'observe', state: 'end' });
    tl.append({ kind: 'phase', phase: 'restore', state: 'start' });
    const restartWall = Date.now();
    etcd.start(leader, 'existing');
    tl.append({
      kind: 'step',
      phase: 'restore',
      index: 0,
      action: 'startService',
      targets: [leader],
      state: 'end',
      ok: true,
    });
    await until(
      () => computeMetrics(tl.events(), { metrics: ['raft.catchup_s'] })[0]!.status === 'measured',
      10_000,
    );
    await sleep(500);
    await stopWrites();
    await stopRaft();
    tl.close();

    const events = tl.events();
    const metrics = computeMetrics(events);
    const get = (name: string) => metrics.find((m) => m.name === name)!;
    const reelection = get('raft.reelection_s');
    const after = raftOf(events)
      .filter((e) => e.ok && e.leader && Number(e.term) > termBefore)
      .pop()!;

    // Ground truth: the new leader's own "elected leader" line (raft elects with a majority's votes).
    const header0 = events[0]!;
    const tInject = events.find((e) => e.kind === 'step' && e.state === 'end')!.t;
    const injectWall = Date.parse(header0.kind === 'run' ? header0.wallTime : '') + tInject * 1000;
    const lines = etcd.members
      .filter((m) => m.name !== leader)
      .flatMap((m) => electedLines(m.log))
      .filter((l) => l.term === Number(after.term) && l.ts < restartWall)
      .sort((a, b) => a.ts - b.ts);
    const own = lines.find((l) => l.member === l.leader)!;
    expect(own).toBeDefined();
    const truth = (own.ts - injectWall) / 1000;
    const diff = reelection.value! - truth;
    console.log(
      `raft.reelection_s measured ${reelection.value} ± ${reelection.errorS} s; zap logs: ${truth.toFixed(3)} s; difference ${diff.toFixed(3)} s`,
    );
    expect(Math.abs(diff)).toBeLessThanOrEqual(INTERVAL_MS / 1000 + 0.05);
    // and the bound is honest: the truth lies in [value − errorS, value + errorS] (logs have ms
    // resolution)
    expect(truth).toBeGreaterThanOrEqual(reelection.value! - reelection.errorS - 0.002);
    expect(truth).toBeLessThanOrEqual(reelection.value! + reelection.errorS + 0.002);

    expect(get('raft.elections').value).toBeGreaterThanOrEqual(1);
    expect(get('raft.catchup_s').status).toBe('measured');
    const outage = get('etcd.write_outage_s');
    console.log(
      `etcd.write_outage_s ${outage.value} ± ${outage.errorS}; raft.catchup_s ${get('raft.catchup_s').value}`,
    );
    expect(outage.value!).toBeGreaterThan(0.1);
    expect(outage.value!).toBeLessThan(10);

    // the probe cleaned up after itself
    const left = await cluster.withAnyMember((c) => c.countPrefix('/kha-drill/probe/it-kill/'), 3000);
    expect(left).toBe(0);
    cluster.close();
  });
});
