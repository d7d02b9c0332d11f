/**
 * Every watcher against the lab in --tls mode: etcd with client certificates, API servers and
 * the load balancer over HTTPS with the lab CA and the kubeconfig's client certificate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventoryFile } from '../../src/config/load.js';
import { resolveInventory } from '../../src/config/inventory.js';
import type { Inventory } from '../../src/config/schema.js';
import { Timeline } from '../../src/timeline/timeline.js';
import { startWatchers } from '../../src/watchers/index.js';
import { startLab, stopLab, type Lab } from './lab.js';
import path from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchers on the TLS lab', () => {
  let lab: Lab;
  let inventory: Inventory;

  beforeAll(async () => {
    lab = await startLab();
    // as the CLI does: ETCDCTL_* from `lab env` fill etcd TLS the file leaves unset
    inventory = resolveInventory(loadInventoryFile(lab.inventory), lab.env, path.dirname(lab.inventory));
  });

  afterAll(async () => {
    await stopLab();
  });

  it('sees Leases, raft status, API health and etcd writes over TLS', async () => {
    expect(lab.loadBalancer).toMatch(/^https:/);
    const timeline = new Timeline();
    const stop = await startWatchers(
      {
        lease: { leases: ['kube-system/kube-scheduler', 'kube-system/kube-controller-manager'] },
        raft: { interval: '100ms', faultInterval: '20ms', faultWindow: '10s' },
        apiserver: { interval: '100ms', timeout: '1s' },
        etcdWrite: { interval: '100ms', timeout: '1s' },
      },
      inventory,
      timeline,
      { runId: `it-tls-${process.pid}`, env: lab.env },
    );
    await sleep(2500);
    await stop();
    const events = timeline.events();
    const raft = events.filter((e) => e.kind === 'raft');
    expect(raft.length).toBeGreaterThan(30);
    expect(
      raft.every((e) => e.kind === 'raft' && e.ok && e.leader !== undefined),
      JSON.stringify(raft.find((e) => e.kind === 'raft' && !e.ok)),
    ).toBe(true);
    const api = events.filter((e) => e.kind === 'api');
    expect(new Set(api.map((e) => (e.kind === 'api' ? e.master : ''))).size).toBe(4);
    expect(
      api.every((e) => e.kind === 'api' && e.ok),
      JSON.stringify(api.find((e) => e.kind === 'api' && !e.ok)),
    ).toBe(true);
    const writes = events.filter((e) => e.kind === 'write');
    expect(writes.length).toBeGreaterThan(15);
    expect(
      writes.every((e) => e.kind === 'write' && e.ok),
      JSON.stringify(writes.find((e) => e.kind === 'write' && !e.ok)),
    ).toBe(true);
    const leases = events.filter((e) => e.kind === 'lease');
    expect(new Set(leases.map((e) => (e.kind === 'lease' ? e.lease : ''))).size).toBe(2);
    expect(leases.every((e) => e.kind === 'lease' && e.master !== null)).toBe(true);
    expect(events.filter((e) => e.kind === 'mark')).toEqual([]); // no cleanup failure
  });
});
