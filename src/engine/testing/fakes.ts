/** In-memory fakes of the engine's ports: a tiny simulated cluster driven by the commands run. */
import { Drill, Inventory, type Master } from '../../config/schema.js';
import { CLOCK_COMMAND } from '../fault/clock-offset.js';
import type { ClusterView, HealthState, LeaseState, MemberState, Remote, RemoteResult } from '../types.js';

export function fakeInventory(n = 3, extra: Record<string, unknown> = {}): Inventory {
  return Inventory.parse({
    apiVersion: 'kha-drill/v1',
    kind: 'Inventory',
    metadata: { name: 'test-cluster' },
    masters: Array.from({ length: n }, (_, i) => ({
      name: `master-${i + 1}`,
      host: `10.0.0.${i + 1}`,
      nodeName: `node-${i + 1}`,
      etcd: `http://10.0.0.${i + 1}:2379`,
      apiserver: `http://10.0.0.${i + 1}:6443`,
    })),
    ssh: { identityFile: '/dev/null' },
    kubernetes: { loadBalancer: 'http://10.0.0.100:6443' },
    services: { manager: 'systemd' },
    ...extra,
  });
}

/**
 * `inv` with unit names set after validation, which refuses hostile ones: for tests of the
 * quoting that still guards every value put into a command.
 */
export function withUnits(inv: Inventory, units: Partial<Inventory['services']['units']>): Inventory {
  return { ...inv, services: { ...inv.services, units: { ...inv.services.units, ...units } } };
}

export function fakeInventoryWithUnits(
  units: Partial<Inventory['services']['units']>,
  extra: Record<string, unknown> = {},
): Inventory {
  return withUnits(fakeInventory(3, extra), units);
}

export function fakeDrill(overrides: Record<string, unknown> = {}): Drill {
  return Drill.parse({
    apiVersion: 'kha-drill/v1',
    kind: 'Drill',
    metadata: { name: 'test-drill', description: 'a test' },
    steadyState: [{ check: 'etcdHealthy' }],
    inject: [
      {
        id: 'victim',
        action: 'stopService',
        target: 'lease-holder:kube-system/kube-scheduler',
        service: 'kube-scheduler',
      },
    ],
    observe: {
      until: { check: 'leaseHolderChanged', lease: 'kube-system/kube-scheduler' },
      timeout: '5s',
      settle: '0s',
    },
    ...overrides,
  });
}

/** The command inside an inject command's clock bracket (bracketCommand), else the command. */
export function innerCommand(command: string): string {
  return /^printf '@kha-t0 [^]*?; \(\n([^]*)\n\); kha_rc=/.exec(command)?.[1] ?? command;
}

/**
 * A simulated cluster: units per master (active or not), an etcd leader, a scheduler Lease
 * that moves to the next active scheduler when its holder stops, partition rules.
 */
export class FakeCluster implements ClusterView, Remote {
  readonly commands: { master: string; command: string }[] = [];
  /** the scheduler Lease's spec.leaseDurationSeconds */
  leaseDurationSeconds = 15;
  /** read-only reads (the components' leader-election flags) */
  readonly reads: { master: string; command: string }[] = [];
  /** what a master prints for the leader-election read (default: the inventory's timings) */
  leaderElectionOutput?: (master: string) => string;
  readonly units = new Map<string, boolean>();
  etcdLeader = 'master-1';
  schedulerHolder: string | null = 'master-1';
  /** commands matching this fail (exit 1) */
  failing: RegExp | null = null;
  unreachable = new Set<string>();
  /** the Lease does not move when its holder stops */
  leaseStuck = false;
  /** called after every command (tests inject signals here) */
  afterCommand?: (master: string, command: string) => void;
  connects: string[] = [];

