/**
 * How a component is stopped, started, killed and checked on a master, per the inventory's
 * service manager. Every value is quoted; templates get `{service}` as one quoted word.
 *
 * - systemd: `systemctl stop|start|restart <unit>`, kill = `systemctl kill -s <SIG> <unit>`,
 *   active = `systemctl is-active <unit>`.
 * - static-pod (kubeadm): stop = move `<manifestDir>/<unit>.yaml` into `stashDir`, start = move
 *   it back (the kubelet stops/starts the pod), refusing when both the stash and a live manifest
 *   exist (it says which is newer: a restore never overwrites a manifest in place); active = a
 *   running container of that name (`crictl ps --state Running`), not the manifest's presence.
 *   kill and restart use crictl (`crictl stop` of the running container; the kubelet starts it
 *   again): KILL with `--timeout 0`, TERM and restart with the pod's grace period
 *   (`terminationGracePeriodSeconds` in the manifest, Kubernetes' 30 s without one), since
 *   `crictl stop` without a timeout kills at once. They need crictl on the master. Stop (unless
 *   `wait: false`), kill and restart wait for the container to have exited and note its
 *   finishedAt in `<stashDir>/<name>.exit` (exitNoted): the fault's moment.
 * - custom: the inventory's templates; restart = stop then start; a signal other than KILL
 *   is refused (the template only knows one kill).
 */
import type { ComponentName, Inventory } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { shellQuote } from '../ssh/quote.js';

export type KillSignal = 'KILL' | 'TERM' | 'STOP';

export interface ServiceCommands {
  /** `wait: false` returns once the stop has begun (where the manager can tell the two apart) */
  stop(component: ComponentName, options?: { wait?: boolean }): string;
  start(component: ComponentName): string;
  restart(component: ComponentName): string;
  kill(component: ComponentName, signal: KillSignal): string;
  /** exits 0 when the component runs */
  isActive(component: ComponentName): string;
  /**
   * One command that checks several components: it prints one line per component, in order,
   * `active` when it runs (one SSH round trip per master instead of one per component).
   */
  areActive(components: readonly ComponentName[]): string;
  /** undoes a kill with this signal: the component runs again */
  afterKill(component: ComponentName, signal: KillSignal): string;
  /**
   * A kill after which nothing restarts the component until `afterKeepDown` (a dead machine):
   * systemd's Restart= and the kubelet would otherwise bring it back on the same master, where
   * it may win its own Lease back.
   */
  killKeepDown(component: ComponentName, signal: Exclude<KillSignal, 'STOP'>): string;
  /** undoes `killKeepDown`: restarts allowed again as before, and the component runs */
  afterKeepDown(component: ComponentName): string;
  /** exits 0 once `afterKeepDown` took effect */
  keepDownUndone(component: ComponentName): string;
}

/** The runtime drop-in that stops systemd restarting a unit (in /run: gone at reboot too). */
export function keepDownDropIn(unit: string): string {
  const full = /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
  return `/run/systemd/system/${full}.d/90-kha-drill-keep-down.conf`;
}

type Services = Inventory['services'];

function systemd(s: Services): ServiceCommands {
  const u = (c: ComponentName) => shellQuote(s.units[c]);
  return {
    stop: (c, o) => `systemctl stop ${o?.wait === false ? '--no-block ' : ''}${u(c)}`,
    start: (c) => `systemctl start ${u(c)}`,
    restart: (c) => `systemctl restart ${u(c)}`,
    kill: (c, sig) => `systemctl kill -s ${sig} ${u(c)}`,
    isActive: (c) => `systemctl is-active ${u(c)}`,
    // systemctl prints one state per unit, in order (unknown units print `inactive`)
    areActive: (cs) => `systemctl is-active ${cs.map(u).join(' ')}`,
    // A frozen process is thawed; a killed or terminated one is started (no-op when systemd
    // already restarted it).
    afterKill: (c, sig) => (sig === 'STOP' ? `systemctl kill -s CONT ${u(c)}` : `systemctl start ${u(c)}`),
    // A drop-in in /run overrides Restart= of a unit in /etc (`mask --runtime` does not: /etc
    // comes first in systemd's search path, so the unit is still restarted). daemon-reload takes
    // about 0.1 s, before the kill.
    killKeepDown: (c, sig) => {
      const dropIn = keepDownDropIn(s.units[c]);
      const dir = shellQuote(dropIn.slice(0, dropIn.lastIndexOf('/')));
      const file = shellQuote(dropIn);
      // a kill that fails (nothing running) leaves no drop-in behind: it may have no undo
      return `mkdir -p ${dir} && printf '%s\\n' '[Service]' 'Restart=no' > ${file} && systemctl daemon-reload && { systemctl kill -s ${sig} ${u(c)} || { rm -f ${file}; systemctl daemon-reload; exit 1; }; }`;
    },
    afterKeepDown: (c) =>
      `rm -f ${shellQuote(keepDownDropIn(s.units[c]))} && systemctl daemon-reload && systemctl start ${u(c)}`,
    keepDownUndone: (c) =>
      `systemctl is-active ${u(c)} && test ! -e ${shellQuote(keepDownDropIn(s.units[c]))}`,
  };
}

