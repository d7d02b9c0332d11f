import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseDuration, parseDurationMs } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 0.5],
    ['2s', 2],
    ['1.5s', 1.5],
    ['1m', 60],
    ['300ms', 0.3],
    ['0s', 0],
  ])('%s → %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '2', 's', '2h', '-1s', '1 s', '1.s'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });

  it('gives whole milliseconds', () => {
    expect(parseDurationMs('1.5s')).toBe(1500);
  });
});
