/** What `lab up` needs on the machine, checked before anything is started. */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, KhaError } from '../errors.js';
import { APISERVER_MAIN, CANDIDATE_MAIN } from './components.js';
import { SSHD } from './sshd.js';

export const DEBIAN_PACKAGES = 'etcd-server etcd-client openssh-server haproxy iptables';

function onPath(cmd: string, envPath: string): boolean {
  return envPath
    .split(':')
    .filter(Boolean)
    .some((d) => {
      try {
        accessSync(path.join(d, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** Missing commands (and the files of ours that must be built); empty when all is there. */
export function missingPrerequisites(envPath: string, root: boolean): string[] {
  // sbin directories hold sshd, haproxy and iptables but are not on every user's PATH
  const search = `${envPath}:/usr/local/sbin:/usr/sbin:/sbin`;
  const missing = ['etcd', 'etcdctl', 'haproxy', 'ssh-keygen', 'openssl'].filter((c) => !onPath(c, search));
  if (!existsSync(SSHD)) missing.push(SSHD);
  if (root && !onPath('iptables', search)) missing.push('iptables');
  return missing;
}

export function checkPrerequisites(envPath: string, root: boolean): void {
  const missing = missingPrerequisites(envPath, root);
  if (missing.length > 0) {
    throw new KhaError(
      'E_LAB_PREREQ',
      ExitCode.BadInput,
      `lab up needs ${missing.join(', ')}: install the Debian packages ${DEBIAN_PACKAGES} ` +
        `(apt-get install -y ${DEBIAN_PACKAGES}); nothing was started`,
    );
  }
  const unbuilt = [APISERVER_MAIN, CANDIDATE_MAIN].filter((f) => !existsSync(f));
  if (unbuilt.length > 0) {
    throw new KhaError(
      'E_LAB_PREREQ',
      ExitCode.BadInput,
      `lab components are not built (${unbuilt.join(', ')}): run npm run build; nothing was started`,
    );
  }
}
