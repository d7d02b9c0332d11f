import { describe, expect, it } from 'vitest';
import { renderHealth } from './health.js';

describe('renderHealth', () => {
  const ok = [
    { name: 'ping', ok: true },
    { name: 'etcd', ok: true },
  ];
  const failing = [
    { name: 'ping', ok: true },
    { name: 'etcd', ok: false },
  ];
  it('ok, verbose, failure, exclude', () => {
    expect(renderHealth('readyz', ok, false)).toEqual({ code: 200, body: 'ok' });
    expect(renderHealth('readyz', ok, true)).toEqual({
      code: 200,
      body: '[+]ping ok\n[+]etcd ok\nreadyz check passed\n',
    });
    expect(renderHealth('readyz', failing, false)).toEqual({
      code: 500,
      body: '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n',
    });
    expect(renderHealth('readyz', failing, false, ['etcd'])).toEqual({ code: 200, body: 'ok' });
  });
});
