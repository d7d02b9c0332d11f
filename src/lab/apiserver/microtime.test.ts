import { describe, expect, it } from 'vitest';
import { formatWholeSeconds, microTimeFromEpochMs, normalizeMicroTime, parseTime } from './microtime.js';

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
  ])('rejects %j', (input) => {
    expect(() => normalizeMicroTime(input)).toThrow(/parsing time/);
  });
});

describe('formatting', () => {
  it('whole seconds for metav1.Time', () => {
    expect(formatWholeSeconds(Date.parse('2024-05-01T10:00:00.999Z'))).toBe('2024-05-01T10:00:00Z');
  });
  it('six digits from a JavaScript epoch, never three', () => {
    expect(microTimeFromEpochMs(Date.parse('2024-05-01T10:00:00.042Z'))).toBe('2024-05-01T10:00:00.042000Z');
  });
  it('parses back to epoch milliseconds', () => {
    expect(parseTime('2024-05-01T10:00:00.123456Z')).toBe(Date.parse('2024-05-01T10:00:00.123Z'));
    expect(parseTime('nope')).toBeNaN();
  });
});
