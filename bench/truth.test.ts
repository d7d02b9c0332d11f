import { describe, expect, it } from 'vitest';
import { leaseTruth, parseElections, parseMicroMs, parseTruthLog, raftTruth } from './truth.js';

const zap = (ts: string, member: string, leader: string, term: number) =>
  JSON.stringify({
    level: 'info',
    ts,
    caller: 'raft/node.go:327',
    msg: `raft.node: ${member} elected leader ${leader} at term ${term}`,
  });

describe('etcd zap logs', () => {
  const m1 = [
    '{"level":"info","ts":"2026-11-24T12:55:13.700Z","msg":"starting"}',
    zap('2026-11-24T12:55:13.769Z', 'a1', 'b2', 2),
    'not json: elected leader',
    zap('2026-11-24T12:55:27.829Z', 'a1', 'a1', 3),
    '',
  ].join('\n');
  const m3 = [
    zap('2026-11-24T12:55:13.769Z', 'c3', 'b2', 2),
    zap('2026-11-24T12:55:27.830Z', 'c3', 'a1', 3),
  ].join('\n');

  it('parses the "elected leader" lines only, with ms timestamps and 64-bit terms', () => {
    const lines = parseElections(m1, 'master-1');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      tsMs: Date.parse('2026-11-24T12:55:27.829Z'),
      member: 'a1',
      leader: 'a1',
      term: 3n,
      master: 'master-1',
    });
    expect(parseElections('')).toEqual([]);
  });

  it('takes the first line across members at a term above the one in force at the fault', () => {
    const lines = [...parseElections(m3, 'master-3'), ...parseElections(m1, 'master-1')];
    const t = raftTruth(lines, Date.parse('2026-11-24T12:55:26.749Z'));
    expect(t).toEqual({
      electedMs: Date.parse('2026-11-24T12:55:27.829Z'),
      termBefore: 2n,
      term: 3n,
      leader: 'a1',
      member: 'a1',
    });
  });

  it('says why when there is no truth', () => {
    const lines = parseElections(m1);
    expect(raftTruth(lines, Date.parse('2026-11-24T12:00:00Z'))).toMatch(/no "elected leader" line before/);
    expect(raftTruth(lines, Date.parse('2026-11-24T13:00:00Z'))).toMatch(/above 3/);
    // a given pre-fault term overrides the logs
    expect(raftTruth(lines, Date.parse('2026-11-24T12:00:00Z'), 2n)).toMatchObject({ term: 3n });
  });
});

describe('candidate truth logs', () => {
  const line = (ts: string, event: string, identity: string, holder = identity) =>
    JSON.stringify({
      ts,
      event,
      identity,
      lease: 'kube-system/kube-scheduler',
      holder,
      transitions: 1,
      resourceVersion: '9',
    });

  it('keeps the microseconds of the timestamps', () => {
    expect(parseMicroMs('2026-11-24T12:55:14.982375Z') - Date.parse('2026-11-24T12:55:14.982Z')).toBeCloseTo(
      0.375,
      6,
    );
    expect(parseMicroMs('2026-11-24T12:55:14Z')).toBe(Date.parse('2026-11-24T12:55:14Z'));
    expect(Number.isNaN(parseMicroMs('yesterday'))).toBe(true);
  });

  it('skips broken lines (a crash mid-write)', () => {
    const text = `${line('2026-11-24T12:00:00.000001Z', 'started', 'm1_x', '')}\n{"ts":"2026-11-24T12:00:01`;
    expect(parseTruthLog(text, 'master-1')).toHaveLength(1);
  });

  it('a crash: the new holder acquires after the old one stopped renewing', () => {
    const lines = [
      ...parseTruthLog(
        [
          line('2026-11-24T12:00:00.000000Z', 'acquired', 'm1_x'),
          line('2026-11-24T12:00:01.000000Z', 'renewed', 'm1_x'),
          line('2026-11-24T12:00:02.000000Z', 'renewed', 'm1_x'),
        ].join('\n'),
        'master-1',
      ),
      ...parseTruthLog(
        [
          line('2026-11-24T11:59:59.000000Z', 'started', 'm2_y', ''),
          line('2026-11-24T12:00:06.500250Z', 'acquired', 'm2_y'),
          line('2026-11-24T12:00:07.500250Z', 'renewed', 'm2_y'),
        ].join('\n'),
        'master-2',
      ),
    ];
    const t = leaseTruth(lines, Date.parse('2026-11-24T12:00:02.300Z'), 'kube-system/kube-scheduler');
    expect(t).toMatchObject({ oldHolder: 'm1_x', newHolder: 'm2_y', released: false });
    if (typeof t === 'string') throw new Error(t);
    expect(t.acquiredMs).toBeCloseTo(Date.parse('2026-11-24T12:00:06.500Z') + 0.25, 6);
    expect(t.leaderlessS).toBeCloseTo(4.50025, 6);
  });

  it('a release: the tenure ends at the released line', () => {
    const lines = parseTruthLog(
      [
        line('2026-11-24T12:00:00.000000Z', 'acquired', 'm1_x'),
        line('2026-11-24T12:00:01.000000Z', 'renewed', 'm1_x'),
        line('2026-11-24T12:00:01.400000Z', 'released', 'm1_x', ''),
        line('2026-11-24T12:00:02.100000Z', 'acquired', 'm3_z'),
      ].join('\n'),
    );
    const t = leaseTruth(lines, Date.parse('2026-11-24T12:00:01.200Z'));
    expect(t).toMatchObject({ oldHolder: 'm1_x', newHolder: 'm3_z', released: true });
    if (typeof t === 'string') throw new Error(t);
    expect(t.leaderlessS).toBeCloseTo(0.7, 6);
    expect(leaseTruth(lines, Date.parse('2026-11-24T12:00:03Z'))).toMatch(/no other candidate/);
    expect(leaseTruth(lines, Date.parse('2026-11-24T11:00:00Z'))).toMatch(/before the fault/);
    expect(leaseTruth(lines, Date.parse('2026-11-24T12:00:01.200Z'), 'kube-system/other')).toMatch(
      /before the fault/,
    );
  });
});
