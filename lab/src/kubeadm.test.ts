import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageRefs } from './images.js';
import {
  containerdConfig,
  hostScript,
  kubeadmNspawnArgs,
  kubeletConfig,
  kubeletUnit,
  manifests,
} from './kubeadm.js';
import { masters, type LabOptions } from './layout.js';
import { rootfsId, KUBEADM_PACKAGES, PACKAGES } from './rootfs.js';

const o: LabOptions = {
  name: 'kha',
  net: 7,
  masters: 3,
  dir: '/tmp/x',
  kubernetes: 'v1.37.2',
  etcd: 'v3.6.16',
  leaseDuration: '4s',
  renewDeadline: '3s',
  retryPeriod: '1s',
  topology: 'kubeadm',
};
const ms = masters(o);
const images = imageRefs('v1.37.2', 'v3.6.16', '3.10.2');

interface Pod {
  metadata: { name: string; namespace: string };
  spec: {
    hostNetwork: boolean;
    priorityClassName: string;
    containers: Array<{
      image: string;
      command: string[];
      livenessProbe: { httpGet: { host: string; port: number; path: string; scheme: string } };
      volumeMounts: Array<{ mountPath: string }>;
    }>;
    volumes: Array<{ hostPath: { path: string } }>;
  };
}

describe('the kubeadm topology files', () => {
  it('names the images as kubeadm pulls them', () => {
    expect(images).toEqual({
      pause: 'registry.k8s.io/pause:3.10.2',
      etcd: 'registry.k8s.io/etcd:3.6.16-0',
      'kube-apiserver': 'registry.k8s.io/kube-apiserver:v1.37.2',
      'kube-controller-manager': 'registry.k8s.io/kube-controller-manager:v1.37.2',
      'kube-scheduler': 'registry.k8s.io/kube-scheduler:v1.37.2',
    });
  });

  it('writes one hostNetwork, system-node-critical static pod per component, with the systemd topology flags', () => {
    const files = manifests(o, ms, ms[1]!, images);
    expect(Object.keys(files).sort()).toEqual([
      'etcd.yaml',
      'kube-apiserver.yaml',
      'kube-controller-manager.yaml',
      'kube-scheduler.yaml',
    ]);
    const pods = Object.fromEntries(
      Object.entries(files).map(([f, t]) => [f.replace('.yaml', ''), parse(t) as Pod]),
    );
    for (const [name, pod] of Object.entries(pods)) {
      expect(pod.metadata).toEqual({
        name,
        namespace: 'kube-system',
        labels: { component: name, tier: 'control-plane' },
      });
      expect(pod.spec.hostNetwork).toBe(true);
      expect(pod.spec.priorityClassName).toBe('system-node-critical');
      const c = pod.spec.containers[0]!;
      expect(c.command[0]).toBe(name);
      // every host path a container reads is a volume of the pod
      expect(c.volumeMounts.map((v) => v.mountPath)).toEqual(pod.spec.volumes.map((v) => v.hostPath.path));
    }
    const sched = pods['kube-scheduler']!.spec.containers[0]!;
    expect(sched.image).toBe('registry.k8s.io/kube-scheduler:v1.37.2');
    expect(sched.command).toContain('--leader-elect-lease-duration=4s');
    expect(sched.command).toContain('--kubeconfig=/etc/kubernetes/scheduler.conf');
    expect(sched.livenessProbe.httpGet).toEqual({
      host: '127.0.0.1',
      port: 10259,
      path: '/livez',
      scheme: 'HTTPS',
    });
    const etcd = pods.etcd!.spec.containers[0]!;
    expect(etcd.command).toContain('--name=master-2');
    expect(etcd.command).toContain('--listen-metrics-urls=http://127.0.0.1:2381');
    expect(pods['kube-apiserver']!.spec.containers[0]!.livenessProbe.httpGet.host).toBe('198.18.7.12');
  });

  it('configures the kubelet for static pods with cgroupfs on cgroup v1 and no image collection', () => {
    const c = parse(kubeletConfig()) as Record<string, unknown>;
    expect(c).toMatchObject({
      kind: 'KubeletConfiguration',
      staticPodPath: '/etc/kubernetes/manifests',
      cgroupDriver: 'cgroupfs',
      failCgroupV1: false,
      imageGCHighThresholdPercent: 100,
      authorization: { mode: 'Webhook' },
    });
    expect(kubeletUnit(ms[0]!)).toMatch(/--node-ip=198\.18\.7\.11$/m);
    expect(kubeletUnit(ms[0]!)).toMatch(/^Restart=always$/m);
  });

  it('points containerd at the pause image and keeps oom_score_adj at or above its own', () => {
    const t = containerdConfig(images);
    expect(t).toContain('sandbox_image = "registry.k8s.io/pause:3.10.2"');
    expect(t).toContain('restrict_oom_score_adj = true');
  });

  it('makes the cgroup controllers writable and shows the kubelet its sysctls read-only, inside the host only', () => {
    const s = hostScript();
    expect(s).toContain('mount -o remount,bind,rw "$d"');
    expect(s).toContain(
      'mount --bind -o ro /etc/kha-lab/sysctl/vm.overcommit_memory /proc/sys/vm/overcommit_memory',
    );
    // nothing writes a sysctl of the machine
    expect(s).not.toMatch(/sysctl -w|> *\/proc\/sys/);
  });

  it('adds the nspawn settings the runtime needs, and a root file system of its own', () => {
    const a = kubeadmNspawnArgs('/d/containerd', { kubelet: '/k', criTools: '/c', images: '/i' });
    expect(a).toEqual(
      expect.arrayContaining([
        '--system-call-filter=@keyring',
        '--capability=CAP_SYSLOG',
        '--bind=/dev/kmsg',
        '--bind=/d/containerd:/var/lib/containerd',
        '--bind-ro=/k:/opt/kubelet/bin',
      ]),
    );
    expect(rootfsId([...PACKAGES, ...KUBEADM_PACKAGES])).not.toBe(rootfsId());
    expect(rootfsId(PACKAGES)).toBe(rootfsId());
  });
});
