/**
 * The kubeadm topology's container images, made here without a registry: no registry is reachable
 * from the lab, so each image is an OCI image layout written by hand (one uncompressed tar layer,
 * its config, its manifest) around the same upstream binaries the systemd topology runs, and the
 * pause image around upstream's own pause.c (kubernetes build/pause/linux, compiled static as its
 * Makefile does). All images go in one OCI archive, cached per version, that each master imports
 * into containerd (`ctr -n k8s.io images import`) before its kubelet starts.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from './errors.js';
import { cachePaths, LAB_ROOT } from './layout.js';
import type { Progress } from './progress.js';

export interface ImageSpec {
  /** full reference, as the manifests name it */
  ref: string;
  /** files of the one layer: path in the image → file on this machine */
  files: Array<[string, string]>;
  entrypoint?: string[];
}

export interface ImageRefs {
  pause: string;
  etcd: string;
  'kube-apiserver': string;
  'kube-controller-manager': string;
  'kube-scheduler': string;
}

/** Names as kubeadm pulls them (etcd's tag carries kubeadm's `-0` revision). */
export function imageRefs(kubernetes: string, etcd: string, pauseTag: string): ImageRefs {
  const r = 'registry.k8s.io';
  return {
    pause: `${r}/pause:${pauseTag}`,
    etcd: `${r}/etcd:${etcd.replace(/^v/, '')}-0`,
    'kube-apiserver': `${r}/kube-apiserver:${kubernetes}`,
    'kube-controller-manager': `${r}/kube-controller-manager:${kubernetes}`,
    'kube-scheduler': `${r}/kube-scheduler:${kubernetes}`,
  };
}

const sha256File = (file: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

interface Blob {
  digest: string;
  size: number;
}

function putBlob(blobs: string, content: string): Blob {
  const digest = createHash('sha256').update(content).digest('hex');
  writeFileSync(path.join(blobs, digest), content);
  return { digest: `sha256:${digest}`, size: Buffer.byteLength(content) };
}

/** One image into the layout at `dir`; returns its manifest descriptor for index.json. */
async function writeImage(dir: string, spec: ImageSpec): Promise<Record<string, unknown>> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  const layerTmp = path.join(dir, 'layer.tar');
  // one tar, reproducible: fixed owner and time; each file lands at its path in the image
  const args = ['-cf', layerTmp, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--mode=0755'];
  for (const [inImage, onHost] of spec.files) {
    const rel = inImage.replace(/^\//, '');
    args.push(
      '-C',
      path.dirname(onHost),
      `--transform=s,^${path.basename(onHost).replace(/[.]/g, '\\.')}$,${rel},`,
      path.basename(onHost),
    );
  }
  await execa('tar', args);
  const layerDigest = await sha256File(layerTmp);
  const layerSize = Number((await execa('stat', ['-c', '%s', layerTmp])).stdout.trim());
  renameSync(layerTmp, path.join(blobs, layerDigest));
  const config = putBlob(
    blobs,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created_by: 'kha-drill lab (OCI layout written by hand)' }],
    }),
  );
  const manifest = putBlob(
    blobs,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: `sha256:${layerDigest}`,
          size: layerSize,
        },
      ],
    }),
  );
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifest,
    platform: { architecture: 'amd64', os: 'linux' },
    annotations: {
      'io.containerd.image.name': spec.ref,
      'org.opencontainers.image.ref.name': spec.ref.slice(spec.ref.lastIndexOf(':') + 1),
    },
  };
}

/** upstream pause.c from the Kubernetes module in the Go module cache, and its image tag */
async function pauseSource(kubernetes: string): Promise<{ source: string; tag: string }> {
  const mod = path.join(LAB_ROOT, 'upstream', 'kubernetes', kubernetes);
  const r = await execa('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${kubernetes}`], {
    cwd: mod,
    reject: false,
  });
  const dir = r.exitCode === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  const source = dir ? path.join(dir, 'build/pause/linux/pause.c') : '';
  if (!dir || !existsSync(source))
    throw new LabError(
      `pause.c of k8s.io/kubernetes@${kubernetes} not found in the Go module cache`,
      3,
      r.stderr,
    );
  const tag = /^TAG \?= (\S+)/m.exec(readFileSync(path.join(dir, 'build/pause/Makefile'), 'utf8'))?.[1];
  if (!tag) throw new LabError(`no TAG in ${dir}/build/pause/Makefile`, 3);
  return { source, tag };
}

/**
 * The OCI archive with every image of one Kubernetes and etcd version, made once and cached
 * (`~/.cache/kha-drill/images/<kubernetes>-etcd-<etcd>/images.tar`); its image references.
 */
export async function ensureImages(
  bins: { kubernetes: string; kubernetesVersion: string; etcd: string; etcdVersion: string },
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ archive: string; refs: ImageRefs }> {
  const dir = path.join(cachePaths(env).root, 'images', `${bins.kubernetesVersion}-etcd-${bins.etcdVersion}`);
  const archive = path.join(dir, 'images.tar');
  const record = path.join(dir, 'IMAGES.json');
  if (existsSync(archive) && existsSync(record)) {
    const refs = JSON.parse(readFileSync(record, 'utf8')) as ImageRefs;
    progress.line(`container images: cached in ${archive}`);
    return { archive, refs };
  }
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const layout = path.join(tmp, 'layout');
  mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  try {
    const { source, tag } = await pauseSource(bins.kubernetesVersion);
    const pause = path.join(tmp, 'pause');
    // as build/pause/Makefile compiles it
    const cc = await execa(
      'gcc',
      ['-Os', '-Wall', '-Werror', '-static', `-DVERSION=v${tag}-kha-drill`, '-o', pause, source],
      {
        reject: false,
        all: true,
      },
    );
    if (cc.exitCode !== 0)
      throw new LabError(
        `gcc -static of upstream pause.c failed (apt-get install -y gcc libc6-dev)`,
        3,
        cc.all,
      );
    const refs = imageRefs(bins.kubernetesVersion, bins.etcdVersion, tag);
    const kube = (c: string): ImageSpec => ({
      ref: refs[c as keyof ImageRefs],
      files: [[`/usr/local/bin/${c}`, path.join(bins.kubernetes, c)]],
    });
    const specs: ImageSpec[] = [
      { ref: refs.pause, files: [['/pause', pause]], entrypoint: ['/pause'] },
      {
        ref: refs.etcd,
        files: [
          ['/usr/local/bin/etcd', path.join(bins.etcd, 'etcd')],
          ['/usr/local/bin/etcdctl', path.join(bins.etcd, 'etcdctl')],
        ],
      },
      kube('kube-apiserver'),
      kube('kube-controller-manager'),
      kube('kube-scheduler'),
    ];
    const manifests = [];
    for (const s of specs) manifests.push(await writeImage(layout, s));
    writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
    await execa('tar', ['-cf', path.join(tmp, 'images.tar'), '-C', layout, '.']);
    rmSync(layout, { recursive: true, force: true });
    rmSync(pause, { force: true });
    writeFileSync(path.join(tmp, 'IMAGES.json'), JSON.stringify(refs, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(tmp, dir);
    progress.line(
      `container images made in ${((performance.now() - t0) / 1000).toFixed(0)}s (OCI layout, no registry): ${Object.values(refs).join(', ')}`,
    );
    return { archive, refs };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
