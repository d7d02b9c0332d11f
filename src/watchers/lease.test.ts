import { describe, expect, it } from 'vitest';
import type { Lease, LeaseList, WatchEnd, WatchEvent, WatchOptions } from '../clients/kube.js';
import { KubeApiError } from '../clients/kube.js';
import { FakeClock } from '../timeline/clock.js';
import type { LeaseEvent, TimelineEvent } from '../timeline/events.js';
import { Timeline } from '../timeline/timeline.js';
import { watchLeases, type LeaseSource } from './lease.js';

type Emit = (e: WatchEvent) => void;
/** One scripted watch call: open or not, emit events, end. */
type Script = (emit: Emit, open: () => void, signal: AbortSignal) => Promise<WatchEnd>;

const lease = (rv: string, holder: string, transitions = 1): Lease => ({
  metadata: { name: 'kube-scheduler', namespace: 'kube-system', resourceVersion: rv },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    renewTime: '2025-01-01T00:00:00.000000Z',
    leaseTransitions: transitions,
  },
});

class FakeSource implements LeaseSource {
  lists: string[] = [];
  watches: WatchOptions[] = [];
  constructor(
    private readonly listRv: () => string,
    private readonly scripts: Script[],
    private readonly listFailures = 0,
  ) {}
  private failures = 0;
  async listLeases(): Promise<LeaseList> {
    if (this.failures++ < this.listFailures) throw new Error('connect ECONNREFUSED');
    const rv = this.listRv();
    this.lists.push(rv);
    return { metadata: { resourceVersion: rv }, items: [lease(rv, 'master-2_abc')] };
  }
  watchLeases(_ns: string, options: WatchOptions, onEvent: Emit, onOpen?: () => void): Promise<WatchEnd> {
    this.watches.push(options);
    const script = this.scripts.shift();
    const signal = options.signal!;
    if (!script) {
      onOpen?.();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ reason: 'aborted' })));
    }
    return script(onEvent, () => onOpen?.(), signal);
  }
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const masters = [
  { name: 'm1', nodeName: 'master-1' },
  { name: 'm2', nodeName: 'master-2' },
];

async function run(source: FakeSource, settleMs = 80, inactivityMs = 1000): Promise<TimelineEvent[]> {
  const tl = new Timeline({ clock: new FakeClock() });
  const stop = watchLeases(tl, source, {
    leases: ['kube-system/kube-scheduler'],
    masters,
    inactivityMs,
    retryMs: 5,
  });
  await tick(settleMs);
  await stop();
  return [...tl.events()];
}

const summary = (events: TimelineEvent[]) =>
  events.map((e) =>
    e.kind === 'lease'
      ? `${e.type}:${e.resourceVersion}:${e.master}`
      : e.kind === 'blind'
        ? `blind-${e.state}`
        : e.kind,
  );

describe('lease watcher', () => {
  it('lists, watches, resumes from the last resourceVersion (bookmarks count), maps holders to masters', async () => {
    const source = new FakeSource(
      () => '10',
      [
        async (emit, open) => {
          open();
          emit({ type: 'MODIFIED', object: lease('11', 'master-2_abc') });
          emit({ type: 'MODIFIED', object: lease('12', 'master-1_def', 2) });
          return { reason: 'closed' };
        },
        async (emit, open) => {
          open();
          emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
          return { reason: 'closed' };
        },
      ],
    );
    const events = await run(source);
    expect(summary(events)).toEqual([
      'blind-start',
      'LIST:10:m2',
      'blind-end',
      'MODIFIED:11:m2',
      'MODIFIED:12:m1',
    ]);
    expect(source.watches.map((w) => w.resourceVersion)).toEqual(['10', '12', '20']);
    expect(source.watches[0]).toMatchObject({
      fieldSelector: 'metadata.name=kube-scheduler',
      allowWatchBookmarks: true,
    });
    const modified = events.find((e): e is LeaseEvent => e.kind === 'lease' && e.resourceVersion === '12')!;
    expect(modified).toMatchObject({ holder: 'master-1_def', transitions: 2, leaseDurationSeconds: 15 });
  });

  it('lists again on 410 Gone, as an ERROR event or as the answer', async () => {
    let rv = 10;
    const source = new FakeSource(
      () => String(rv++),
      [
        async (emit, open) => {
          open();
          emit({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old' } });
          return { reason: 'closed' };
        },
        async () => {
          throw new KubeApiError('gone', 410, 'Gone');
        },
      ],
    );
    const events = await run(source);
    expect(source.lists).toEqual(['10', '11', '12']);
    expect(summary(events).filter((s) => s.startsWith('blind'))).toEqual(['blind-start', 'blind-end']);
  });

  it('is blind from a broken watch until one opens again, once per outage', async () => {
    const source = new FakeSource(
      () => '10',
      [
        async (_emit, open) => {
          open();
          await tick(10);
          return { reason: 'error', error: 'socket hang up' };
        },
        async () => {
          throw new Error('connect ECONNREFUSED');
        },
        async () => {
          throw new Error('connect ECONNREFUSED');
        },
      ],
    );
    const events = await run(source);
    const blind = events.filter((e) => e.kind === 'blind');
    expect(blind.map((e) => (e.kind === 'blind' ? [e.state, e.reason] : []))).toEqual([
      ['start', 'starting'],
      ['end', undefined],
      ['start', 'watch broke: socket hang up'],
      ['end', undefined],
    ]);
    expect(source.watches.map((w) => w.resourceVersion)).toEqual(['10', '10', '10', '10']);
  });

  it('is blind while the first list fails', async () => {
    const source = new FakeSource(() => '10', [], 2);
    const events = await run(source);
    expect(summary(events)).toEqual(['blind-start', 'LIST:10:m2', 'blind-end']);
  });

  const silentThenOpen = (): Script[] => [
    (_emit, open, signal) => {
      open();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ reason: 'aborted' })));
    },
  ];

  it('a silent watch whose Lease did not change (nobody renews it) missed nothing: not blind', async () => {
    const source = new FakeSource(() => '10', silentThenOpen());
    const events = await run(source, 100, 30);
    expect(source.watches.length).toBeGreaterThanOrEqual(2);
    // the check after the silence: a second list, same object version
    expect(source.lists.length).toBeGreaterThanOrEqual(2);
    expect(source.watches.every((w) => w.resourceVersion === '10')).toBe(true);
    expect(summary(events)).toEqual(['blind-start', 'LIST:10:m2', 'blind-end']);
  });

  it('a silent watch whose Lease changed meanwhile was blind: restarted from its last version', async () => {
    let n = 0;
    const source = new FakeSource(() => (n++ === 0 ? '10' : '11'), silentThenOpen());
    const events = await run(source, 100, 30);
    expect(source.watches.length).toBeGreaterThanOrEqual(2);
    expect(source.watches[1]!.resourceVersion).toBe('10');
    expect(events.some((e) => e.kind === 'blind' && e.reason === 'silent watch: no event for 30 ms')).toBe(
      true,
    );
    expect(events.at(-1)).toMatchObject({ kind: 'blind', state: 'end' });
  });

  it('a silent watch whose check fails is blind since the silence', async () => {
    const source = new FakeSource(() => '10', silentThenOpen());
    let lists = 0;
    const list = source.listLeases.bind(source);
    source.listLeases = async () => {
      if (lists++ === 1) throw new Error('connect ECONNREFUSED');
      return list();
    };
    const events = await run(source, 100, 30);
    expect(events.some((e) => e.kind === 'blind' && e.reason === 'silent watch: no event for 30 ms')).toBe(
      true,
    );
  });
});
