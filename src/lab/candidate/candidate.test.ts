import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCandidate, type RunningCandidate } from './candidate.js';
import type { CandidateOptions } from './options.js';
import { FakeLeaseServer } from './testing/fake-lease-server.js';
import type { TruthEntry } from './truth-log.js';

// Short timings so that failovers take seconds; bounds below are generous on purpose.
// a lease long enough that "released" and "expired" stay far apart even on a loaded machine
const LEASE_MS = 5_000;
const RENEW_MS = 3_000;
const RETRY_MS = 500;
const NS = 'kube-system';

let fake: FakeLeaseServer;
let dir: string;
const running: RunningCandidate[] = [];

beforeEach(async () => {
  fake = await FakeLeaseServer.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kha-candidate-'));
});

afterEach(async () => {
  const left = running.splice(0);
  for (const c of left) c.stop();
  fake.mode = 'serve';
  await Promise.all(left.map((c) => c.done));
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(nodeName: string, extra: Partial<CandidateOptions> = {}): RunningCandidate {
  const options: CandidateOptions = {
    component: 'kube-scheduler',
    nodeName,
    server: fake.url,
    namespace: NS,
    name: 'kube-scheduler',
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_MS,
    retryPeriodMs: RETRY_MS,
    releaseOnCancel: true,
    truthLog: path.join(dir, `${nodeName}.truth.jsonl`),
    ...extra,
  };
  const c = startCandidate(options, { stdout: () => {}, stderr: () => {} });
  running.push(c);
  return c;
}

function holder(name = 'kube-scheduler'): string | undefined {
  return fake.lease(NS, name)?.spec.holderIdentity;
}

function truth(nodeName: string): TruthEntry[] {
  return fs
    .readFileSync(path.join(dir, `${nodeName}.truth.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TruthEntry);
}

async function waitFor(what: string, pred: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('candidate against the fake Lease server', () => {
  it('a single candidate acquires, renews, and releases on stop', async () => {
    const c = start('master-1');
    expect(c.identity).toMatch(/^master-1_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await waitFor('acquisition', () => holder() === c.identity, 2_000);
    await sleep(3 * RETRY_MS);
    c.stop();
    expect(await c.done).toBe(0);
    expect(holder()).toBe('');
    expect(fake.lease(NS, 'kube-scheduler')?.spec.leaseDurationSeconds).toBe(1);

    const lines = truth('master-1');
    const events = lines.map((l) => l.event);
    expect(events[0]).toBe('started');
    expect(events[1]).toBe('acquired');
    expect(events.filter((e) => e === 'renewed').length).toBeGreaterThanOrEqual(2);
    expect(events.slice(-2)).toEqual(['released', 'stopped']);
    for (const l of lines) {
      expect(l.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(l).toMatchObject({ identity: c.identity, lease: 'kube-system/kube-scheduler' });
    }
    expect(lines[1]).toMatchObject({ holder: c.identity, transitions: 0, resourceVersion: '1' });
  });

  it('two candidates: exactly one leads; the loser of the create race saw 409', async () => {
    const a = start('master-1');
    const b = start('master-2');
    await waitFor('a leader', () => Boolean(holder()), 2_000);
    const first = holder();
    for (let i = 0; i < 10; i++) {
      await sleep(RETRY_MS / 2);
      expect(holder()).toBe(first);
      expect([a, b].filter((c) => c.elector.isLeader())).toHaveLength(1);
    }
    expect(fake.log.some((l) => l.startsWith('POST') && l.endsWith(' 409'))).toBe(true);
    const loser = a.identity === first ? 'master-2' : 'master-1';
    expect(truth(loser).some((l) => l.event === 'error' && /already exists/.test(l.message ?? ''))).toBe(
      true,
    );
    expect(truth(loser).some((l) => l.event === 'acquired')).toBe(false);
  });

  it('stopped without release: the standby takes over only after about leaseDuration', async () => {
    const a = start('master-1', { releaseOnCancel: false });
    await waitFor('a to lead', () => holder() === a.identity, 2_000);
    const b = start('master-2', { releaseOnCancel: false });
    await sleep(2 * RETRY_MS);
    a.stop();
    expect(await a.done).toBe(0);
    expect(holder()).toBe(a.identity);
    const takeover = await waitFor('b to take over', () => holder() === b.identity, 12_000);
    // ≥ leaseDuration − one renew interval; ≤ leaseDuration + two jittered retries + generous slack
    expect(takeover).toBeGreaterThan(LEASE_MS - RETRY_MS - 200);
    expect(takeover).toBeLessThan(LEASE_MS + 2 * 2.2 * RETRY_MS + 2_500);
    expect(fake.lease(NS, 'kube-scheduler')?.spec.leaseTransitions).toBe(1);
    // logged once the PUT returned, which may be just after the server shows it
    await waitFor('the acquired line', () => truth('master-2').some((l) => l.event === 'acquired'), 2_000);
    expect(truth('master-2').find((l) => l.event === 'acquired')).toMatchObject({
      holder: b.identity,
      transitions: 1,
    });
  });

  it('released on stop: the standby takes over within about two retry periods', async () => {
    const a = start('master-1');
    await waitFor('a to lead', () => holder() === a.identity, 2_000);
    const b = start('master-2');
    await sleep(2 * RETRY_MS);
    a.stop();
    expect(await a.done).toBe(0);
    const takeover = await waitFor('b to take over', () => holder() === b.identity, 6_000);
    // the next jittered try (≤ 2.2 × retryPeriod), far sooner than an expiry would allow
    expect(takeover).toBeLessThan(LEASE_MS - 2 * RETRY_MS);
    // release keeps the count; the takeover adds one
    expect(fake.lease(NS, 'kube-scheduler')?.spec.leaseTransitions).toBe(1);
    expect(truth('master-1').find((l) => l.event === 'released')).toMatchObject({
      holder: '',
      transitions: 0,
    });
  });

  it('counts transitions across several failovers', async () => {
    const a = start('master-1');
    await waitFor('a to lead', () => holder() === a.identity, 2_000);
    const b = start('master-2');
    await sleep(RETRY_MS);
    a.stop();
    await waitFor('b to lead', () => holder() === b.identity, 4_000);
    const c = start('master-3');
    await sleep(RETRY_MS);
    b.stop();
    await waitFor('c to lead', () => holder() === c.identity, 4_000);
    expect(fake.lease(NS, 'kube-scheduler')?.spec.leaseTransitions).toBe(2);
  });

  it('a leader that gets no answer for longer than renewDeadline loses the lease and exits 1', async () => {
    const a = start('master-1', { component: 'kube-controller-manager', releaseOnCancel: false });
    await waitFor('a to lead', () => holder() === a.identity, 2_000);
    await sleep(RETRY_MS);
    fake.mode = 'hang';
    const t0 = performance.now();
    expect(await a.done).toBe(1);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(RENEW_MS - 100);
    expect(elapsed).toBeLessThan(RETRY_MS + RENEW_MS + 1_000);
    const events = truth('master-1').map((l) => l.event);
    expect(events.slice(-2)).toEqual(['lost', 'stopped']);
    expect(events).toContain('error');
  });

  it('errors are logged at most about once per second', async () => {
    fake.mode = 'unavailable';
    const a = start('master-1');
    await sleep(2_500);
    a.stop();
    expect(await a.done).toBe(0);
    const errors = truth('master-1').filter((l) => l.event === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(3);
    expect(errors[0]?.message).toMatch(/503/);
  });
});