function staticPod(s: Services): ServiceCommands {
  const manifest = (c: ComponentName) => shellQuote(`${s.manifestDir}/${s.units[c]}.yaml`);
  const stashed = (c: ComponentName) => shellQuote(`${s.stashDir}/${s.units[c]}.yaml`);
  const name = (c: ComponentName) => shellQuote(`^${s.units[c]}$`);
  const container = (c: ComponentName) => `$(crictl ps -q --name ${name(c)})`;
  // the pod's own grace period: what the kubelet would give it (Kubernetes' default is 30 s);
  // the commands that use it are one `{ …; }` group, so joining them with && keeps its meaning
  const grace = (c: ComponentName) =>
    `g=$(awk '$1 == "terminationGracePeriodSeconds:" { print $2; exit }' ${manifest(c)} 2>/dev/null); ` +
    `case "$g" in ''|*[!0-9]*) g=30;; esac; `;
  const start = (c: ComponentName) => {
    const refuse = shellQuote(
      `refusing to start ${s.units[c]}: both ${s.manifestDir}/${s.units[c]}.yaml and ${s.stashDir}/${s.units[c]}.yaml exist, newer: `,
    );
    return (
      `if [ -f ${stashed(c)} ] && [ -f ${manifest(c)} ]; then ` +
      `if [ ${stashed(c)} -nt ${manifest(c)} ]; then n='the stash'; ` +
      `elif [ ${manifest(c)} -nt ${stashed(c)} ]; then n='the live manifest'; else n='neither (same time)'; fi; ` +
      `echo ${refuse}"$n" >&2; false; ` +
      `elif [ -f ${stashed(c)} ]; then mv ${stashed(c)} ${manifest(c)}; ` +
      `else test -f ${manifest(c)}; fi`
    );
  };
  // the kubelet removes the exited containers of a pod whose manifest left, at times before
  // anyone reads them: the command itself notes when the running container exited
  const noted = (c: ComponentName, action: string) => exitNoted(s, c, name(c), action);
  const commands: Omit<ServiceCommands, 'areActive'> = {
    stop: (c, o) => {
      const move = `mkdir -p ${shellQuote(s.stashDir)} && mv ${manifest(c)} ${stashed(c)}`;
      return o?.wait === false ? move : noted(c, move);
    },
    start,
    restart: (c) => noted(c, `{ ${grace(c)}crictl stop --timeout "$g" ${container(c)}; }`),
    kill: (c, sig) => {
      if (sig === 'STOP')
        throw new UsageError('killService with signal STOP is not supported for static pods');
      return noted(
        c,
        sig === 'KILL'
          ? `crictl stop --timeout 0 ${container(c)}`
          : `{ ${grace(c)}crictl stop --timeout "$g" ${container(c)}; }`,
      );
    },
    isActive: (c) => `crictl ps -q --name ${name(c)} --state Running | grep -q .`,
    afterKill: (c) => start(c),
    // the kubelet restarts a stopped container: the manifest goes right after the kill
    killKeepDown: (c, sig) => `${commands.kill(c, sig)} && ${commands.stop(c)}`,
    afterKeepDown: (c) => start(c),
    keepDownUndone: (c) => `test -f ${manifest(c)}`,
  };
  return { ...commands, areActive: eachActive(commands.isActive) };
}

