import { describe, expect, it } from 'vitest';
import { Timeline } from '../timeline/timeline.js';
import { watchEtcdWrites, type WriteTarget } from './etcd-write.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('etcd write probe', () => {
  it('keeps probing while a put hangs, records each put, and deletes its prefix at stop', async () => {
    const keys: string[] = [];
    const deleted: string[] = [];
    let active = 0;
    let maxActive = 0;
    const target: WriteTarget = {
      async put(key, _value, timeoutMs) {
        keys.push(key);
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          if (keys.length === 2) {
            await sleep(timeoutMs);
            throw new Error('etcdserver: request timed out');
          }
        } finally {
          active--;
        }
      },
      async deletePrefix(prefix) {
        deleted.push(prefix);
      },
    };
    const tl = new Timeline();
    const stop = watchEtcdWrites(tl, target, { runId: 'r1', intervalMs: 10, timeoutMs: 60 });
    await sleep(150);
    await stop();
    expect(keys[0]).toBe('/kha-drill/probe/r1/0');
    expect(maxActive).toBe(2);
    const writes = tl.events().filter((e) => e.kind === 'write');
    expect(writes).toHaveLength(keys.length);
    expect(writes.filter((e) => e.kind === 'write' && !e.ok)).toEqual([
      expect.objectContaining({ error: 'etcdserver: request timed out' }),
    ]);
    expect(deleted).toEqual(['/kha-drill/probe/r1/']);
  });
});
