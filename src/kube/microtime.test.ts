import { describe, expect, it } from 'vitest';
import {
  formatMicroTime,
  formatWholeSeconds,
  microDiff,
  microTimeToEpochMs,
  normalizeMicroTime,
  parseMicroTime,
} from './microtime.js';

describe('formatMicroTime', () => {
  it.each([
    [Date.UTC(2024, 4, 1, 10, 0, 0) + 0.001, '2024-05-01T10:00:00.000001Z'],
    [Date.UTC(2024, 4, 1, 10, 0, 0) + 123.456, '2024-05-01T10:00:00.123456Z'],
    [Date.UTC(2024, 4, 1, 10, 0, 59) + 999.999, '2024-05-01T10:00:59.999999Z'],
    [Date.UTC(2024, 4, 1, 10, 0, 0), '2024-05-01T10:00:00.000000Z'],
  ])('%f → %s (six digits, Z)', (ms, text) => expect(formatMicroTime(ms)).toBe(text));

  it('six digits from a JavaScript epoch, never three', () => {
    expect(formatMicroTime(Date.parse('2024-05-01T10:00:00.042Z'))).toBe('2024-05-01T10:00:00.042000Z');
  });
});

describe('formatWholeSeconds', () => {
  it('whole seconds for metav1.Time', () => {
    expect(formatWholeSeconds(Date.parse('2024-05-01T10:00:00.999Z'))).toBe('2024-05-01T10:00:00Z');
  });
});

describe('normalizeMicroTime', () => {
  it.each([
    ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000000Z'],
    ['2024-05-01T10:00:00.123Z', '2024-05-01T10:00:00.123000Z'],
    ['2024-05-01T10:00:00.123456Z', '2024-05-01T10:00:00.123456Z'],
    ['2024-05-01T10:00:00.123456789Z', '2024-05-01T10:00:00.123456Z'],
    ['2024-05-01T12:00:00.000001+02:00', '2024-05-01T10:00:00.000001Z'],
    ['2024-05-01T00:30:00.5-01:00', '2024-05-01T01:30:00.500000Z'],
    ['2024-12-31T23:59:59.999999-00:30', '2025-01-01T00:29:59.999999Z'],
    ['2024-05-01t10:00:00z', '2024-05-01T10:00:00.000000Z'],
    ['0050-05-01T10:00:00Z', '0050-05-01T10:00:00.000000Z'],
  ])('%s → %s', (input, want) => {
    expect(normalizeMicroTime(input)).toBe(want);
  });

  it.each([
    '',
    'yesterday',
    '2024-05-01 10:00:00Z',
    '2024-05-01T10:00:00',
    '2024-13-01T10:00:00Z',
    '2024-05-01T10:00:00.Z',
    '2024-02-30T10:00:00Z',
    '2024-05-01T10:60:00Z',
  ])('rejects %j', (input) => {
    expect(() => normalizeMicroTime(input)).toThrow(/parsing time/);
  });
});

describe('parseMicroTime and microDiff', () => {
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

describe('microTimeToEpochMs', () => {
  const NOW = Date.parse('2025-01-01T00:00:10Z');
  it.each([
    ['2025-01-01T00:00:08.500000Z', NOW - 1500],
    ['2025-01-01T00:00:08.000001Z', NOW - 2000 + 0.001],
    ['2025-01-01T00:00:10Z', NOW],
    ['2025-01-01T01:00:10.000000+01:00', NOW],
  ])('%s', (text, ms) => expect(microTimeToEpochMs(text)).toBeCloseTo(ms, 6));

  it('parses back to epoch milliseconds, microseconds kept', () => {
    expect(microTimeToEpochMs('2024-05-01T10:00:00.123456Z')).toBeCloseTo(
      Date.parse('2024-05-01T10:00:00.123Z') + 0.456,
      6,
    );
    expect(Math.floor(microTimeToEpochMs('2024-05-01T10:00:00.123456Z'))).toBe(
      Date.parse('2024-05-01T10:00:00.123Z'),
    );
  });

  it('is NaN for anything else', () => {
    expect(microTimeToEpochMs('nope')).toBeNaN();
    expect(microTimeToEpochMs('yesterday')).toBeNaN();
  });
});
