import { describe, expect, it } from 'vitest';
import { microDiff, parseMicroTime } from './microtime.js';

describe('MicroTime', () => {
  it.each([
    ['2025-01-01T00:00:01.000001Z', '2025-01-01T00:00:00.999999Z', 0.000002],
    ['2025-01-01T00:00:15.5Z', '2025-01-01T00:00:00.000000Z', 15.5],
    ['2025-01-01T01:00:00.000000+01:00', '2025-01-01T00:00:00.000000Z', 0],
    ['2026-11-24T12:37:02.198030Z', '2026-11-24T12:36:57.015910Z', 5.18212],
  ])('%s − %s = %d s', (a, b, want) =>
    expect(microDiff(parseMicroTime(a)!, parseMicroTime(b)!)).toBeCloseTo(want, 9),
  );

  it.each([null, '', 'yesterday', '2025-01-01 00:00:00Z'])('refuses %j', (text) =>
    expect(parseMicroTime(text)).toBeNull(),
  );
});
