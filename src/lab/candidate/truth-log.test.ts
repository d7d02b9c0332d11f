import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TruthLog } from './truth-log.js';

describe('TruthLog', () => {
  it('appends one JSON object per line with a microsecond timestamp; errors at most once per second', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kha-truth-'));
    const file = path.join(dir, 'sub', 'kube-scheduler.truth.jsonl');
    const clock = { wall: Date.UTC(2024, 4, 1, 10, 0, 0) + 0.5, mono: 0 };
    const log = new TruthLog(file, 'master-1_u', 'kube-system/kube-scheduler', {
      wallMs: () => clock.wall,
      monoMs: () => clock.mono,
    });
    log.write({ event: 'started', holder: '', transitions: null, resourceVersion: null });
    log.write({ event: 'error', holder: '', transitions: null, resourceVersion: null, message: 'refused' });
    clock.mono = 300;
    log.write({ event: 'error', holder: '', transitions: null, resourceVersion: null, message: 'refused' });
    clock.mono = 600;
    log.write({ event: 'error', holder: '', transitions: null, resourceVersion: null, message: 'refused' });
    clock.mono = 1_100;
    log.write({ event: 'error', holder: '', transitions: null, resourceVersion: null, message: 'refused' });
    log.write({ event: 'acquired', holder: 'master-1_u', transitions: 2, resourceVersion: '17' });
    log.close();
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.event)).toEqual(['started', 'error', 'error', 'acquired']);
    expect(lines[0]).toEqual({
      ts: '2024-05-01T10:00:00.000500Z',
      event: 'started',
      identity: 'master-1_u',
      lease: 'kube-system/kube-scheduler',
      holder: '',
      transitions: null,
      resourceVersion: null,
    });
    expect(lines[2]?.message).toBe('refused (2 similar suppressed)');
    expect(lines[3]).toMatchObject({ holder: 'master-1_u', transitions: 2, resourceVersion: '17' });
    fs.rmSync(dir, { recursive: true });
  });
});
