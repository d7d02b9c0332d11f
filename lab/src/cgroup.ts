/**
 * A cgroup of its own for each master's container. Without a host systemd, nspawn --keep-unit
 * keeps the container in the caller's cgroup, so every master's systemd would build its units'
 * cgroups in the same tree: `systemctl kill` then reaches other masters' processes (invisible,
 * pid 0) and fails with "Input/output error". Made before the container starts, removed after.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/** The writable hierarchies systemd uses: cgroup2 (root or `unified`) and v1 `name=systemd`. */
export function hierarchies(): string[] {
  const root = '/sys/fs/cgroup';
  if (existsSync(`${root}/cgroup.procs`)) return [root];
  return [`${root}/unified`, `${root}/systemd`].filter((d) => existsSync(`${d}/cgroup.procs`));
}

export function cgroupDirs(machine: string): string[] {
  return hierarchies().map((h) => path.join(h, `kha-drill-lab`, machine));
}

/** The machine's cgroup v1 controller hierarchies (cpu, memory, …), from /proc/self/mounts. */
export function controllerHierarchies(): string[] {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  return mounts
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup' && !(f[3] ?? '').includes('name=systemd'))
    .map((f) => f[1] as string);
}

/**
 * The kubeadm topology's masters also get a cgroup of their own in each v1 controller hierarchy:
 * inside, the container's cgroup namespace starts there, and its kubelet and runc make their pods'
 * cgroups below it, apart from the other masters'. A new cpuset cgroup needs its cpus and mems.
 */
export function controllerDirs(machine: string): string[] {
  return controllerHierarchies().map((h) => path.join(h, 'kha-drill-lab', machine));
}

export function makeControllerCgroups(machine: string): string[] {
  const dirs = controllerDirs(machine);
  for (const d of dirs) {
    mkdirSync(d, { recursive: true });
    if (existsSync(path.join(d, 'cpuset.cpus'))) {
      for (const dir of [path.dirname(d), d]) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (readFileSync(path.join(dir, f), 'utf8').trim() === '') {
            const parent = readFileSync(path.join(path.dirname(dir), f), 'utf8');
            writeFileSync(path.join(dir, f), parent);
          }
        }
      }
    }
  }
  return dirs;
}

export function makeCgroups(machine: string): string[] {
  const dirs = cgroupDirs(machine);
  for (const d of dirs) mkdirSync(d, { recursive: true });
  return dirs;
}

/** The shell words that move the process into its cgroups, then exec argv. */
export function inCgroups(dirs: string[], argv: string[]): string[] {
  if (dirs.length === 0) return argv;
  const moves = dirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join(' && ');
  return ['sh', '-c', `${moves} && exec "$@"`, 'sh', ...argv];
}

/** Removes a cgroup tree bottom-up (only empty cgroups can go); true when gone. */
export function removeCgroup(dir: string): boolean {
  if (!existsSync(dir)) return true;
  for (const e of readdirSync(dir)) {
    const child = path.join(dir, e);
    try {
      if (statSync(child).isDirectory()) removeCgroup(child);
    } catch {
      // raced with its own removal
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // still has processes
  }
  const parent = path.dirname(dir);
  if (path.basename(parent) === 'kha-drill-lab') {
    try {
      rmdirSync(parent);
    } catch {
      // another lab's containers are still in it
    }
  }
  return !existsSync(dir);
}
