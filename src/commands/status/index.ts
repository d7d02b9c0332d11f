/**
 * `kha-drill status [-i inventory] [--json] [--watch [interval]] [--lease ns/name ...] [--timeout 2s]`:
 * the runbook's checks in one command: etcd members, Lease holders, API server and load balancer
 * health, the dead-man's switches armed on each master (over SSH, a short deadline each, failing
 * soft; `--no-switches` opens no SSH), then a verdict. Exit 0 healthy, 3 not in steady state, 2
 * bad input. Read-only.
 */
import path from 'node:path';
import { STOP_SIGNALS, type Context } from '../../context.js';
import { ExitCode, UsageError } from '../../errors.js';
import { checkLeaseAccess } from '../../clients/kube.js';
import { etcdConnect, type EtcdTransport } from '../../clients/etcd-transport.js';
import { KubeconfigError, loadKubeconfig, type KubeConnection } from '../../clients/kubeconfig.js';
import { loadTlsFiles, type TlsMaterial } from '../../clients/tls.js';
import { MAX_DURATION_TEXT, isTooLong, parseDurationMs } from '../../text/duration.js';
import { requireInventoryPath, resolveInventory } from '../../config/inventory.js';
import { loadInventoryFile } from '../../config/load.js';
import { DEFAULT_LEASES, LeaseRef, type Inventory } from '../../config/schema.js';
import { tunnelEndpoints } from '../../config/reach.js';
import { SshRemote } from '../../engine/live.js';
import {
  gatherStatus,
  StatusClients,
  renderJson,
  renderText,
  type StatusReport,
  type StatusTarget,
} from '../../status/index.js';
import type { RegisterCommand } from '../types.js';
import { setSafeTimeout } from '../../time/timer.js';
import { gatherSwitches, switchesTimeoutMs } from '../../status/switches.js';

export { DEFAULT_LEASES };
const DEFAULT_INTERVAL = '2s';
const MIN_INTERVAL_MS = 200;

export interface StatusOptions {
  inventory?: string;
  json?: boolean;
  /** true: default interval; string: a duration */
  watch?: boolean | string;
  lease?: string[];
  timeout?: string;
  /** kubeconfig context, over kubernetes.context */
  context?: string;
  /** false (`--no-switches`): do not open SSH to list the dead-man's switches */
  switches?: boolean;
}

export const registerStatus: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('status')
    .description(
      'etcd members, Lease holders and API health in one look, then a verdict (exit 0 healthy, 3 not in steady state)',
    )
    .option('-i, --inventory <file>', 'inventory (default: KHA_INVENTORY, then ./inventory.yaml)')
    .option('--json', 'print the report as JSON (schemaVersion 1); with --watch, one line per refresh')
    .option('-w, --watch [interval]', `refresh every interval (default ${DEFAULT_INTERVAL}) until Ctrl-C`)
    .option(
      '--lease <ns/name...>',
      'also show these Leases (besides kube-scheduler and kube-controller-manager)',
    )
    .option('--timeout <duration>', 'deadline of every single check', '2s')
    .option('--context <name>', 'kubeconfig context (default: kubernetes.context, then current-context)')
    .option(
      '--no-switches',
      "do not list the dead-man's switches armed on each master (status opens no SSH then)",
    )
    .action(async (opts: StatusOptions) => {
      setExit(await runStatus(ctx, opts));
    });
};

export const exitCodeOf = (r: Pick<StatusReport, 'healthy'>): number =>
  r.healthy ? ExitCode.Ok : ExitCode.NotSteady;

interface Setup {
  target: StatusTarget;
  etcdTls: TlsMaterial;
  etcdTransport: EtcdTransport | undefined;
  conn: KubeConnection;
  inventory: Inventory;
  /** the inventory's folder: its relative SSH paths start there */
  inventoryDir: string;
}

function leaseRefs(extra: readonly string[] = []): string[] {
  for (const ref of extra) {
    if (!LeaseRef.safeParse(ref).success)
      throw new UsageError(`--lease ${ref}: expected a Lease as <namespace>/<name>`, {
        hint: 'e.g. --lease kube-system/my-operator',
      });
  }
  return [...new Set([...DEFAULT_LEASES, ...extra])];
}

function positiveMs(text: string, what: string): number {
  if (isTooLong(text)) throw new UsageError(`bad ${what} '${text}' (expected at most ${MAX_DURATION_TEXT})`);
  const v = parseDurationMs(text);
  if (v <= 0) throw new UsageError(`${what} must be more than 0 (got ${text})`);
  return v;
}

