import { describe, expect, it } from 'vitest';
import type { Master } from '../config/schema.js';
import { LIST_SWITCHES_COMMAND } from '../engine/armed-switches.js';
import { fakeInventory } from '../engine/testing/fakes.js';
import type { Remote, RemoteResult } from '../engine/types.js';
import { renderJson, renderText } from './render.js';
import { withVerdict } from './report.js';
import { healthy } from './fixtures.test.js';
import { gatherSwitches, switchLines, switchNote, switchesTimeoutMs, type SwitchRow } from './switches.js';

// systemd 252 on the lab: `next` is absolute, the master's clock follows on the last line
const ARMED =
  '[{"next":1796523000186479,"left":1796523000186479,"last":0,"passed":0,"unit":"kha-drill-heal-r1-inject-0-0.timer","activates":"kha-drill-heal-r1-inject-0-0.service"}]\n\n1796522700197856\n';
const NONE = '[]\n\n1796522700197856\n';

/** master-1 has one switch, master-2 none, master-3 refuses SSH, master-4 never answers. */
function remote(commands: string[]): Remote {
  return {
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    exec: (m: Master, command: string): Promise<RemoteResult> => {
      commands.push(`${m.name}: ${command}`);
      if (m.name === 'master-3') return Promise.reject(new Error('connect ECONNREFUSED 127.0.10.3:22'));
      if (m.name === 'master-4') return new Promise(() => undefined);
      return Promise.resolve({ code: 0, stdout: m.name === 'master-1' ? ARMED : NONE, stderr: '' });
    },
  };
}

describe("status: the masters' dead-man's switches", () => {
  it('lists each master with the one parser, fails soft per master, and bounds a silent one', async () => {
    const commands: string[] = [];
    const started = Date.now();
    const rows = await gatherSwitches(remote(commands), fakeInventory(4), 1000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(commands).toEqual(
      ['master-1', 'master-2', 'master-3', 'master-4'].map((m) => `${m}: ${LIST_SWITCHES_COMMAND}`),
    );
    expect(rows).toEqual([
      {
        master: 'master-1',
        known: true,
        armed: [{ unit: 'kha-drill-heal-r1-inject-0-0', leftS: 300 }],
        error: null,
      },
      { master: 'master-2', known: true, armed: [], error: null },
      { master: 'master-3', known: false, armed: [], error: 'connect ECONNREFUSED 127.0.10.3:22' },
      { master: 'master-4', known: false, armed: [], error: 'no answer within 1 s' },
    ]);
    expect(switchLines(rows)).toEqual([
      'master-1: kha-drill-heal-r1-inject-0-0 armed, fires in 300 s (cancel by hand: systemctl stop kha-drill-heal-r1-inject-0-0.timer)',
      'master-2: none armed',
      'master-3: switches: unknown (ssh: connect ECONNREFUSED 127.0.10.3:22)',
      'master-4: switches: unknown (ssh: no answer within 1 s)',
    ]);
  });

  it('a master whose systemctl fails is unknown, with its exit', async () => {
    const failing: Remote = {
      connect: () => Promise.resolve(),
      close: () => Promise.resolve(),
      exec: () => Promise.resolve({ code: 127, stdout: '', stderr: 'sh: systemctl: not found\n' }),
    };
    const rows = await gatherSwitches(failing, fakeInventory(1), 1000);
    expect(switchLines(rows)).toEqual([
      'master-1: switches: unknown (ssh: exited 127: sh: systemctl: not found)',
    ]);
  });

  it('looks for at least 5 s (an SSH handshake), longer when --timeout is longer', () => {
    expect(switchesTimeoutMs(2000)).toBe(5000);
    expect(switchesTimeoutMs(8000)).toBe(8000);
  });

  it('an armed switch is a note, never a problem; text and JSON show the rows', () => {
    const rows: SwitchRow[] = [
      { master: 'master-1', known: true, armed: [{ unit: 'kha-drill-heal-x', leftS: 42 }], error: null },
      { master: 'master-2', known: false, armed: [], error: 'timed out' },
    ];
    const note = switchNote(rows) as string;
    expect(note).toMatch(/^1 dead-man's switch armed: .*kha-drill recover/);
    expect(switchNote([rows[1] as SwitchRow])).toBeNull();
    const r = withVerdict({ ...healthy(), switches: rows, notes: [note] });
    expect(r.healthy).toBe(true);
    expect(renderText(r)).toContain(
      "Dead-man's switches (systemctl list-timers 'kha-drill-heal-*')\n" +
        'master-1: kha-drill-heal-x armed, fires in 42 s (cancel by hand: systemctl stop kha-drill-heal-x.timer)\n' +
        'master-2: switches: unknown (ssh: timed out)\n',
    );
    expect((JSON.parse(renderJson(r)) as { switches: unknown }).switches).toEqual(rows);
    // not looked at (--no-switches): no section, and null in JSON
    const without = withVerdict(healthy());
    expect(renderText(without)).not.toContain("Dead-man's switches");
    expect((JSON.parse(renderJson(without)) as { switches: unknown }).switches).toBeNull();
  });
});
