/**
 * `lab up`: check the machine, build or find the upstream binaries and the root file system,
 * make keys and certificates, the network, one booted systemd host per master and the load
 * balancer, then wait until everything answers from the laptop side. Any failure takes down
 * everything that was started and names what failed.
 */
import {
  copyFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
  accessSync,
  constants,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CRI_TOOLS_VERSION, ensureBuilt, ETCD_BINARIES, KUBERNETES_BINARIES, supported } from './build.js';
import { labDown } from './down.js';
import { LabError } from './errors.js';
import { enableEtcdAuth } from './etcd-auth.js';
import { inventoryYaml, khaDrillKubeconfig, labEnv, laptopKubeconfig } from './files.js';
import { haproxyConfig } from './haproxy.js';
import { isMasterProcess, mountOverlay, startMaster, writeMasterFiles, type MasterBinaries } from './host.js';
import { ensureImages, type ImageRefs } from './images.js';
import { TOPOLOGIES, writeKubeadmFiles } from './kubeadm.js';
import {
  cachePaths,
  ETCD_VERSIONS,
  labPaths,
  laptop,
  loadBalancer,
  masters as labMasters,
  PEER_BLOCK_FIRST_NET,
  peerSubnet,
  peerSwitchNetns,
  subnet,
  switchNetns,
  type LabOptions,
} from './layout.js';
import { inNetns } from './laptop.js';
import { addNetns, addSwitch, ensureLaptop, laptopAddresses, netnsExists, plug, plugPeer } from './net.js';
import { makePki } from './pki.js';
import { isAlive, spawnDetached } from './proc.js';
import type { Progress } from './progress.js';
import { waitReady } from './ready.js';
import { waitKubeadmReady } from './ready-kubeadm.js';
import { ensureRootfs, KUBEADM_PACKAGES, PACKAGES } from './rootfs.js';
import { readState, writeState, type LabState } from './state.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
function seconds(d: string): number {
  const m = DURATION.exec(d);
  if (!m) throw new LabError(`not a duration: ${d} (e.g. 15s, 500ms, 1m)`, 2);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

export function validateOptions(o: LabOptions): void {
  if (!/^[a-z][a-z0-9]{0,7}$/.test(o.name)) {
    throw new LabError(
      `--name must be 1-8 lower-case letters or digits, starting with a letter (got ${JSON.stringify(o.name)})`,
      2,
    );
  }
  if (!Number.isInteger(o.net) || o.net < 1 || o.net >= PEER_BLOCK_FIRST_NET)
    throw new LabError(
      `--net must be 1 to ${PEER_BLOCK_FIRST_NET - 1} (the lab's subnet 198.18.<net>.0/24; 198.18.${PEER_BLOCK_FIRST_NET}.0/20 holds the labs' peer networks), got ${o.net}`,
      2,
    );
  if (!Number.isInteger(o.masters) || o.masters < 1 || o.masters > 9)
    throw new LabError(`--masters must be 1 to 9, got ${o.masters}`, 2);
  const [lease, renew, retry] = [o.leaseDuration, o.renewDeadline, o.retryPeriod].map(seconds) as [
    number,
    number,
    number,
  ];
  if (!(lease > renew && renew > 1.2 * retry)) {
    throw new LabError(
      `leader election needs lease-duration > renew-deadline > 1.2 × retry-period (got ${o.leaseDuration} / ${o.renewDeadline} / ${o.retryPeriod})`,
      2,
    );
  }
  if (!o.kubernetesBin && !supported('kubernetes').includes(o.kubernetes)) {
    throw new LabError(
      `--kubernetes ${o.kubernetes} is not one the lab builds (${supported('kubernetes').join(', ')}); or pass --kubernetes-bin DIR with release binaries`,
      2,
    );
  }
  if (!(ETCD_VERSIONS as readonly string[]).includes(o.etcd))
    throw new LabError(`--etcd must be one of ${ETCD_VERSIONS.join(', ')}, got ${o.etcd}`, 2);
  const topology = o.topology ?? 'systemd';
  if (!(TOPOLOGIES as readonly string[]).includes(topology))
    throw new LabError(`--topology must be one of ${TOPOLOGIES.join(', ')}, got ${topology}`, 2);
  if (o.peerNet && topology === 'kubeadm')
    throw new LabError(
      '--peer-net is built for --topology systemd only (the static pods do not take it yet)',
      2,
    );
  if (o.etcdAuth && topology === 'kubeadm')
    throw new LabError(
      '--etcd-auth is built and tested for the systemd topology only; drop --topology kubeadm',
      2,
    );
  if (topology === 'kubeadm') {
    // its images hold our builds: a kubelet of the same version, and etcd as a static binary
    if (o.kubernetesBin || o.kubernetes !== 'v1.37.2')
      throw new LabError(
        '--topology kubeadm runs Kubernetes v1.37.2 built here (the kubelet is built only for it); drop --kubernetes/--kubernetes-bin',
        2,
      );
    if (o.etcd === 'debian')
      throw new LabError(
        "--topology kubeadm needs etcd built here (--etcd v3.6.16): Debian's etcd is not a static binary for an image",
        2,
      );
  }
}

const TOOLS: Array<[string, string]> = [
  ['systemd-nspawn', 'systemd-container'],
  ['debootstrap', 'debootstrap'],
  ['ip', 'iproute2'],
  ['haproxy', 'haproxy'],
  ['openssl', 'openssl'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['mount', 'mount'],
];

function which(cmd: string, envPath: string): string | undefined {
  for (const d of `${envPath}:/usr/local/sbin:/usr/sbin:/sbin`.split(':').filter(Boolean)) {
    try {
      accessSync(path.join(d, cmd), constants.X_OK);
      return path.join(d, cmd);
    } catch {
      // not here
    }
  }
  return undefined;
}

export function checkMachine(o: LabOptions, env: NodeJS.ProcessEnv): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'lab up needs root (network namespaces, mounts, systemd-nspawn): run it as root, e.g. with sudo; nothing was started',
      3,
    );
  }
  const missing = TOOLS.filter(([cmd]) => !which(cmd, env.PATH ?? ''));
  if (o.etcd === 'debian' && !which('etcd', env.PATH ?? '')) missing.push(['etcd', 'etcd-server']);
  if (o.etcd === 'debian' && !which('etcdctl', env.PATH ?? '')) missing.push(['etcdctl', 'etcd-client']);
  // the kubeadm topology compiles upstream's pause.c (static, as its Makefile does)
  if (o.topology === 'kubeadm' && !which('gcc', env.PATH ?? '')) missing.push(['gcc', 'gcc libc6-dev']);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    throw new LabError(
      `lab up needs ${missing.map(([c]) => c).join(', ')}: apt-get install -y ${pkgs}; nothing was started`,
      3,
    );
  }
}

