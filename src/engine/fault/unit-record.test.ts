import { describe, expect, it } from 'vitest';
import {
  containerExitsCommand,
  momentFromContainer,
  momentFromUnit,
  parseRfc3339,
  partitionMoment,
  parseSystemdStamp,
  parseUnitRecord,
  unitRecordCommand,
} from './unit-record.js';

const at = (iso: string, us: number) => Date.parse(iso) / 1000 + us / 1e6;

// what systemd 252 printed on a lab master after `systemctl restart kube-scheduler`
const AFTER_RESTART = `NRestarts=0
ExecMainStartTimestamp=Sun 2026-12-06 01:07:10.049412 UTC
ExecMainExitTimestamp=
ActiveState=active
ActiveEnterTimestamp=Sun 2026-12-06 01:07:10.050314 UTC
InactiveEnterTimestamp=Sun 2026-12-06 01:07:10.036521 UTC
`;

describe("systemd's record of a unit", () => {
  it('the command asks for microsecond UTC stamps and quotes the unit', () => {
    expect(unitRecordCommand('kube-scheduler')).toBe(
      'systemctl show -p ExecMainStartTimestamp -p ExecMainExitTimestamp -p InactiveEnterTimestamp -p ActiveEnterTimestamp -p ActiveExitTimestamp -p NRestarts -p ActiveState --timestamp=us+utc -- kube-scheduler',
    );
    expect(unitRecordCommand("x'; reboot")).toContain(`-- 'x'\\''; reboot'`);
  });

  it('parses stamps to the microsecond; empty is null', () => {
    expect(parseSystemdStamp('Sun 2026-12-06 01:07:10.049412 UTC')).toBeCloseTo(
      at('2026-12-06T01:07:10Z', 49412),
      6,
    );
    expect(parseSystemdStamp('')).toBeNull();
    expect(parseSystemdStamp('n/a')).toBeNull();
    const r = parseUnitRecord(AFTER_RESTART);
    expect(r.execMainExit).toBeNull();
    expect(r.nRestarts).toBe(0);
    expect(r.activeState).toBe('active');
    expect(r.inactiveEnter).toBeCloseTo(at('2026-12-06T01:07:10Z', 36521), 6);
  });
});

describe('the fault moment from the record', () => {
  const start = at('2026-12-06T01:07:10Z', 0);
  const rec = (o: Partial<ReturnType<typeof parseUnitRecord>>) => ({
    execMainStart: null,
    execMainExit: null,
    inactiveEnter: null,
    activeEnter: null,
    activeExit: null,
    nRestarts: 0,
    activeState: 'inactive',
    ...o,
  });

  it('the main process exit after the command started is the moment, to the microsecond', () => {
    const m = momentFromUnit(rec({ execMainExit: start + 0.412 }), start);
    expect(m).toMatchObject({ source: 'unit-exit', t: start + 0.412, lo: start + 0.412 });
    expect(m !== 'pending' && m.hi - m.lo).toBeCloseTo(1e-6, 6);
  });

  // what systemd 252 printed on a lab master after `systemctl stop kube-scheduler`, whose bracket
  // on the master's clock was 03:49:06.386030–.410230
  const AFTER_STOP = `NRestarts=0
ExecMainStartTimestamp=Sun 2026-12-06 03:39:35.631280 UTC
ExecMainExitTimestamp=Sun 2026-12-06 03:49:06.404280 UTC
ActiveState=inactive
ActiveEnterTimestamp=Sun 2026-12-06 03:39:35.631334 UTC
ActiveExitTimestamp=Sun 2026-12-06 03:49:06.397302 UTC
InactiveEnterTimestamp=Sun 2026-12-06 03:49:06.404431 UTC
`;

  it("a graceful stop: the exit is the moment, and systemd's ActiveExitTimestamp its start", () => {
    const started = at('2026-12-06T03:49:06Z', 386030);
    const m = momentFromUnit(parseUnitRecord(AFTER_STOP), started);
    expect(m).toMatchObject({ source: 'unit-exit' });
    expect(m !== 'pending' && m.t).toBeCloseTo(at('2026-12-06T03:49:06Z', 404280), 6);
    // 11 ms after the command's start: systemctl reached systemd over D-Bus by then
    expect(m !== 'pending' && m.stopStart).toBeCloseTo(at('2026-12-06T03:49:06Z', 397302), 6);
  });

  it('an ActiveExitTimestamp from before the command (an earlier stop) is not its start', () => {
    const m = momentFromUnit(rec({ execMainExit: start + 0.2, activeExit: start - 30 }), start);
    expect(m).not.toHaveProperty('stopStart');
  });

  // `systemctl kill -s KILL kube-scheduler` on a loaded lab master (bracket 04:15:34.125321–
  // .258143): the exit stamped at .192668, the unit left active at .221017; with Restart= and
  // RestartSec=5s the exit record is reset when the new process starts, and InactiveEnterTimestamp
  // is then the restart's, 5 s later
  const KILLED_THEN_RESTARTED = `NRestarts=1
ExecMainStartTimestamp=Sun 2026-12-06 04:15:39.300112 UTC
ExecMainExitTimestamp=
ActiveState=active
ActiveExitTimestamp=Sun 2026-12-06 04:15:34.221017 UTC
InactiveEnterTimestamp=Sun 2026-12-06 04:15:39.296511 UTC
`;

  it('a kill read after Restart= reset the exit record: when the unit left active, not the restart', () => {
    const started = at('2026-12-06T04:15:34Z', 125321);
    const m = momentFromUnit(parseUnitRecord(KILLED_THEN_RESTARTED), started, false);
    expect(m).toMatchObject({ source: 'unit-left-active', lo: started });
    expect(m !== 'pending' && m.t).toBeCloseTo(at('2026-12-06T04:15:34Z', 221017), 6);
    expect(m).not.toHaveProperty('stopStart');
  });

  it('a kill read before the restart: the exit record, and no stop start', () => {
    const m = momentFromUnit(rec({ execMainExit: start + 0.067, activeExit: start + 0.095 }), start, false);
    expect(m).toMatchObject({ source: 'unit-exit', t: start + 0.067 });
    expect(m).not.toHaveProperty('stopStart');
  });

  it('an exit from before the command is not this fault: still pending', () => {
    expect(momentFromUnit(rec({ execMainExit: start - 60, activeState: 'active' }), start)).toBe('pending');
  });

  it('a restart reset the exit record: InactiveEnterTimestamp, no earlier than the command', () => {
    const m = momentFromUnit(parseUnitRecord(AFTER_RESTART), start);
    expect(m).toMatchObject({ source: 'unit-inactive', lo: start });
    expect(m !== 'pending' && m.t).toBeCloseTo(start + 0.036521, 6);
  });

  it('systemd already restarted it: between the command start and the new start', () => {
    const m = momentFromUnit(rec({ execMainStart: start + 5.1, activeState: 'active' }), start);
    expect(m).toMatchObject({ source: 'unit-restarted', lo: start, hi: start + 5.1 });
  });

  it('still running (a --no-block stop): pending', () => {
    expect(momentFromUnit(rec({ execMainStart: start - 100, activeState: 'deactivating' }), start)).toBe(
      'pending',
    );
  });
});