/**
 * Where a static-pod command notes the moment its container exited (the runtime's finishedAt,
 * RFC 3339): `<stashDir>/<name>.exit`, read with the runtime's own exited containers.
 */
export function exitNoteFile(s: Pick<Services, 'stashDir'>, name: string): string {
  return `${s.stashDir}/${name}.exit`;
}

/** How many times a static-pod command looks (every 50 ms) for its container to have exited. */
const EXIT_LOOKS = 200;

/**
 * `action`, then, when it succeeded, up to EXIT_LOOKS looks at the container (`name`: the quoted
 * crictl name filter) that ran before it: once the runtime has it exited, its finishedAt goes to the exit note. The group's status
 * is the action's.
 */
function exitNoted(s: Services, c: ComponentName, name: string, action: string): string {
  const note = shellQuote(exitNoteFile(s, s.units[c]));
  const look = `crictl inspect -o go-template --template '{{.status.state}} {{.status.finishedAt}}' "$kid" 2>/dev/null`;
  return (
    `{ kid=$(crictl ps -q --name ${name} --state Running | head -n 1); ${action}; kr=$?; ` +
    `if [ "$kr" -eq 0 ] && [ -n "$kid" ]; then kn=0; while [ "$kn" -lt ${EXIT_LOOKS} ]; do ` +
    `ks=$(${look}); case "$ks" in 'CONTAINER_EXITED '*) mkdir -p ${shellQuote(s.stashDir)} && echo "\${ks#* }" > ${note}; break;; esac; ` +
    `kn=$((kn + 1)); sleep 0.05; done; fi; [ "$kr" -eq 0 ]; }`
  );
}

function custom(s: Services): ServiceCommands {
  const t = s.custom;
  if (!t)
    throw new UsageError(
      'services.manager is custom but services.custom (start, stop, kill, isActive) is missing',
    );
  const fill = (template: string, c: ComponentName) =>
    template.split('{service}').join(shellQuote(s.units[c]));
  const commands: Omit<ServiceCommands, 'areActive'> = {
    stop: (c) => fill(t.stop, c),
    start: (c) => fill(t.start, c),
    restart: (c) => `${fill(t.stop, c)} && ${fill(t.start, c)}`,
    kill: (c, sig) => {
      if (sig !== 'KILL')
        throw new UsageError(`killService with signal ${sig} needs a systemd service manager`);
      return fill(t.kill, c);
    },
    isActive: (c) => fill(t.isActive, c),
    afterKill: (c) => fill(t.start, c),
    killKeepDown: (c, sig) => `${commands.kill(c, sig)} && ${fill(t.stop, c)}`,
    afterKeepDown: (c) => fill(t.start, c),
    keepDownUndone: (c) => fill(t.isActive, c),
  };
  return { ...commands, areActive: eachActive(commands.isActive) };
}

/** `areActive` from single checks: each runs in a subshell, its exit status becomes the line. */
function eachActive(isActive: (c: ComponentName) => string): ServiceCommands['areActive'] {
  return (cs) =>
    cs.map((c) => `if (${isActive(c)}) >/dev/null 2>&1; then echo active; else echo inactive; fi`).join('; ');
}

/**
 * Runs `areActive` on one master: component → whether it runs, or undefined for each component
 * when the answer cannot be read (the SSH command failed or printed something else).
 */
export async function activeComponents(
  s: ServiceCommands,
  run: (command: string) => Promise<{ stdout: string }>,
  components: readonly ComponentName[],
): Promise<Map<ComponentName, boolean | undefined>> {
  const states = new Map<ComponentName, boolean | undefined>(components.map((c) => [c, undefined]));
  if (components.length === 0) return states;
  let stdout: string;
  try {
    ({ stdout } = await run(s.areActive(components)));
  } catch {
    return states;
  }
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim());
  if (lines.length !== components.length) return states;
  // systemd's is-active succeeds for `reloading` too
  components.forEach((c, i) => states.set(c, lines[i] === 'active' || lines[i] === 'reloading'));
  return states;
}

export function serviceCommands(services: Services): ServiceCommands {
  switch (services.manager) {
    case 'systemd':
      return systemd(services);
    case 'static-pod':
      return staticPod(services);
    case 'custom':
      return custom(services);
  }
}