/** Inventory, TLS files and kubeconfig: every failure here is bad input (exit 2). */
export function setupStatus(ctx: Context, opts: StatusOptions): Setup {
  const timeoutMs = positiveMs(opts.timeout ?? '2s', '--timeout');
  const leases = leaseRefs(opts.lease);
  const found = requireInventoryPath(ctx, opts.inventory);
  // problems name the file as the user wrote it, unless that needs ~ expanded
  const shown = found.display.startsWith('~') ? found.path : found.display;
  const inventory = resolveInventory(
    loadInventoryFile(shown, { cwd: ctx.cwd }),
    ctx.env,
    path.dirname(found.path),
  );
  let etcdTls: TlsMaterial;
  try {
    etcdTls = loadTlsFiles(inventory.etcd.tls);
  } catch (err) {
    throw new UsageError(`cannot read etcd TLS file: ${(err as Error).message}`, {
      hint: `check etcd.tls in ${found.display} (or ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY)`,
    });
  }
  let conn: KubeConnection;
  try {
    conn = loadKubeconfig({
      file: inventory.kubernetes.kubeconfig,
      context: opts.context ?? inventory.kubernetes.context,
      env: ctx.env,
      cwd: ctx.cwd,
    });
  } catch (err) {
    // a KubeconfigError names the file, field or context and what to check
    if (err instanceof KubeconfigError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message, { hint: `set kubernetes.kubeconfig in ${found.display} or KUBECONFIG` });
  }
  return {
    target: {
      cluster: inventory.metadata.name,
      masters: inventory.masters.map((m) => ({
        name: m.name,
        nodeName: m.nodeName,
        etcd: m.etcd,
        apiserver: m.apiserver,
      })),
      loadBalancer: inventory.kubernetes.loadBalancer,
      leases,
      timeoutMs,
    },
    etcdTls,
    etcdTransport: inventory.etcd.transport,
    conn,
    inventory,
    inventoryDir: path.dirname(found.path),
  };
}

/**
 * The SSH side of status: one connection per master (kept across --watch refreshes) for the
 * armed switches and the tunnelled endpoints, its handshake bounded by the same short deadline as
 * the listing. Never prompts for a passphrase.
 */
function statusSsh(
  ctx: Context,
  setup: Setup,
): { remote: SshRemote; inventory: Inventory; timeoutMs: number } {
  const timeoutMs = switchesTimeoutMs(setup.target.timeoutMs);
  const inventory: Inventory = {
    ...setup.inventory,
    ssh: { ...setup.inventory.ssh, connectTimeout: `${timeoutMs}ms` },
  };
  const remote = new SshRemote(inventory, {
    env: ctx.env,
    cwd: setup.inventoryDir,
    warn: (m) => ctx.stderr.write(`warning: ${m}\n`),
  });
  return { remote, inventory, timeoutMs };
}

export async function runStatus(ctx: Context, opts: StatusOptions): Promise<number> {
  const intervalMs =
    opts.watch === undefined || opts.watch === false
      ? undefined
      : positiveMs(opts.watch === true ? DEFAULT_INTERVAL : opts.watch, '--watch interval');
  if (intervalMs !== undefined && intervalMs < MIN_INTERVAL_MS)
    throw new UsageError(`--watch interval must be at least ${MIN_INTERVAL_MS}ms`);
  const setup = setupStatus(ctx, opts);
  // SSH for the switches, and for endpoints tunnelled through it (reach: ssh-tunnel)
  const tunnelled = tunnelEndpoints(setup.inventory).length > 0;
  const ssh = opts.switches !== false || tunnelled ? statusSsh(ctx, setup) : undefined;
  // the SSH handshakes first, so that they do not eat each check's deadline; a tunnel that cannot
  // open shows as its endpoint's error in the tables
  if (tunnelled) await ssh?.remote.tunnelFailures();
  // the credential and its rights: a failing exec plugin, a refused token or a missing right is
  // one line and exit 2, not a table of errors. Checked while etcd is asked (the Kubernetes
  // client's first use costs its import), and before anything is printed.
  const access = checkLeaseAccess(
    setup.conn,
    setup.target.loadBalancer,
    setup.target.leases,
    setup.target.timeoutMs,
  );
  const switches =
    opts.switches === false || !ssh
      ? undefined
      : () => gatherSwitches(ssh.remote, ssh.inventory, ssh.timeoutMs);
  const clients = new StatusClients(setup.etcdTls, setup.conn, etcdConnect(setup.etcdTransport), switches);
  try {
    if (intervalMs === undefined) {
      const gathered = gatherStatus(setup.target, clients);
      gathered.catch(() => undefined);
      await access;
      const report = await gathered;
      ctx.stdout.write(opts.json ? renderJson(report) : renderText(report));
      return exitCodeOf(report);
    }
    await access;
    return await watch(ctx, opts, setup.target, clients, intervalMs);
  } finally {
    clients.close();
    await ssh?.remote.close();
  }
}

const CLEAR = '\x1b[H\x1b[2J';

/** Refreshes until SIGINT/SIGTERM/SIGHUP; the exit code is the last completed refresh's. */
async function watch(
  ctx: Context,
  opts: StatusOptions,
  target: StatusTarget,
  clients: StatusClients,
  intervalMs: number,
): Promise<number> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  const off = STOP_SIGNALS.map((sig) => ctx.onSignal(sig, stop));
  const inPlace = ctx.stdout.isTTY && !opts.json;
  const every = `${intervalMs / 1000}s`;
  let code: number | undefined;
  try {
    while (!stopped) {
      const started = Date.now();
      const report = await gatherStatus(target, clients);
      // a refresh cut short by Ctrl-C is dropped, unless it is the only one
      if (stopped && code !== undefined) break;
      code = exitCodeOf(report);
      if (opts.json) ctx.stdout.write(renderJson(report, true));
      else {
        const header = `kha-drill status ${target.cluster} every ${every} at ${report.checkedAt}`;
        ctx.stdout.write(
          inPlace
            ? `${CLEAR}${header} (Ctrl-C to stop)\n\n${renderText(report)}`
            : `--- ${header}\n${renderText(report)}\n`,
        );
      }
      if (stopped) break;
      const wait = Math.max(0, intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setSafeTimeout(resolve, wait);
        wake = () => {
          timer.clear();
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    for (const f of off) f();
  }
  return code ?? ExitCode.NotSteady;
}
