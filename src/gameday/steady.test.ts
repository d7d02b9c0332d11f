/** Waiting for steady state between game-day runs, against the engine's fake cluster. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../engine/journal.js';
import { FakeCluster, fakeDrill, fakeInventory } from '../engine/testing/fakes.js';
import { waitSteady, type SteadyDeps } from './steady.js';

let state: string;
beforeEach(() => {
  state = mkdtempSync(path.join(os.tmpdir(), 'kha-steady-'));
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

function setup(onSleep?: (n: number, cluster: FakeCluster) => void) {
  const inventory = fakeInventory();
  const cluster = new FakeCluster(inventory);
  let sleeps = 0;
  let clockMs = 0;
  const waits: string[] = [];
  const deps: SteadyDeps = {
    inventory,
    view: cluster,
    remote: cluster,
    env: { KHA_STATE_DIR: state },
    sleep: async (ms) => {
      sleeps++;
      clockMs += ms;
      onSleep?.(sleeps, cluster);
      await new Promise((r) => setTimeout(r, 1));
    },
    now: () => clockMs,
    onWait: (what, _el, _bound, detail) => waits.push(`${what}: ${detail}`),
  };
  return { cluster, deps, waits };
}

describe('waitSteady', () => {
  it('returns at once when the drill’s steady state holds', async () => {
    const { deps, waits } = setup();
    const r = await waitSteady(fakeDrill(), 5, new AbortController().signal, deps);
    expect(r).toEqual({ ok: true, detail: 'every etcd member healthy with one leader' });
    expect(waits).toEqual([]);
  });

  it('waits while a condition fails, saying which, until it holds', async () => {
    const { cluster, deps, waits } = setup((n, c) => {
      if (n === 2) c.units.set('master-2/etcd', true);
    });
    cluster.units.set('master-2/etcd', false);
    const r = await waitSteady(fakeDrill(), 30, new AbortController().signal, deps);
    expect(r.ok).toBe(true);
    expect(waits[0]).toMatch(/^steady state: every etcd member healthy with one leader: /);
  });

  it('uses etcd, API servers and the load balancer for a drill without steadyState', async () => {
    const { cluster, deps } = setup();
    cluster.units.set('master-3/kube-apiserver', false);
    const r = await waitSteady(fakeDrill({ steadyState: [] }), 0, new AbortController().signal, deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^every API server ready: /);
  });

  it('gives up after the timeout with what still fails, or when stopped', async () => {
    const { cluster, deps } = setup();
    cluster.units.set('master-1/etcd', false);
    cluster.units.set('master-2/etcd', false);
    const r = await waitSteady(fakeDrill(), 0, new AbortController().signal, deps);
    expect(r).toMatchObject({ ok: false, detail: expect.stringMatching(/^every etcd member healthy/) });
    const stop = new AbortController();
    stop.abort();
    expect(await waitSteady(fakeDrill(), 60, stop.signal, deps)).toEqual({
      ok: false,
      detail: 'interrupted',
    });
  });

  it('measures its timeout on the clock it is given, not the wall clock', async () => {
    let sleptMs = 0;
    const { cluster, deps } = setup();
    const sleep = deps.sleep;
    deps.sleep = async (ms, stop) => {
      sleptMs += ms;
      await sleep(ms, stop);
    };
    cluster.units.set('master-1/etcd', false);
    cluster.units.set('master-2/etcd', false);
    const r = await waitSteady(fakeDrill(), 3, new AbortController().signal, deps);
    expect(r.ok).toBe(false);
    expect(sleptMs).toBe(3000);
  });

  it('is never steady while a restore journal is pending', async () => {
    const { deps } = setup();
    const journal = Journal.create(deps.env, {
      cluster: 'test-cluster',
      runId: 'r1',
      drill: 'd',
      runDir: state,
    });
    journal.add({
      id: '0.0',
      master: 'master-1',
      description: 'start kube-scheduler',
      commands: ['systemctl start kube-scheduler'],
    });
    const r = await waitSteady(fakeDrill(), 60, new AbortController().signal, deps);
    expect(r).toEqual({ ok: false, detail: 'a restore journal is pending (run r1): run kha-drill recover' });
  });
});