/** Release binaries given with --kubernetes-bin: every one present, and the version they say. */
async function releaseBinaries(dir: string, expected: string | undefined): Promise<string> {
  const missing = KUBERNETES_BINARIES.filter((b) => !existsSync(path.join(dir, b)));
  if (missing.length > 0) {
    throw new LabError(
      `--kubernetes-bin ${dir} lacks ${missing.join(', ')} (give the kubernetes/server/bin folder of a server release); nothing was started`,
      2,
    );
  }
  const versions = await Promise.all(
    KUBERNETES_BINARIES.map(async (b) => {
      const r = await execa(path.join(dir, b), b === 'kubectl' ? ['version', '--client'] : ['--version'], {
        reject: false,
      });
      return /v\d+\.\d+\.\d+\S*/.exec(r.stdout)?.[0];
    }),
  );
  const first = versions[0];
  if (!first || versions.some((v) => v !== first)) {
    throw new LabError(
      `--kubernetes-bin ${dir}: the binaries report different or no versions (${KUBERNETES_BINARIES.map((b, i) => `${b} ${versions[i] ?? '?'}`).join(', ')}); nothing was started`,
      2,
    );
  }
  if (expected && first !== expected) {
    throw new LabError(
      `--kubernetes-bin ${dir} holds ${first}, not the --kubernetes ${expected} asked for; nothing was started`,
      2,
    );
  }
  return first;
}

/** Debian's etcd 3.4, copied into the cache so it can be bind-mounted like our builds. */
async function debianEtcd(env: NodeJS.ProcessEnv): Promise<{ dir: string; version: string }> {
  const r = await execa(which('etcd', env.PATH ?? '') as string, ['--version'], { reject: false });
  const version = /etcd Version: (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
  const dir = path.join(cachePaths(env).etcd(`debian-${version}`));
  mkdirSync(dir, { recursive: true });
  for (const b of ETCD_BINARIES) copyFileSync(which(b, env.PATH ?? '') as string, path.join(dir, b));
  return { dir, version: `${version} (Debian)` };
}

async function keygen(file: string, comment: string): Promise<string> {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    stdin: 'ignore',
  });
  chmodSync(file, 0o600);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Something of this lab still running or mounted: `lab up` refuses. */
