import { describe, expect, it } from 'vitest';
import { momentFromUnit, parseSystemdStamp, parseUnitRecord, unitRecordCommand } from './unit-record.js';

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
      'systemctl show -p ExecMainStartTimestamp -p ExecMainExitTimestamp -p InactiveEnterTimestamp -p ActiveEnterTimestamp -p NRestarts -p ActiveState --timestamp=us+utc -- kube-scheduler',
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
    nRestarts: 0,
    activeState: 'inactive',
    ...o,
  });

  it('the main process exit after the command started is the moment, to the microsecond', () => {
    const m = momentFromUnit(rec({ execMainExit: start + 0.412 }), start);
    expect(m).toMatchObject({ source: 'unit-exit', t: start + 0.412, lo: start + 0.412 });
    expect(m !== 'pending' && m.hi - m.lo).toBeCloseTo(1e-6, 6);
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
