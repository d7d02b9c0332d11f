/** The master-side journal commands, run for real under /bin/sh in a temporary folder. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isPendingCopy,
  masterCopyPath,
  parseCopies,
  readCopiesCommand,
  statusCommand,
  writeCopyCommand,
  type MasterCopy,
} from './master-journal.js';

const sh = (command: string) => execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const copyOf = (runId: string, id: string, commands: string[]): MasterCopy => ({
  version: 1,
  cluster: 'prod-eu',
  runId,
  drill: 'scheduler-failover',
  host: 'laptop',
  writtenAt: '2026-12-06T01:00:00.000Z',
  undo: { id, master: 'master-1', description: 'start kube-scheduler', commands },
});

describe('journal copies on a master', () => {
  it('writes, reads back, and records what became of each undo, quotes and secrets included', () => {
    dir = mkdtempSync(join(tmpdir(), 'kha-master-journal-'));
    const jdir = join(dir, 'var/lib/kha-drill/journal');
    const a = masterCopyPath('20261206T010000Z-scheduler failover', 'inject-0.0', jdir);
    const b = masterCopyPath('20261206T010000Z-scheduler failover', 'inject-1.0', jdir);
    expect(a).toBe(`${jdir}/20261206T010000Z-scheduler-failover--inject-0.0.json`);
    sh(writeCopyCommand(a, copyOf('r1', 'inject-0.0', [`systemctl start 'kube-scheduler'`])));
    sh(
      writeCopyCommand(
        b,
        copyOf('r1', 'inject-1.0', ['curl -H "Authorization: Bearer abcdefghijklmnop0123456789" x']),
      ),
    );
    // the switch healed the first, with a name that needs quoting
    sh(statusCommand(a, 'healed', "dead-man's switch"));
    const { records, problems } = parseCopies(sh(readCopiesCommand(jdir)));
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.path, r.copy.undo.id, r.status?.status ?? 'pending'])).toEqual([
      [a, 'inject-0.0', 'healed'],
      [b, 'inject-1.0', 'pending'],
    ]);
    expect(records[0]!.copy.undo.commands).toEqual([`systemctl start 'kube-scheduler'`]);
    expect(records[0]!.status!.by).toBe("dead-man's switch");
    expect(Date.parse(records[0]!.status!.at)).not.toBeNaN();
    // no secret reaches the master
    expect(readFileSync(b, 'utf8')).not.toContain('abcdefghijklmnop0123456789');
    expect(records.filter(isPendingCopy)).toHaveLength(2);
    sh(statusCommand(a, 'done', 'kha-drill run'));
    const after = parseCopies(sh(readCopiesCommand(jdir))).records;
    expect(after.filter(isPendingCopy).map((r) => r.path)).toEqual([b]);
  });

  it('an empty or missing folder prints nothing; a broken copy is a problem, not a crash', () => {
    dir = mkdtempSync(join(tmpdir(), 'kha-master-journal-'));
    expect(sh(readCopiesCommand(join(dir, 'none')))).toBe('');
    sh(`printf 'not json' > ${join(dir, 'x.json')}`);
    const { records, problems } = parseCopies(sh(readCopiesCommand(dir)));
    expect(records).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(join(dir, 'x.json'));
  });
});