async function refuseRunning(o: LabOptions): Promise<void> {
  const prior = readState(o.dir);
  const alive = prior
    ? Object.entries(prior.pids)
        .filter(([, pid]) => isAlive(pid))
        .map(([h]) => h)
    : [];
  if (alive.length > 0 || netnsExists(switchNetns(o.name))) {
    throw new LabError(
      `a lab named ${o.name} is already up${alive.length > 0 ? ` in ${o.dir} (${alive.join(', ')})` : ''}`,
      2,
      `kha-drill lab status --dir ${o.dir}, or kha-drill lab down --dir ${o.dir} first; another lab beside it needs its own --name and --net`,
    );
  }
  const prefix = `198.18.${o.net}.`;
  const taken = (await laptopAddresses()).find((a) => a.address.startsWith(prefix));
  if (taken)
    throw new LabError(`subnet ${subnet(o.net)} is taken by lab ${taken.dev}: pick another --net`, 2);
}

/**
 * What the kubeadm topology adds, built or found (and cached): its root file system (with
 * containerd, runc and the CNI plugins), the kubelet, crictl and the images. `lab prepare --all`
 * runs it too.
 */
export async function prepareKubeadm(
  k: { kubernetes: string; kubernetesVersion: string; etcd: string; etcdVersion: string },
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ rootfs: string; refs: ImageRefs; bins: NonNullable<MasterBinaries['kubeadm']> }> {
  const rootfs = await ensureRootfs(progress, env, [...PACKAGES, ...KUBEADM_PACKAGES]);
  const images = await ensureImages(k, progress, env);
  return {
    rootfs,
    refs: images.refs,
    bins: {
      kubelet: await ensureBuilt('kubelet', k.kubernetesVersion, progress, env),
      criTools: await ensureBuilt('cri-tools', CRI_TOOLS_VERSION, progress, env),
      images: path.dirname(images.archive),
    },
  };
}

export interface UpResult {
  state: LabState;
  readyAfterMs: number;
}