describe('static pods: the container runtime records the exit', () => {
  it('runs under /bin/sh against crictl and takes the first exit at or after the command', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, chmodSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'kha-crictl-'));
    try {
      // a crictl that knows two exited kube-scheduler containers (an old one, and the fault's)
      writeFileSync(
        join(dir, 'crictl'),
        [
          '#!/bin/sh',
          'echo "$@" >> "$(dirname "$0")/calls"',
          'case "$1" in',
          "  ps) [ \"$5\" = '^kube-scheduler$' ] && printf 'c-old\\nc-new\\n' ;;",
          '  inspect) case "$6" in',
          "    c-old) printf '2026-12-06T01:00:00.5Z' ;;",
          "    c-new) printf '2026-12-06T01:07:10.049412345Z' ;;",
          '  esac ;;',
          'esac',
        ].join('\n'),
      );
      chmodSync(join(dir, 'crictl'), 0o755);
      const exits = (noteFile: string) =>
        execFileSync('/bin/sh', ['-c', containerExitsCommand('kube-scheduler', join(dir, noteFile))], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
        });
      const out = exits('none.exit');
      expect(out.split('\n').filter(Boolean)).toEqual([
        '2026-12-06T01:00:00.5Z',
        '2026-12-06T01:07:10.049412345Z',
      ]);
      // the exit the fault's own command noted comes first, when there is one
      writeFileSync(join(dir, 'noted.exit'), '2026-12-06T01:07:10.049412345Z\n');
      const noted = exits('noted.exit');
      expect(noted.split('\n').filter(Boolean)).toEqual([
        '2026-12-06T01:07:10.049412345Z',
        '2026-12-06T01:00:00.5Z',
        '2026-12-06T01:07:10.049412345Z',
      ]);
      const start = Date.UTC(2026, 11, 6, 1, 7, 9) / 1000;
      const m = momentFromContainer(out, start);
      if (m === 'pending') throw new Error('pending');
      expect(m.source).toBe('container-exit');
      expect(m.t - start).toBeCloseTo(1.049412345, 6);
      expect(m.lo).toBe(m.t);
      // nothing exited after the command yet: read again later
      expect(momentFromContainer(out, start + 60)).toBe('pending');
      expect(momentFromContainer('', start)).toBe('pending');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses RFC 3339 times with and without fractions, and nothing else', () => {
    expect(parseRfc3339('2026-12-06T01:07:10Z')).toBe(Date.UTC(2026, 11, 6, 1, 7, 10) / 1000);
    expect(parseRfc3339('2026-12-06T01:07:10.5Z')).toBe(Date.UTC(2026, 11, 6, 1, 7, 10) / 1000 + 0.5);
    expect(parseRfc3339('0001-01-01T00:00:00Z')).not.toBeNull();
    expect(parseRfc3339('<no value>')).toBeNull();
    expect(parseRfc3339('2026-12-06 01:07:10')).toBeNull();
  });
});

describe('a partition’s moment', () => {
  it('the last rule in place: the bracket’s end, read by the same shell right after the chain', () => {
    expect(partitionMoment(100.01, 100.045)).toMatchObject({
      source: 'bracket',
      t: 100.045,
      lo: 100.01,
      hi: 100.045,
    });
  });
});
