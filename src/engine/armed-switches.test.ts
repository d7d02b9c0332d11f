import { describe, expect, it } from 'vitest';
import { describeArmedSwitches, parseArmedSwitches } from './armed-switches.js';

// recorded on the lab (systemd 252): `left` repeats the absolute `next`
const RECORDED =
  '[{"next":1796523000186479,"left":1796523000186479,"last":0,"passed":0,"unit":"kha-drill-heal-handtest.timer","activates":"kha-drill-heal-handtest.service"}]\n\n1796522700197856\n';

describe('armed switches from systemctl list-timers -o json', () => {
  it('time left from next and the master clock, not from `left`', () => {
    expect(parseArmedSwitches(RECORDED)).toEqual([{ unit: 'kha-drill-heal-handtest', leftS: 300 }]);
  });

  it('none armed', () => {
    expect(parseArmedSwitches('[]\n\n1796522700197856\n')).toEqual([]);
  });

  it('refuses output it does not know', () => {
    expect(() => parseArmedSwitches('NEXT LEFT LAST PASSED UNIT ACTIVATES\n0 timers listed.')).toThrow();
  });

  it('says how to cancel each, and which master could not be read', () => {
    expect(
      describeArmedSwitches([
        { master: 'm1', switches: [{ unit: 'kha-drill-heal-r-x', leftS: 12 }] },
        { master: 'm2', error: 'timed out' },
      ]),
    ).toEqual([
      'm1: kha-drill-heal-r-x armed, fires in 12 s (cancel by hand: systemctl stop kha-drill-heal-r-x.timer)',
      "m2: could not list dead-man's switches: timed out",
    ]);
  });
});
