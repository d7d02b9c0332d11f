/**
 * Periodic etcd compaction as kube-apiserver does it: at each tick compact to the revision seen at the
 * previous tick, so at least one interval of history stays watchable and older resourceVersions get 410.
 */
import type { EtcdClient } from './etcd.js';

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private previous: string | undefined;
  private compacted: string | undefined;

  constructor(
    private readonly etcd: EtcdClient,
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    try {
      const { revision } = await this.etcd.range('compact_rev_key');
      const target = this.previous;
      this.previous = revision;
      if (target && target !== '0' && target !== this.compacted) {
        this.compacted = target;
        await this.etcd.compact(target);
        this.log(`compacted etcd to revision ${target}`);
      }
    } catch (e) {
      // Another apiserver already compacted past it, or etcd is unavailable: try again next tick.
      this.log(`compaction skipped: ${(e as Error).message}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
