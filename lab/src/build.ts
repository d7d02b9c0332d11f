/**
 * The upstream binaries the lab runs, built once per machine from the Go module proxy and cached
 * by version (`~/.cache/kha-drill/kubernetes/<version>/`, `…/etcd/<version>/`).
 *
 * Kubernetes cannot be `go install`ed (k/k's go.mod replaces its staging modules with local
 * paths), so each pinned version has a small module of ours under lab/upstream/ that requires
 * k8s.io/kubernetes and maps every staging module to its v0.Y.Z; its go.sum is committed. The
 * binaries are stamped through -ldflags as the upstream build stamps them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from './errors.js';
import { cachePaths, LAB_ROOT } from './layout.js';
import type { Progress } from './progress.js';

export const KUBERNETES_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
export const ETCD_BINARIES = ['etcd', 'etcdctl'];
/** The kubeadm topology only: the kubelet (from the Kubernetes module) and crictl (cri-tools). */
export const KUBELET_BINARIES = ['kubelet'];
export const CRI_TOOLS_BINARIES = ['crictl'];
/** cri-tools follows Kubernetes' minor versions; the one the kubeadm hosts carry */
export const CRI_TOOLS_VERSION = 'v1.37.0';

export type BuildKind = 'kubernetes' | 'etcd' | 'kubelet' | 'cri-tools';

interface BuildRecord {
  version: string;
  binaries: string[];
  seconds: number;
  go: string;
  builtAt: string;
}

// the kubelet is built from the same module as the other Kubernetes binaries
const moduleDir = (kind: BuildKind, version: string): string =>
  path.join(LAB_ROOT, 'upstream', kind === 'kubelet' ? 'kubernetes' : kind, version);

export function supported(kind: Exclude<BuildKind, 'kubelet'>): string[] {
  const dir = path.join(LAB_ROOT, 'upstream', kind);
  return existsSync(dir) ? readdirSync(dir).filter((v) => existsSync(path.join(dir, v, 'go.mod'))) : [];
}

function cached(dir: string, binaries: string[]): BuildRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(path.join(dir, 'BUILD.json'), 'utf8')) as BuildRecord;
    return binaries.every((b) => existsSync(path.join(dir, b))) ? rec : undefined;
  } catch {
    return undefined;
  }
}

function ldflags(kind: BuildKind, version: string): string {
  if (kind === 'etcd') return '-s -w';
  if (kind === 'cri-tools') return `-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${version}`;
  const [major, minor] = version.replace(/^v/, '').split('.');
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=${date}`,
    );
  }
  return flags.join(' ');
}

const BUILDS: Record<BuildKind, { binaries: string[]; packages: Array<[string, string]> }> = {
  kubernetes: {
    binaries: KUBERNETES_BINARIES,
    packages: KUBERNETES_BINARIES.map((b) => [b, `k8s.io/kubernetes/cmd/${b}`]),
  },
  etcd: {
    binaries: ETCD_BINARIES,
    packages: [
      ['etcd', 'go.etcd.io/etcd/server/v3'],
      ['etcdctl', 'go.etcd.io/etcd/etcdctl/v3'],
    ],
  },
  kubelet: { binaries: KUBELET_BINARIES, packages: [['kubelet', 'k8s.io/kubernetes/cmd/kubelet']] },
  'cri-tools': { binaries: CRI_TOOLS_BINARIES, packages: [['crictl', 'sigs.k8s.io/cri-tools/cmd/crictl']] },
};

/**
 * The folder holding the binaries of `kind` at `version`, built first if the cache lacks them.
 * A build goes to a temporary folder that is renamed into place when complete, so a killed
 * build never leaves a half cache.
 */
export async function ensureBuilt(
  kind: BuildKind,
  version: string,
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const cache = cachePaths(env);
  const dir = path.join(cache.root, kind, version);
  const { binaries } = BUILDS[kind];
  const hit = cached(dir, binaries);
  if (hit) {
    progress.line(
      `${kind} ${version}: cached in ${dir} (built in ${hit.seconds.toFixed(0)}s on ${hit.builtAt.slice(0, 10)})`,
    );
    return dir;
  }
  const mod = moduleDir(kind, version);
  if (!existsSync(path.join(mod, 'go.mod'))) {
    throw new LabError(
      `no build module for ${kind} ${version} (supported: ${supported(kind === 'kubelet' ? 'kubernetes' : kind).join(', ') || 'none'})`,
      2,
    );
  }
  const go = await execa('go', ['version'], { reject: false });
  if (go.exitCode !== 0) {
    throw new LabError(
      `building ${kind} ${version} needs Go (go not found); install Go ≥ 1.26, or pass --kubernetes-bin with release binaries`,
      3,
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  const stop = progress.ticker(
    `building ${kind} ${version} from the Go module proxy (once per machine; cached in ${dir})`,
  );
  try {
    const pkgs = BUILDS[kind].packages;
    const result = await execa(
      'go',
      ['build', '-trimpath', '-ldflags', ldflags(kind, version), '-o', `${tmp}/`, ...pkgs.map(([, p]) => p)],
      { cwd: mod, env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' }, all: true, reject: false },
    );
    if (result.exitCode !== 0) {
      const tail = (result.all ?? '').split('\n').slice(-15).join('\n');
      throw new LabError(`go build of ${kind} ${version} failed (exit ${result.exitCode}):\n${tail}`, 3);
    }
    // go build names each binary after its package's last path element
    for (const [name, pkg] of pkgs) {
      const built = path.join(tmp, path.basename(pkg.replace(/\/v\d+$/, '')));
      if (built !== path.join(tmp, name)) renameSync(built, path.join(tmp, name));
    }
    const seconds = (performance.now() - t0) / 1000;
    const record: BuildRecord = {
      version,
      binaries,
      seconds,
      go: go.stdout.trim(),
      builtAt: new Date().toISOString(),
    };
    writeFileSync(path.join(tmp, 'BUILD.json'), JSON.stringify(record, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(tmp, dir);
    stop(`built ${kind} ${version} in ${seconds.toFixed(0)}s`);
    return dir;
  } catch (err) {
    stop();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
