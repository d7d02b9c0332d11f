import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { parseApiServerArgs } from './args.js';

describe('parseApiServerArgs', () => {
  it('the lab form', () => {
    const a = parseApiServerArgs([
      '--name',
      'master-1',
      '--listen',
      '127.0.10.1:6443',
      '--etcd',
      'http://127.0.10.1:2379',
      '--compact-interval',
      '1s',
    ]);
    expect(a).toMatchObject({
      name: 'master-1',
      host: '127.0.10.1',
      port: 6443,
      etcd: ['http://127.0.10.1:2379'],
      compactIntervalMs: 1000,
      bookmarkIntervalMs: 10_000,
      etcdTimeoutMs: 5000,
    });
    expect(a.watchTimeoutMs).toBeUndefined();
  });
  it('defaults compaction to 5 minutes, 0 disables', () => {
    const base = ['--listen', 'h:1', '--etcd', 'https://h:2379'];
    expect(parseApiServerArgs(base).compactIntervalMs).toBe(300_000);
    expect(parseApiServerArgs([...base, '--compact-interval', '0']).compactIntervalMs).toBe(0);
  });
  it.each([
    [[], /--listen/],
    [['--listen', 'nohost'], /HOST:PORT/],
    [['--listen', 'h:1'], /--etcd/],
    [['--listen', 'h:1', '--etcd', 'h:2379'], /http/],
    [['--listen', 'h:1', '--etcd', 'http://h:2379', '--tls-cert', 'c'], /go together/],
    [['--listen', 'h:1', '--etcd', 'http://h:2379', '--client-ca', 'c'], /needs --tls-cert/],
    [['--listen', 'h:1', '--etcd', 'http://h:2379', '--compact-interval', 'soon'], /invalid duration/],
    [['--bogus'], /Unknown option/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseApiServerArgs(argv)).toThrow(UsageError);
    expect(() => parseApiServerArgs(argv)).toThrow(message);
  });
});
