/**
 * Inventory resolution: which file, and the values that come from the environment (home
 * directory, ETCDCTL_* TLS files, KUBECONFIG). The environment is always the Context's.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { Inventory } from './schema.js';
import { parseDuration } from '../text/duration.js';
import type { ArithEnv } from '../slo/parse.js';

type Env = Record<string, string | undefined>;

/** Replaces a leading `~` or `~/` with the home directory (HOME from `env`, else the OS's). */
export function expandHome(p: string, env: Env): string {
  if (p !== '~' && !p.startsWith('~/')) return p;
  const home = env.HOME || os.homedir();
  return p === '~' ? home : path.join(home, p.slice(2));
}

/** `~` expanded, then relative paths taken from `baseDir` (the inventory file's directory). */
export function resolvePath(p: string, env: Env, baseDir: string): string {
  return path.resolve(baseDir, expandHome(p, env));
}

export type InventorySource = 'flag' | 'env' | 'cwd';

/**
 * Which inventory a command uses: `-i <file>`, else KHA_INVENTORY, else ./inventory.yaml when it
 * exists. Returns undefined when there is none; `requireInventoryPath` turns that into a usage error.
 */
export function findInventoryPath(
  ctx: Pick<Context, 'env' | 'cwd'>,
  flag?: string,
): { path: string; display: string; source: InventorySource } | undefined {
  if (flag) return { path: path.resolve(ctx.cwd, expandHome(flag, ctx.env)), display: flag, source: 'flag' };
  const fromEnv = ctx.env.KHA_INVENTORY;
  if (fromEnv)
    return { path: path.resolve(ctx.cwd, expandHome(fromEnv, ctx.env)), display: fromEnv, source: 'env' };
  const local = path.join(ctx.cwd, 'inventory.yaml');
  if (existsSync(local)) return { path: local, display: 'inventory.yaml', source: 'cwd' };
  return undefined;
}

export function requireInventoryPath(
  ctx: Pick<Context, 'env' | 'cwd'>,
  flag?: string,
): { path: string; display: string; source: InventorySource } {
  const found = findInventoryPath(ctx, flag);
  if (!found) {
    throw new UsageError('no inventory: pass -i <file>, set KHA_INVENTORY, or create ./inventory.yaml', {
      hint: 'copy inventory.example.yaml, or run `kha-drill lab up`, which writes one for the local lab',
    });
  }
  return found;
}

/** An inventory with every path absolute and every environment fallback applied. */
export type ResolvedInventory = Inventory & {
  etcd: { tls: { ca?: string; cert?: string; key?: string } };
  kubernetes: Inventory['kubernetes'];
};

/**
 * Applies the environment: `~` and relative paths (relative to `baseDir`, the inventory file's
 * directory), etcd TLS from ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY where the file leaves them
 * unset (as etcdctl does). An unset kubeconfig stays unset: the Kubernetes client then looks as
 * kubectl does (every KUBECONFIG file merged, ~/.kube/config, the pod's service account).
 */
export function resolveInventory(inv: Inventory, env: Env, baseDir: string): ResolvedInventory {
  const r = (p: string): string => resolvePath(p, env, baseDir);
  const opt = (p: string | undefined): string | undefined => (p ? r(p) : undefined);
  const tls = inv.etcd.tls ?? {};
  const masters = inv.masters.map((m) => ({
    ...m,
    ...(m.identityFile ? { identityFile: r(m.identityFile) } : {}),
    ...(m.jumpHost ? { jumpHost: { ...m.jumpHost, identityFile: opt(m.jumpHost.identityFile) } } : {}),
  }));
  const ssh = {
    ...inv.ssh,
    configFile: opt(inv.ssh.configFile),
    knownHosts: r(inv.ssh.knownHosts),
    identityFile: opt(inv.ssh.identityFile),
    jumpHost: inv.ssh.jumpHost
      ? { ...inv.ssh.jumpHost, identityFile: opt(inv.ssh.jumpHost.identityFile) }
      : undefined,
  };
  return {
    ...inv,
    masters,
    ssh,
    etcd: {
      ...inv.etcd,
      tls: dropUndefined({
        ca: opt(tls.ca ?? env.ETCDCTL_CACERT),
        cert: opt(tls.cert ?? env.ETCDCTL_CERT),
        key: opt(tls.key ?? env.ETCDCTL_KEY),
      }),
    },
    // services.manifestDir/stashDir are paths on the masters: left as written
    kubernetes: dropUndefined({ ...inv.kubernetes, kubeconfig: opt(inv.kubernetes.kubeconfig) }),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The leader-election timings in seconds: the values SLO expressions' identifiers stand for. */
export function leaderElectionSeconds(inv: Pick<Inventory, 'kubernetes'>): ArithEnv {
  const le = inv.kubernetes.leaderElection;
  return {
    leaseDuration: parseDuration(le.leaseDuration),
    renewDeadline: parseDuration(le.renewDeadline),
    retryPeriod: parseDuration(le.retryPeriod),
  };
}

/**
 * The timings the inventory gives for one Lease: its `kubernetes.leaderElection.leases` entry
 * over the cluster-wide values.
 */
export function leaseTimingsOf(inv: Pick<Inventory, 'kubernetes'>, lease: string): ArithEnv {
  const base = leaderElectionSeconds(inv);
  const own = inv.kubernetes.leaderElection.leases?.[lease];
  return {
    leaseDuration: own?.leaseDuration ? parseDuration(own.leaseDuration) : base.leaseDuration,
    renewDeadline: own?.renewDeadline ? parseDuration(own.renewDeadline) : base.renewDeadline,
    retryPeriod: own?.retryPeriod ? parseDuration(own.retryPeriod) : base.retryPeriod,
  };
}

/** Kubernetes' defaults (15 s / 10 s / 2 s), for expressions checked without an inventory. */
export const DEFAULT_LEADER_ELECTION: ArithEnv = { leaseDuration: 15, renewDeadline: 10, retryPeriod: 2 };