  constructor(readonly inventory: Inventory) {
    for (const m of inventory.masters) {
      for (const u of ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'])
        this.units.set(`${m.name}/${u}`, true);
    }
  }

  active(master: string, unit: string): boolean {
    return this.units.get(`${master}/${unit}`) ?? false;
  }

  private nodeOf(master: string): string {
    return this.inventory.masters.find((m) => m.name === master)?.nodeName ?? master;
  }

  // ClusterView
  async etcd(): Promise<MemberState[]> {
    const alive = this.inventory.masters.filter((m) => this.active(m.name, 'etcd'));
    const quorum = alive.length > this.inventory.masters.length / 2;
    return this.inventory.masters.map((m, i) => {
      if (!this.active(m.name, 'etcd')) return { master: m.name, ok: false, error: 'connection refused' };
      const leaderIndex = this.inventory.masters.findIndex((x) => x.name === this.etcdLeader);
      const s: MemberState = { master: m.name, ok: true, id: `a${i}`, term: '2', raftIndex: '100' };
      if (quorum) s.leader = `a${leaderIndex}`;
      return s;
    });
  }

  async lease(ref: string): Promise<LeaseState | null> {
    if (ref !== 'kube-system/kube-scheduler') return null;
    const holder = this.schedulerHolder ? `${this.nodeOf(this.schedulerHolder)}_uuid` : null;
    return {
      lease: ref,
      holder,
      master: this.schedulerHolder,
      transitions: 1,
      renewTime: String(Math.random()),
      leaseDurationSeconds: this.leaseDurationSeconds,
      resourceVersion: '1',
    };
  }

  async apiserver(m: Master): Promise<HealthState> {
    return this.active(m.name, 'kube-apiserver') ? { ok: true } : { ok: false, error: 'connection refused' };
  }

  async loadBalancer(): Promise<HealthState> {
    return { ok: true };
  }

  // Remote
  async connect(m: Master): Promise<void> {
    this.connects.push(m.name);
    if (this.unreachable.has(m.name))
      throw new Error(`cannot connect to ${m.name} (${m.host}:22): connection refused`);
  }

  /** the master's clock minus this machine's (tests of clock offsets set it) */
  clockSkewS = 0;
  /** read-only timing reads (the master's clock, systemd's records): kept apart from `commands` */
  readonly timingReads: { master: string; command: string }[] = [];
  /** when each unit's main process last left, on the master's clock */
  private readonly exits = new Map<string, number>();

  private masterNow(): number {
    return Date.now() / 1000 + this.clockSkewS;
  }

  async exec(m: Master, command: string): Promise<RemoteResult> {
    if (command === CLOCK_COMMAND) {
      this.timingReads.push({ master: m.name, command });
      return { code: 0, stdout: `${this.masterNow().toFixed(9)}\n`, stderr: '' };
    }
    const show = /^systemctl show .* -- '?([^'\s]+)'?$/.exec(command);
    if (show) {
      this.timingReads.push({ master: m.name, command });
      return { code: 0, stdout: this.unitRecord(m.name, show[1]!), stderr: '' };
    }
    // the read-only leader-election read of preflight is kept apart from what acts on the cluster
    if (command.startsWith("echo '#kha-le ")) {
      this.reads.push({ master: m.name, command });
      const le = this.inventory.kubernetes.leaderElection;
      // by default every component runs with the inventory's timings (as a process)
      const asDeclared = ['kube-scheduler', 'kube-controller-manager']
        .map(
          (c) =>
            `#kha-le ${c}\n#kha-le-src process\n/usr/bin/${c}\n--leader-elect-lease-duration=${le.leaseDuration}\n--leader-elect-renew-deadline=${le.renewDeadline}\n--leader-elect-retry-period=${le.retryPeriod}\n`,
        )
        .join('');
      return { code: 0, stdout: this.leaderElectionOutput?.(m.name) ?? asDeclared, stderr: '' };
    }
    // an inject command bracketed by the master's clock: the fake runs the command inside
    const run = innerCommand(command);
    const inner = run === command ? undefined : run;
    const t0 = this.masterNow();
    this.commands.push({ master: m.name, command: run });
    const result = this.apply(m.name, run);
    if (inner !== undefined)
      result.stdout = `@kha-t0 ${t0.toFixed(9)}\n${result.stdout}\n@kha-t1 ${this.masterNow().toFixed(9)}\n`;
    this.afterCommand?.(m.name, run);
    return result;
  }

  /** `systemctl show` of a unit as systemd prints it with --timestamp=us+utc. */
  private unitRecord(master: string, unit: string): string {
    const exit = this.exits.get(`${master}/${unit}`);
    const stamp = (s: number | undefined) => {
      if (s === undefined) return '';
      const d = new Date(Math.floor(s * 1000));
      const us = String(Math.round((s % 1) * 1e6) % 1e6).padStart(6, '0');
      return `Sun ${d.toISOString().slice(0, 19).replace('T', ' ')}.${us} UTC`;
    };
    return [
      'NRestarts=0',
      `ExecMainStartTimestamp=`,
      `ExecMainExitTimestamp=${stamp(exit)}`,
      `ActiveState=${this.active(master, unit) ? 'active' : 'inactive'}`,
      `InactiveEnterTimestamp=${stamp(exit)}`,
      '',
    ].join('\n');
  }

  private apply(master: string, command: string): RemoteResult {
    if (this.failing?.test(command)) return { code: 1, stdout: '', stderr: 'simulated failure' };
    const guarded = this.guarded(master, command);
    if (guarded) return guarded;
    if (command.includes('systemctl cat -- ')) {
      // the preflight's presence check: one line per unit, in order
      const units = [...command.matchAll(/systemctl cat -- (?:'([^']*)'|([^\s']+))/g)].map(
        (m) => m[1] ?? m[2]!,
      );
      const lines = units.map((u) => (this.units.has(`${master}/${u}`) ? 'present' : 'missing'));
      return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
    }
    const many = /^systemctl is-active (\S+(?: \S+)+)$/.exec(command);
    if (many) {
      // systemd's form for several units: one state per line, 0 only when all are active
      const states = many[1]!
        .split(' ')
        .map((u) => (this.units.get(`${master}/${u}`) ? 'active' : 'inactive'));
      return {
        code: states.every((x) => x === 'active') ? 0 : 3,
        stdout: `${states.join('\n')}\n`,
        stderr: '',
      };
    }
    const sc = /^systemctl (stop|start|restart|is-active|kill -s (\w+)) (\S+)$/.exec(command);
    if (sc) {
      const [, verb, , unit] = sc as unknown as [string, string, string | undefined, string];
      const key = `${master}/${unit}`;
      if (verb === 'is-active')
        return {
          code: this.units.get(key) ? 0 : 3,
          stdout: this.units.get(key) ? 'active' : 'inactive',
          stderr: '',
        };
      const up = verb === 'start' || verb === 'restart' || verb === 'kill -s CONT';
      if (!up && verb !== 'kill -s STOP') this.exits.set(key, this.masterNow());
      this.units.set(key, up);
      if (unit === 'kube-scheduler' && !up && this.schedulerHolder === master && !this.leaseStuck) {
        this.schedulerHolder =
          this.inventory.masters.find((x) => x.name !== master && this.active(x.name, 'kube-scheduler'))
            ?.name ?? null;
      }
      return { code: 0, stdout: '', stderr: '' };
    }
    if (command === 'id -u') return { code: 0, stdout: '0', stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  }

  /**
   * The guarded forms restore journals ("as found", restore-journal.ts): `{ A >/dev/null 2>&1 ||
   * B; }` and `A >/dev/null 2>&1`, joined by ` && `, run as sh would; null for anything else.
   */
  private guarded(master: string, command: string): RemoteResult | null {
    if (!command.includes(' >/dev/null 2>&1')) return null;
    const parts = command.replaceAll(' >/dev/null 2>&1', '').split(' && ');
    const simple = /^systemctl (is-active|start) \S+$/;
    const steps = parts.map((p) => /^\{ (.+) \|\| (.+); \}$/.exec(p)?.slice(1) ?? [p]);
    if (!steps.every((s) => s.every((c) => simple.test(c ?? '')))) return null;
    let last: RemoteResult = { code: 0, stdout: '', stderr: '' };
    for (const [first, orElse] of steps) {
      last = this.apply(master, first!);
      if (orElse && last.code !== 0) last = this.apply(master, orElse);
      if (last.code !== 0) return { ...last, stdout: '' };
    }
    return { ...last, stdout: '' };
  }

  async close(): Promise<void> {}
}
