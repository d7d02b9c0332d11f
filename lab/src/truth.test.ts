import { describe, expect, it } from 'vitest';
import { elections, journalCommand, klogTimeUs, leaseLines, parseJournal, unitLines } from './truth.js';

// lines as `journalctl -u … -o json` prints them on a lab master (trimmed to the fields we ask for)
const j = (us: number, pid: number, message: string): string =>
  JSON.stringify({ __REALTIME_TIMESTAMP: String(us), _PID: String(pid), MESSAGE: message });

describe('ground truth from the journal', () => {
  it('asks journalctl for one unit as JSON from a wall time on', () => {
    expect(journalCommand('etcd', 1_764_882_000_123)).toBe(
      'journalctl -u etcd -o json --no-pager --output-fields=MESSAGE,_PID,_COMM,_SOURCE_REALTIME_TIMESTAMP --since @1764882000.123',
    );
    expect(journalCommand('kube-scheduler')).not.toContain('--since');
  });

  it("reads etcd's zap 'elected leader' lines with their own timestamps", () => {
    const zap = JSON.stringify({
      level: 'info',
      ts: '2026-12-04T21:25:22.147779Z',
      msg: 'raft.node: a1ce2c00601ce57 elected leader a1ce2c00601ce57 at term 4',
    });
    const entries = parseJournal(
      [j(1_764_883_522_150_000, 30, zap), j(1_764_883_522_151_000, 30, '{"msg":"other"}'), 'not json'].join(
        '\n',
      ),
    );
    expect(entries).toHaveLength(2);
    expect(elections(entries)).toEqual([
      {
        tsMs: Date.parse('2026-12-04T21:25:22.147Z'),
        member: 'a1ce2c00601ce57',
        leader: 'a1ce2c00601ce57',
        term: 4,
      },
    ]);
  });

  it('reads klog times to the microsecond, the year from the journal', () => {
    const received = Date.UTC(2026, 11, 4, 21, 12, 0, 200) * 1000;
    expect(
      klogTimeUs(
        'I1204 21:12:00.123456       1 leaderelection.go:271] successfully acquired lease kube-system/kube-scheduler',
        received,
      ),
    ).toBe(Date.UTC(2026, 11, 4, 21, 12, 0) * 1000 + 123456);
    expect(klogTimeUs('no header', received)).toBeUndefined();
  });

  it("finds client-go's leader-election lines and systemd's unit records", () => {
    const text = [
      j(
        1_000_000,
        39,
        'I1204 21:12:00.000001      39 leaderelection.go:257] attempting to acquire leader lease kube-system/kube-scheduler...',
      ),
      j(
        2_000_000,
        39,
        'I1204 21:12:01.500000      39 leaderelection.go:271] successfully acquired lease kube-system/kube-scheduler',
      ),
      j(3_000_000, 39, 'E1204 21:12:09.000000      39 server.go:300] "Leaderelection lost"'),
      // 1.37's structured form
      j(
        4_000_000,
        40,
        'I1204 21:12:10.250000      40 leaderelection.go:272] "Successfully acquired lease" lock="kube-system/kube-controller-manager"',
      ),
      j(3_100_000, 1, 'kube-scheduler.service: Main process exited, code=killed, status=9/KILL'),
      j(3_200_000, 1, 'Stopping kube-scheduler.service - Kubernetes Scheduler (kha-drill lab)...'),
      j(8_200_000, 1, 'kube-scheduler.service: Scheduled restart job, restart counter is at 1.'),
      j(8_300_000, 1, 'Started kube-scheduler.service - Kubernetes Scheduler (kha-drill lab).'),
    ].join('\n');
    const entries = parseJournal(text);
    const lease = leaseLines(entries);
    expect(lease.map((l) => [l.event, l.lease])).toEqual([
      ['attempting', 'kube-system/kube-scheduler'],
      ['acquired', 'kube-system/kube-scheduler'],
      ['lost', undefined],
      ['acquired', 'kube-system/kube-controller-manager'],
    ]);
    expect(lease[1]?.tsUs).toBe(Date.UTC(1970, 11, 4, 21, 12, 1) * 1000 + 500000);
    expect(unitLines(entries).map((u) => u.event)).toEqual([
      'killed',
      'stopping',
      'scheduled-restart',
      'started',
    ]);
  });

  it("systemd's lines carry its own stamp: the truth is that, not journald's receipt", () => {
    // as journalctl printed them on a lab master after `systemctl stop kube-scheduler`
    const text = [
      JSON.stringify({
        __REALTIME_TIMESTAMP: '1796528946397516',
        _SOURCE_REALTIME_TIMESTAMP: '1796528946397328',
        _PID: '1',
        MESSAGE: 'Stopping kube-scheduler.service - Kubernetes Scheduler (kha-drill lab)...',
      }),
      j(1796528946405076, 1, 'Stopped kube-scheduler.service - Kubernetes Scheduler (kha-drill lab).'),
    ].join('\n');
    expect(unitLines(parseJournal(text)).map((u) => [u.event, u.realtimeUs])).toEqual([
      ['stopping', 1796528946397328],
      ['stopped', 1796528946405076],
    ]);
  });

  it('finds renewals, logged only at verbosity 5 of leaderelection.go, in both klog forms', () => {
    const entries = parseJournal(
      [
        // 1.37 (structured), with the V(4) lines of a standby that must not count
        j(
          1_000_000,
          83,
          'I1205 22:20:38.705476      83 leaderelection.go:300] "Successfully renewed lease" lock="kube-system/kube-scheduler"',
        ),
        j(
          1_100_000,
          80,
          'I1205 22:20:41.418158      80 leaderelection.go:493] "Lease is held by and has not yet expired" lock="kube-system/kube-scheduler" holder="master-2_b9c4"',
        ),
        j(
          1_200_000,
          80,
          'I1205 22:20:41.418181      80 leaderelection.go:267] "Failed to acquire lease" lock="kube-system/kube-scheduler"',
        ),
        // 1.32
        j(
          2_000_000,
          39,
          'I1204 21:12:02.000001      39 leaderelection.go:293] successfully renewed lease kube-system/kube-controller-manager',
        ),
      ].join('\n'),
    );
    expect(leaseLines(entries).map((l) => [l.event, l.lease, l.tsUs % 1_000_000])).toEqual([
      ['renewed', 'kube-system/kube-scheduler', 705476],
      ['renewed', 'kube-system/kube-controller-manager', 1],
    ]);
  });
});
