import { describe, expect, it } from 'vitest';
import { asFoundUndos, replayOrder, restoreStepUndos } from './restore-journal.js';
import { fakeInventory } from './testing/fakes.js';
import type { UndoSpec } from './types.js';

const u = (id: string, stage?: UndoSpec['stage']): UndoSpec => ({
  id,
  master: 'm',
  description: id,
  commands: [],
  ...(stage ? { stage } : {}),
});

describe('journaling restore itself', () => {
  it('replays undos newest first, then restore steps in drill order, then "as found"', () => {
    const journaled = [
      u('inject-0.0'),
      u('inject-1.0'),
      u('found.master-1', 'as-found'),
      u('found.master-2', 'as-found'),
      u('restore-0.0', 'restore'),
      u('restore-1.0', 'restore'),
      // a lost service journaled after restore (older runs) is an undo like the others
      u('post.0'),
    ];
    expect(replayOrder(journaled, (x) => x).map((x) => x.id)).toEqual([
      'post.0',
      'inject-1.0',
      'inject-0.0',
      'restore-0.0',
      'restore-1.0',
      'found.master-1',
      'found.master-2',
    ]);
  });

  it('"as found": per master, only what ran before, guarded so a running unit is left alone', () => {
    const before = new Map([
      ['master-1/etcd', true],
      ['master-1/kube-scheduler', true],
      ['master-1/kube-controller-manager', false],
      ['master-2/etcd', false],
    ]);
    expect(asFoundUndos(fakeInventory(3), before)).toEqual([
      {
        id: 'found.master-1',
        stage: 'as-found',
        master: 'master-1',
        description: 'as found: etcd, kube-scheduler running on master-1 as before the drill',
        commands: [
          '{ systemctl is-active etcd >/dev/null 2>&1 || systemctl start etcd; }',
          '{ systemctl is-active kube-scheduler >/dev/null 2>&1 || systemctl start kube-scheduler; }',
        ],
        verify:
          'systemctl is-active etcd >/dev/null 2>&1 && systemctl is-active kube-scheduler >/dev/null 2>&1',
      },
    ]);
  });

  it('a restore step: one entry per remote command, as rendered now', () => {
    const entries = restoreStepUndos(
      {
        action: 'startService',
        summary: 'start kube-scheduler on master-1, master-3',
        targets: ['master-1', 'master-3'],
        ops: [
          { master: 'master-1', command: 'systemctl start kube-scheduler' },
          { master: 'master-3', command: 'systemctl start kube-scheduler' },
        ],
        undo: [],
        effects: [],
      },
      1,
    );
    expect(entries.map((e) => [e.id, e.stage, e.master, e.description, e.commands])).toEqual([
      [
        'restore-1.0',
        'restore',
        'master-1',
        'restore step 2 (startService) on master-1',
        ['systemctl start kube-scheduler'],
      ],
      [
        'restore-1.1',
        'restore',
        'master-3',
        'restore step 2 (startService) on master-3',
        ['systemctl start kube-scheduler'],
      ],
    ]);
    // a local step (wait, waitFor) has nothing a master could replay
    expect(
      restoreStepUndos(
        { action: 'wait', summary: 'wait 1 s', targets: [], ops: [], undo: [], effects: [] },
        0,
      ),
    ).toEqual([]);
  });
});
