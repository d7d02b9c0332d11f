/** `kha-lab up|down|status|env|exec` (the user's door is `kha-drill lab …`, which runs this). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ensureBuilt, supported } from './build.js';
import { labDown } from './down.js';
import { ensureRootfs } from './rootfs.js';
import { LabError } from './errors.js';
import { labEnv, labPath } from './files.js';
import {
  DEFAULT_ETCD,
  DEFAULT_KUBERNETES,
  ETCD_VERSIONS,
  KUBERNETES_VERSIONS,
  labPaths,
  LAPTOP_NETNS,
  type LabOptions,
} from './layout.js';
import { laptopArgv } from './laptop.js';
import { dropLaptopIfUnused, ensureLaptop } from './net.js';
import { streamProgress } from './progress.js';
import { readState } from './state.js';
import { formatStatus, labStatus } from './status.js';
import { labUp, prepareKubeadm } from './up.js';

const dirOption = (): Option =>
  new Option('--dir <dir>', 'lab directory (default: KHA_LAB_DIR, else .kha-lab in the current directory)');
const labDir = (flag: string | undefined): string =>
  path.resolve(flag ?? process.env.KHA_LAB_DIR ?? '.kha-lab');

function integer(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new LabError(`${flag} must be a whole number, got ${value}`, 2);
  return Number(value);
}

interface UpFlags {
  name: string;
  net: string;
  masters: string;
  dir?: string;
  kubernetes?: string;
  kubernetesBin?: string;
  etcd: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  leaderElectionVerbosity?: string;
  topology: string;
  peerNet?: boolean;
  etcdAuth?: boolean;
}

async function run(argv: string[]): Promise<number> {
  const progress = streamProgress(process.stdout);
  let code = 0;
  const program = new Command('kha-drill lab')
    .description('the local lab: a real HA control plane (upstream Kubernetes, etcd, systemd hosts, HAProxy)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('up')
    .description(
      'start a lab: N systemd hosts (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, sshd) behind HAProxy',
    )
    .option(
      '--name <name>',
      'lab name: prefixes its namespaces and machines (another lab beside it needs another)',
      'kha',
    )
    .option('--net <n>', "the lab's subnet 198.18.<n>.0/24 (another lab beside it needs another)", '1')
    .option('--masters <n>', 'number of masters', '3')
    .addOption(dirOption())
    .option(
      '--kubernetes <version>',
      `Kubernetes version to build and run (${KUBERNETES_VERSIONS.join(', ')}; default ${DEFAULT_KUBERNETES})`,
    )
    .option(
      '--kubernetes-bin <dir>',
      'official release binaries instead (the kubernetes/server/bin folder of a server tarball)',
    )
    .option(
      '--etcd <version>',
      `etcd: ${ETCD_VERSIONS.join(' or ')} (Debian's etcd-server, 3.4)`,
      DEFAULT_ETCD,
    )
    .option(
      '--lease-duration <d>',
      "leader election lease duration (the components' --leader-elect-lease-duration)",
      '15s',
    )
    .option('--renew-deadline <d>', 'leader election renew deadline', '10s')
    .option('--retry-period <d>', 'leader election retry period', '2s')
    .option(
      '--leader-election-verbosity <n>',
      "klog verbosity of client-go's leader election in kube-scheduler and kube-controller-manager (--vmodule=leaderelection=<n>; 5 logs every renewal)",
    )
    .option(
      '--topology <t>',
      'systemd (the components as systemd units) or kubeadm (the real kubelet with containerd runs them as static pods)',
      'systemd',
    )
    .option(
      '--peer-net',
      "a separate peer network for etcd's peer traffic and the API servers' advertise address (198.18.240.0/20, one /28 per --net); SSH and client ports stay on the lab's subnet",
    )
    .option(
      '--etcd-auth',
      "etcd auth on (every component's certificate an etcd user with role root) and kha-drill as least-privileged users: etcd user kha-drill with readwrite on /kha-drill/probe/ only, Kubernetes user kha-drill that may only read Leases; the inventory uses them",
    )
    .action(async (f: UpFlags) => {
      const o: LabOptions = {
        name: f.name,
        net: integer('--net', f.net),
        masters: integer('--masters', f.masters),
        dir: labDir(f.dir),
        kubernetes: f.kubernetes ?? (f.kubernetesBin ? '' : DEFAULT_KUBERNETES),
        kubernetesBin: f.kubernetesBin,
        etcd: f.etcd,
        leaseDuration: f.leaseDuration,
        renewDeadline: f.renewDeadline,
        retryPeriod: f.retryPeriod,
        leaderElectionVerbosity:
          f.leaderElectionVerbosity === undefined
            ? undefined
            : integer('--leader-election-verbosity', f.leaderElectionVerbosity),
        ...(f.topology === 'systemd' ? {} : { topology: f.topology as 'kubeadm' }),
        ...(f.peerNet ? { peerNet: true } : {}),
        ...(f.etcdAuth ? { etcdAuth: true } : {}),
      };
      const { state, readyAfterMs } = await labUp(o, progress);
      const p = labPaths(o.dir);
      const b = state.binaries;
      process.stdout.write(
        [
          `lab ${o.name} ready in ${(readyAfterMs / 1000).toFixed(1)}s: ${o.masters} masters, Kubernetes ${b?.kubernetesVersion}, etcd ${b?.etcdVersion}`,
          `  inventory  ${p.inventory}`,
          `  kubeconfig ${p.kubeconfig}`,
          ...(o.etcdAuth
            ? [`  kubeconfig ${p.khaDrillKubeconfig} (kha-drill: Leases only; the inventory uses it)`]
            : []),
          `The lab is reachable only from the laptop namespace ${LAPTOP_NETNS}; run things there with kha-drill lab exec, e.g.`,
          `  kha-drill lab exec --dir ${o.dir} -- kubectl get lease -n kube-system`,
          `  kha-drill lab exec --dir ${o.dir} -- kha-drill run scheduler-failover -i ${p.inventory}`,
          '',
        ].join('\n'),
      );
    });

  program
    .command('prepare')
    .description(
      'build or find what lab up needs (the upstream binaries, the root file system), start nothing',
    )
    .option(
      '--all',
      'every Kubernetes version the lab builds, not only the default, and the kubeadm topology (kubelet, crictl, images, its root file system)',
    )
    .action(async (f: { all?: boolean }) => {
      for (const v of f.all ? supported('kubernetes') : [DEFAULT_KUBERNETES])
        await ensureBuilt('kubernetes', v, progress);
      const etcd = await ensureBuilt('etcd', DEFAULT_ETCD, progress);
      await ensureRootfs(progress);
      if (f.all) {
        const kubernetes = await ensureBuilt('kubernetes', DEFAULT_KUBERNETES, progress);
        await prepareKubeadm(
          { kubernetes, kubernetesVersion: DEFAULT_KUBERNETES, etcd, etcdVersion: DEFAULT_ETCD },
          progress,
        );
      }
    });

  program
    .command('down')
    .description('stop the lab and remove everything it made (hosts, mounts, namespaces)')
    .addOption(dirOption())
    .option('--purge', 'also delete the lab directory')
    .action(async (f: { dir?: string; purge?: boolean }) => {
      const dir = labDir(f.dir);
      const r = await labDown(dir, progress, { purge: Boolean(f.purge) });
      if (r.left.length > 0) {
        process.stderr.write(`lab down left: ${r.left.join('; ')}\n`);
        code = 4;
      } else {
        process.stdout.write(
          r.stopped.length > 0
            ? `lab down: nothing left of the lab in ${dir}\n`
            : `no lab running in ${dir}\n`,
        );
      }
    });

  program
    .command('status')
    .description('hosts, units, Leases and etcd of a running lab')
    .addOption(dirOption())
    .option('--json', 'machine-readable')
    .action(async (f: { dir?: string; json?: boolean }) => {
      const state = readState(labDir(f.dir));
      if (!state) throw new LabError(`no lab in ${labDir(f.dir)} (no lab.json)`, 2);
      const s = await labStatus(state);
      process.stdout.write(f.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
      if (!s.healthy) code = 1;
    });

  program
    .command('env')
    .description(
      "print the lab's KUBECONFIG, KHA_INVENTORY and ETCDCTL_* for a shell in the laptop namespace",
    )
    .addOption(dirOption())
    .action((f: { dir?: string }) => {
      const state = readState(labDir(f.dir));
      if (!state) throw new LabError(`no lab in ${labDir(f.dir)} (no lab.json)`, 2);
      const env = { ...labEnv(state), PATH: labPath(state, '$PATH') };
      process.stdout.write(
        `# for a shell on the laptop side: nsenter --net=/run/netns/${LAPTOP_NETNS} $SHELL\n`,
      );
      process.stdout.write(
        Object.entries(env)
          .map(([k, v]) => `export ${k}=${v}`)
          .join('\n') + '\n',
      );
    });

  program
    .command('exec')
    .description("run a command on the laptop side (the kha-laptop namespace) with the lab's environment")
    .addOption(dirOption())
    .argument('<command...>')
    .allowUnknownOption()
    .action(async (command: string[], f: { dir?: string }) => {
      code = await execOnLaptop(command, labDir(f.dir));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}

async function execOnLaptop(command: string[], dir: string): Promise<number> {
  await ensureLaptop();
  const state = readState(dir);
  const env = { ...process.env, ...(state ? labEnv(state) : {}) };
  if (state) env.PATH = labPath(state, process.env.PATH ?? '/usr/bin:/bin');
  const [cmd, ...args] = laptopArgv(command) as [string, ...string[]];
  const child = spawn(cmd, args, { stdio: 'inherit', env });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const code = await new Promise<number>((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`lab exec: ${e.message}\n`);
      resolve(127);
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + (signalNumber(sig) ?? 1) : 1)));
  });
  for (const [s, h] of handlers) process.off(s, h);
  await dropLaptopIfUnused();
  return code;
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig];
}

export async function main(argv: string[]): Promise<number> {
  // a closed stderr (`lab up 2>&1 | head`) drops messages instead of crashing the command
  process.stderr.on('error', () => {});
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof LabError) {
      process.stderr.write(`kha-drill lab: ${err.message}\n`);
      if (err.details) process.stderr.write(err.details.replace(/^/gm, '  ') + '\n');
      return err.exitCode;
    }
    process.stderr.write(
      `kha-drill lab: internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 4;
  }
}
