/**
 * Writing run directories: naming, never overwriting, atomic files, the streamed timeline, the
 * `report` command re-rendering a stored run, and secrets planted in a run never reaching a file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Context } from '../../src/context.js';
import { REPORT_FORMATS, reporters } from '../../src/report/index.js';
import type { RunResult } from '../../src/report/result.js';
import { createRunDir, runDirName, writeRunReport } from '../../src/report/write.js';
import type { TimelineEvent } from '../../src/timeline/events.js';
import { SCENARIOS } from '../fixtures/reports/build.js';

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'kha-report-'));
});
afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

function fakeContext(cwd: string): Context & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s) => void out.push(s), isTTY: false },
    stderr: { write: (s) => void err.push(s), isTTY: false },
    env: {},
    cwd,
    onSignal: () => () => undefined,
  };
}

describe('run directories', () => {
  it('are named <UTC time>-<drill>', () => {
    expect(runDirName('2026-11-24T13:05:00.123Z', 'scheduler-failover')).toBe(
      '20261124T130500Z-scheduler-failover',
    );
    expect(runDirName('2026-11-24T13:05:00Z', '../evil name')).toBe('20261124T130500Z-evil-name');
  });

  it('never overwrite: -2, -3 on collision', async () => {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const a = await writeRunReport(result, events, parent);
    const b = await writeRunReport(result, events, parent);
    const c = await createRunDir(parent, result.startedAt, result.drill.name);
    expect([a, b, c].map((d) => d.slice(parent.length + 1))).toEqual([
      '20261124T130500Z-scheduler-failover',
      '20261124T130500Z-scheduler-failover-2',
      '20261124T130500Z-scheduler-failover-3',
    ]);
  });

  it('hold every format and the timeline, and no temporary files', async () => {
    const { result, events } = SCENARIOS['etcd-leader-kill']();
    const dir = await writeRunReport(result, events, parent);
    expect(readdirSync(dir).sort()).toEqual(
      [...REPORT_FORMATS.map((f) => reporters[f].file), 'timeline.ndjson'].sort(),
    );
    const lines = readFileSync(join(dir, 'timeline.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as TimelineEvent)).toEqual(events);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).toEqual(result);
  });

  it('write only the chosen formats', async () => {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const dir = await writeRunReport(result, events, parent, ['md', 'junit']);
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'summary.md', 'timeline.ndjson']);
  });

  it('keep a timeline the engine streamed, redacting it in place', async () => {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const dir = await createRunDir(parent, result.startedAt, result.drill.name);
    const streamed = events.slice(0, 5).map((e) => JSON.stringify(e));
    streamed.push(
      JSON.stringify({
        seq: 5,
        t: 1,
        kind: 'mark',
        mark: 'note',
        message: 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz',
      }),
    );
    writeFileSync(join(dir, 'timeline.ndjson'), `${streamed.join('\n')}\n`);
    const out = await writeRunReport(result, events, parent, ['json'], {
      runDir: dir,
      timelineStreamed: true,
    });
    expect(out).toBe(dir);
    const kept = readFileSync(join(dir, 'timeline.ndjson'), 'utf8').trimEnd().split('\n');
    expect(kept).toHaveLength(6); // the streamed file, not the events given
    expect(kept.slice(0, 5)).toEqual(streamed.slice(0, 5));
    expect(kept[5]).not.toContain('abcdefghijklmnopqrstuvwxyz');
  });
});

describe('kha-drill report <run-dir>', () => {
  it('re-renders the chosen formats from report.json + timeline.ndjson', async () => {
    const { result, events } = SCENARIOS['etcd-leader-kill']();
    const dir = await writeRunReport(result, events, parent, ['json']);
    const ctx = fakeContext(parent);
    const code = await main(['report', dir.slice(parent.length + 1), '--format', 'md,html'], ctx);
    expect(ctx.err.join('')).toBe('');
    expect(code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json', 'summary.md', 'timeline.ndjson']);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('## ❌ FAIL: etcd-leader-kill');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('class="seg seg-leader"');
    expect(ctx.out.join('')).toContain('report.html');
  });

  it('--out writes a new run directory', async () => {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const dir = await writeRunReport(result, events, parent, ['json']);
    const ctx = fakeContext(parent);
    expect(await main(['report', dir, '--out', join(parent, 'again')], ctx)).toBe(0);
    const again = readdirSync(join(parent, 'again'));
    expect(again).toEqual(['20261124T130500Z-scheduler-failover']);
    expect(readdirSync(join(parent, 'again', again[0]!)).sort()).toEqual([
      'junit.xml',
      'report.html',
      'report.json',
      'summary.md',
      'timeline.ndjson',
    ]);
  });

  it.each([
    ['a missing directory', (_dir: string) => undefined, 'nope', /report\.json: not found/, 2],
    [
      'a broken report.json',
      (dir: string) => writeFileSync(join(dir, 'report.json'), '{"schemaVersion":1,"runId":""}'),
      '',
      /runId|drill/,
      2,
    ],
    [
      'a newer schema',
      (dir: string) => writeFileSync(join(dir, 'report.json'), '{"schemaVersion":7}'),
      '',
      /schema version 7/,
      2,
    ],
  ])('refuses %s with exit 2', async (_name, breakIt, sub, message, exit) => {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const dir = await writeRunReport(result, events, parent, ['json']);
    breakIt(dir);
    const ctx = fakeContext(parent);
    expect(await main(['report', sub ? join(parent, sub) : dir], ctx)).toBe(exit);
    expect(ctx.err.join('')).toMatch(message);
  });

  it('refuses an unknown format with exit 2', async () => {
    const ctx = fakeContext(parent);
    expect(await main(['report', parent, '--format', 'pdf'], ctx)).toBe(2);
    expect(ctx.err.join('')).toMatch(/unknown report format 'pdf'/);
  });
});

describe('secrets never reach a report file', () => {
  const PRIVATE_KEY = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
    'QyNTUxOQAAACDkYfNp1PLANTEDKEYMATERIALzZXJ2ZXIta2V5AAAAQFPLANTEDSECRET0',
    '-----END OPENSSH PRIVATE KEY-----',
  ].join('\n');
  const TOKEN =
    'eyJhbGciOiJSUzI1NiIsImtpZCI6IlBMQU5URUQifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.UExBTlRFRFNJR05BVFVSRQ';
  const CLIENT_KEY_DATA =
    'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBcGxhbnRlZGNsaWVudGtleWRhdGFQTEFOVEVEMTIzNDU2Nzg5MA==';
  const PASSWORD = 'Pl4nted-Passw0rd!';
  const NEEDLES = [
    'PLANTEDKEYMATERIAL',
    'PLANTEDSECRET0',
    TOKEN,
    TOKEN.split('.')[1]!,
    CLIENT_KEY_DATA.slice(0, 40),
    PASSWORD,
  ];

  function planted(): { result: RunResult; events: TimelineEvent[] } {
    const { result, events } = SCENARIOS['scheduler-failover']();
    const steps = result.steps.map((s, i) =>
      i === 0
        ? {
            ...s,
            command: `ETCDCTL_PASSWORD=${PASSWORD} kubectl --token=${TOKEN} get lease`,
            output: `debug: loaded identity\n${PRIVATE_KEY}\nclient-key-data: ${CLIENT_KEY_DATA}`,
            error: `Authorization: Bearer ${TOKEN}`,
          }
        : s,
    );
    return {
      result: {
        ...result,
        steps,
        inventory: { ...result.inventory, file: `/etc/kha/inventory.yaml?password=${PASSWORD}` },
        errors: [
          `ssh: could not parse key ${PRIVATE_KEY.split('\n').slice(0, 2).join('\n')}`,
          `etcd: https://root:${PASSWORD}@127.0.10.1:2379 refused`,
        ],
        summary: `token: ${TOKEN}`,
      },
      events: events.map((e) =>
        e.kind === 'step' && e.state === 'end' && e.phase === 'inject'
          ? { ...e, output: `${PRIVATE_KEY}\n{"passphrase": "${PASSWORD}"}` }
          : e,
      ),
    };
  }

  it('the planted run really carries them (the test can fail)', () => {
    const text = JSON.stringify(planted());
    for (const n of NEEDLES) expect(text).toContain(n);
  });

  it('in any file written', async () => {
    const { result, events } = planted();
    const dir = await writeRunReport(result, events, parent);
    const files = readdirSync(dir);
    expect(files).toHaveLength(REPORT_FORMATS.length + 1);
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const n of NEEDLES) expect(text.includes(n), `${file} contains ${n}`).toBe(false);
      expect(text, file).not.toMatch(/BEGIN OPENSSH PRIVATE KEY-----\S/);
    }
    // and the redacted run still says where something was hidden
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('[REDACTED PEM OPENSSH PRIVATE KEY]');
  });
});
