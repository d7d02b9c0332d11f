import { describe, expect, it } from 'vitest';
import type { Inventory } from '../config/schema.js';
import { staticAuth } from '../clients/kube-auth.js';
import { Timeline } from '../timeline/timeline.js';
import { startWatchers } from './index.js';

/** Every endpoint refuses connections (port 1): the watchers must record that, not hang. */
const inventory = {
  apiVersion: 'kha-drill/v1',
  kind: 'Inventory',
  metadata: { name: 'nowhere' },
  masters: [1, 2].map((i) => ({
    name: `master-${i}`,
    host: `127.0.0.${i}`,
    nodeName: `node-${i}`,
    etcd: `http://127.0.0.${i}:1`,
    apiserver: `http://127.0.0.${i}:1`,
  })),
  etcd: {},
  kubernetes: {
    loadBalancer: 'http://127.0.0.3:1',
    leaderElection: { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' },
  },
} as unknown as Inventory;

const kube = { server: 'http://127.0.0.3:1', context: 'x', user: 'u', source: 'test', auth: staticAuth() };

describe('startWatchers', () => {
  it('starts only the watchers named, waits for their first sight (bounded), and stops them', async () => {
    const tl = new Timeline();
    tl.append({
      kind: 'run',
      runId: 'run-7',
      drill: 'd',
      cluster: 'c',
      wallTime: '',
      harnessVersion: '0',
      masters: [],
      leaderElection: { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 },
    });
    const started = performance.now();
    const stop = await startWatchers(
      {
        raft: { interval: '50ms', faultInterval: '20ms', faultWindow: '10s' },
        lease: { leases: ['kube-system/kube-scheduler'] },
      },
      inventory,
      tl,
      { kube, readyTimeoutMs: 400 },
    );
    const waited = performance.now() - started;
    await stop();
    const kinds = new Set(tl.events().map((e) => e.kind));
    expect(kinds).toEqual(new Set(['run', 'raft', 'blind']));
    // the lease watcher never listed: startWatchers waited its full (short) timeout for it
    expect(waited).toBeGreaterThanOrEqual(390);
    expect(
      tl
        .events()
        .filter((e) => e.kind === 'raft')
        .every((e) => e.kind === 'raft' && !e.ok),
    ).toBe(true);
    const leaseBlind = tl.events().filter((e) => e.kind === 'blind' && e.watcher === 'lease');
    expect(leaseBlind.map((e) => (e.kind === 'blind' ? e.state : ''))).toEqual(['start', 'end']);
    const count = tl.events().length;
    await new Promise((r) => setTimeout(r, 120));
    expect(tl.events()).toHaveLength(count); // stopped means stopped
  });

  it('does not wait when every subject is seen at once', async () => {
    const tl = new Timeline();
    const started = performance.now();
    const stop = await startWatchers(
      { raft: { interval: '50ms', faultInterval: '20ms', faultWindow: '10s' } },
      inventory,
      tl,
      {
        readyTimeoutMs: 5000,
        runId: 'r',
      },
    );
    expect(performance.now() - started).toBeLessThan(2000);
    await stop();
    const polled = tl.events().flatMap((e) => (e.kind === 'raft' ? [e.master] : []));
    expect(new Set(polled)).toEqual(new Set(['master-1', 'master-2']));
  });
});