export async function labUp(
  o: LabOptions,
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<UpResult> {
  const t0 = performance.now();
  validateOptions(o);
  checkMachine(o, env);
  await refuseRunning(o);

  // the long first-time steps, before anything is started
  const kubernetes = o.kubernetesBin
    ? {
        dir: path.resolve(o.kubernetesBin),
        version: await releaseBinaries(path.resolve(o.kubernetesBin), o.kubernetes || undefined),
      }
    : { dir: await ensureBuilt('kubernetes', o.kubernetes, progress, env), version: o.kubernetes };
  const etcd =
    o.etcd === 'debian'
      ? await debianEtcd(env)
      : { dir: await ensureBuilt('etcd', o.etcd, progress, env), version: o.etcd };
  const kubeadm = o.topology === 'kubeadm';
  const bins: MasterBinaries = { kubernetes: kubernetes.dir, etcd: etcd.dir };
  let images: ImageRefs | undefined;
  let rootfs: string;
  if (kubeadm) {
    const k = await prepareKubeadm(
      {
        kubernetes: kubernetes.dir,
        kubernetesVersion: kubernetes.version,
        etcd: etcd.dir,
        etcdVersion: etcd.version,
      },
      progress,
      env,
    );
    ({ rootfs, refs: images } = k);
    bins.kubeadm = k.bins;
  } else {
    rootfs = await ensureRootfs(progress, env);
  }

  const p = labPaths(o.dir);
  mkdirSync(o.dir, { recursive: true });
  for (const f of [
    p.state,
    p.inventory,
    p.kubeconfig,
    p.khaDrillKubeconfig,
    p.env,
    p.pki,
    p.ssh,
    p.hosts,
    p.haproxyConfig,
    p.haproxyLog,
  ]) {
    rmSync(f, { recursive: true, force: true });
  }
  const ms = labMasters(o);
  const state: LabState = {
    version: 2,
    options: o,
    masters: ms,
    lb: loadBalancer(o),
    laptop: laptop(o),
    switchNetns: switchNetns(o.name),
    ...(o.peerNet ? { peerNet: { subnet: peerSubnet(o.net), switchNetns: peerSwitchNetns(o.name) } } : {}),
    netns: [],
    mounts: [],
    pids: {},
    binaries: {
      kubernetes: kubernetes.dir,
      kubernetesVersion: kubernetes.version,
      etcd: etcd.dir,
      etcdVersion: etcd.version,
    },
    createdAt: new Date().toISOString(),
  };
  writeState(state);
  try {
    mkdirSync(p.ssh, { recursive: true, mode: 0o700 });
    const clientKey = await keygen(p.clientKey, `kha-drill-lab-${o.name}`);
    const known: string[] = [];
    for (const m of ms) {
      const pub = await keygen(p.hostKey(m.name), `${m.name}@${o.name}`);
      known.push(`${m.address} ${pub.split(' ').slice(0, 2).join(' ')}`);
    }
    writeFileSync(p.knownHosts, known.join('\n') + '\n');
    const pki = await makePki(p.pki, ms, state.lb, { kubelets: kubeadm, khaDrill: o.etcdAuth === true });
    progress.line(
      `keys and certificates in ${o.dir} (lab CA, etcd, API servers, components, admin, service accounts)`,
    );

    state.netns = [
      state.switchNetns,
      ...(state.peerNet ? [state.peerNet.switchNetns] : []),
      state.lb.netns,
      ...ms.map((m) => m.netns),
    ];
    writeState(state);
    await addSwitch(state.switchNetns);
    await ensureLaptop();
    await plug(state.laptop, state.switchNetns, o.name);
    for (const h of [state.lb, ...ms]) {
      await addNetns(h.netns);
      await plug(h, state.switchNetns, o.name);
    }
    progress.line(
      `network ${subnet(o.net)}: laptop ${state.laptop.address} (namespace ${state.laptop.netns}), load balancer ${state.lb.address}, masters ${ms.map((m) => m.address).join(', ')}; no route leaves it`,
    );
    if (state.peerNet) {
      await addSwitch(state.peerNet.switchNetns);
      for (const m of ms) await plugPeer(m, state.peerNet.switchNetns);
      progress.line(
        `peer network ${state.peerNet.subnet} (etcd peers, API servers' advertise address): masters ${ms.map((m) => m.peerAddress).join(', ')}; the laptop has no leg on it`,
      );
    }

    for (const m of ms) {
      const root = p.root(m.name);
      state.mounts.push(root);
      writeState(state);
      await mountOverlay(rootfs, o.dir, m.name);
      writeMasterFiles(o, ms, m, root, { authorizedKey: clientKey, hostKey: p.hostKey(m.name), pki });
      if (images) writeKubeadmFiles(o, ms, m, root, pki, images);
      state.pids[m.name] = startMaster(o, m, root, bins);
      writeState(state);
    }
    progress.line(`booting ${ms.length} systemd hosts (systemd-nspawn): ${ms.map((m) => m.name).join(', ')}`);

    writeFileSync(p.haproxyConfig, haproxyConfig(state.lb, ms));
    const fd = openSync(p.haproxyLog, 'a');
    try {
      state.pids.haproxy = spawnDetached(
        inNetns(state.lb.netns, ['haproxy', '-db', '-f', p.haproxyConfig]),
        fd,
      );
    } finally {
      closeSync(fd);
    }
    writeState(state);

    writeFileSync(p.kubeconfig, laptopKubeconfig(state), { mode: 0o600 });
    if (o.etcdAuth) writeFileSync(p.khaDrillKubeconfig, khaDrillKubeconfig(state), { mode: 0o600 });
    writeFileSync(p.inventory, inventoryYaml(state));
    writeFileSync(
      p.env,
      Object.entries(labEnv(state))
        .map(([k, v]) => `export ${k}=${v}`)
        .join('\n') + '\n',
    );

    for (const m of ms) {
      const pid = state.pids[m.name] as number;
      if (!isAlive(pid) || !isMasterProcess(pid, o, m)) {
        throw new LabError(
          `${m.name}: systemd-nspawn exited at once`,
          4,
          readFileSync(p.console(m.name), 'utf8').split('\n').slice(-15).join('\n'),
        );
      }
    }
    await (kubeadm ? waitKubeadmReady(state, progress) : waitReady(state, progress));
    if (o.etcdAuth) await enableEtcdAuth(state, progress);
    const readyAfterMs = performance.now() - t0;
    state.readyAt = new Date().toISOString();
    state.readyAfterMs = Math.round(readyAfterMs);
    writeState(state);
    return { state, readyAfterMs };
  } catch (err) {
    progress.line('lab up failed: taking down what was started');
    await labDown(o.dir, progress).catch(() => undefined);
    throw err;
  }
}
