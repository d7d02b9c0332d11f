import { describe, expect, it } from 'vitest';
import type { KeyValue, WatchEvent } from './etcd.js';
import { defaultWatchTimeoutMs, translate } from './watch.js';
import { parseLabelSelector } from './selectors.js';

function kv(name: string, rev: string, labels?: Record<string, string>): KeyValue {
  const value = JSON.stringify({ metadata: { name, namespace: 'ns', labels }, spec: {} });
  return { key: `/registry/leases/ns/${name}`, value, createRevision: '1', modRevision: rev, version: '1' };
}

describe('translate', () => {
  it('PUT without previous is ADDED, with previous MODIFIED', () => {
    expect(translate({ type: 'PUT', kv: kv('a', '5') }, [], [])?.type).toBe('ADDED');
    const ev: WatchEvent = { type: 'PUT', kv: kv('a', '6'), prevKv: kv('a', '5') };
    expect(translate(ev, [], [])).toMatchObject({
      type: 'MODIFIED',
      object: { metadata: { resourceVersion: '6' } },
    });
  });
  it('DELETE carries the previous object at the deletion revision', () => {
    const ev: WatchEvent = { type: 'DELETE', kv: { ...kv('a', '9'), value: '' }, prevKv: kv('a', '5') };
    expect(translate(ev, [], [])).toMatchObject({
      type: 'DELETED',
      object: { metadata: { name: 'a', resourceVersion: '9' } },
    });
  });
  it('filters by name and turns label changes into ADDED/DELETED', () => {
    expect(
      translate({ type: 'PUT', kv: kv('a', '5') }, [{ field: 'metadata.name', op: '=', value: 'b' }], []),
    ).toBeUndefined();
    const sel = parseLabelSelector('app=x');
    expect(
      translate({ type: 'PUT', kv: kv('a', '6', { app: 'x' }), prevKv: kv('a', '5') }, [], sel)?.type,
    ).toBe('ADDED');
    expect(
      translate({ type: 'PUT', kv: kv('a', '6'), prevKv: kv('a', '5', { app: 'x' }) }, [], sel)?.type,
    ).toBe('DELETED');
    expect(translate({ type: 'PUT', kv: kv('a', '6'), prevKv: kv('a', '5') }, [], sel)).toBeUndefined();
  });
  it('ignores keys that are not leases', () => {
    expect(
      translate({ type: 'PUT', kv: { ...kv('a', '5'), key: '/registry/leases/x' } }, [], []),
    ).toBeUndefined();
  });
});

describe('defaultWatchTimeoutMs', () => {
  it('is 30 to 60 minutes', () => {
    expect(defaultWatchTimeoutMs(() => 0)).toBe(1_800_000);
    expect(defaultWatchTimeoutMs(() => 0.999)).toBeLessThan(3_600_000);
  });
});
