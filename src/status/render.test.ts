import { describe, expect, it } from 'vitest';
import { boxTable, humanBytes, renderJson, renderText } from './render.js';
import { withVerdict } from './report.js';
import { apiOk, etcdDead, healthy, leaseOk } from './fixtures.test.js';

describe('humanBytes (etcdctl DB SIZE)', () => {
  it.each([
    [0, '0 B'],
    [9, '9 B'],
    [999, '999 B'],
    [20480, '20 kB'],
    [1500, '1.5 kB'],
    [1_500_000, '1.5 MB'],
    [2_147_483_648, '2.1 GB'],
  ])('%d → %s', (n, text) => expect(humanBytes(n)).toBe(text));
});

describe('boxTable', () => {
  it('pads every column to its widest cell', () => {
    expect(boxTable(['A', 'BB'], [['xxx', 'y']])).toBe(
      '+-----+----+\n| A   | BB |\n+-----+----+\n| xxx | y  |\n+-----+----+\n',
    );
  });
});

describe('renderText', () => {
  it('shows a healthy cluster, etcd as etcdctl does, and the verdict last', () => {
    const text = renderText(withVerdict(healthy()));
    expect(text).toContain(
      '| MASTER   | ENDPOINT               | ID               | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM |',
    );
    expect(text).toMatch(
      /\| master-1 \| http:\/\/127\.0\.10\.1:2379 \| 8e9e05c52164694d \| 3\.4\.23 {2}\| 20 kB {3}\| true {6}\| false {6}\| 2 {9}\| 18446744073709551615 \|/,
    );
    expect(text).toContain('Leases (read via load-balancer)');
    expect(text).toMatch(
      /\| kube-system\/kube-scheduler +\| master-1_0b7a2c4e-\S+ \| master-1 \| 1\.3s ago \| 15s +\| 2 +\| ok +\|/,
    );
    expect(text).toMatch(
      /\| load-balancer \| http:\/\/127\.0\.10\.100:6443 \| ok \(2\.5 ms\) \| ok \(2\.5 ms\) \|/,
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe('healthy');
  });

  it('shows a dead member as a row with its error, and names it in the verdict', () => {
    const o = healthy();
    o.etcd[1] = etcdDead(2, 'no answer within 2000 ms');
    o.api[1] = apiOk('master-2', {
      healthz: { ok: false, status: null, latencyMs: 0, error: 'connect ECONNREFUSED 127.0.10.2:6443' },
      readyz: { ok: false, status: 503, latencyMs: 12.345, error: 'HTTP 503' },
    });
    o.leases[1] = leaseOk('kube-controller-manager', { holder: 'elsewhere_1', master: null, stale: true });
    o.notes.push('something to know');
    const text = renderText(withVerdict(o));
    expect(text).toMatch(
      /\| master-2 \| http:\/\/127\.0\.10\.2:2379 \| - +\| - +\| - +\| - +\| - +\| - +\| - +\| - +\| no answer within 2000 ms \|/,
    );
    expect(text).toMatch(
      /\| master-2 +\| \S+ +\| connect ECONNREFUSED 127\.0\.10\.2:6443 \| HTTP 503 \(12 ms\) \|/,
    );
    expect(text).toMatch(/elsewhere_1 +\| \(unknown\) \|.*\| STALE \|/);
    expect(text).toContain('note: something to know\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'not healthy: etcd master-2 unreachable; Lease kube-system/kube-controller-manager stale: renewed 1.3s ago, duration 15s; kube-apiserver master-2 not healthy',
    );
  });
});

describe('renderJson', () => {
  it('is versioned, keeps 64-bit values as strings, with a fixed key order', () => {
    const json = renderJson(withVerdict(healthy()));
    const doc = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      'schemaVersion',
      'cluster',
      'checkedAt',
      'timeoutMs',
      'healthy',
      'problems',
      'notes',
      'etcd',
      'leases',
      'api',
      'switches',
    ]);
    expect(doc.schemaVersion).toBe(1);
    expect(json).toContain('"raftIndex": "18446744073709551615"');
    expect(renderJson(withVerdict(healthy()), true).trimEnd()).not.toContain('\n');
  });
});
