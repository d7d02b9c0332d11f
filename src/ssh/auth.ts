/**
 * How kha-drill authenticates to a master: the ssh-agent and/or an identity file, an encrypted
 * key left to the agent or unlocked with a passphrase asked on the terminal.
 */
import { createRequire } from 'node:module';
import { resolvePath } from '../config/inventory.js';
import { readBoundedFile } from '../fs/read-file.js';
import { SshError } from './errors.js';
import type { SshEndpoint, SshEnv, SshSettings } from './types.js';

/** The part of ssh2's API used here (the package ships no types, see README of the report). */
interface Ssh2Utils {
  parseKey(data: Buffer | string, passphrase?: string): unknown;
}
const require = createRequire(import.meta.url);
const ssh2Utils = (require('ssh2') as { utils: Ssh2Utils }).utils;

function isEncryptedKeyError(parsed: unknown): boolean {
  return parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message);
}

export interface AuthConfig {
  username: string;
  agent?: string;
  privateKey?: string;
  passphrase?: string;
  tried: string[];
}

export async function authConfig(
  who: SshEndpoint,
  user: string,
  identityFile: string | undefined,
  settings: SshSettings,
  senv: SshEnv,
): Promise<AuthConfig> {
  const auth: AuthConfig = { username: user, tried: [] };
  const sock = settings.agent ? senv.env.SSH_AUTH_SOCK : undefined;
  if (sock) {
    auth.agent = sock;
    auth.tried.push('ssh-agent');
  }
  if (identityFile) {
    const file = resolvePath(identityFile, senv.env, senv.cwd);
    const read = readBoundedFile(file, { what: 'a private key' });
    if (!read.ok) {
      throw new SshError('E_SSH_KEY', `cannot read identity file ${file} for ${who.name}: ${read.message}`, {
        master: who.name,
        address: `${who.host}:${who.port}`,
      });
    }
    const data = read.data;
    const parsed = ssh2Utils.parseKey(data);
    if (!isEncryptedKeyError(parsed)) {
      if (parsed instanceof Error) {
        throw new SshError(
          'E_SSH_KEY',
          `identity file ${file} is not a private key ssh2 can read: ${parsed.message}`,
          {
            master: who.name,
            address: `${who.host}:${who.port}`,
          },
        );
      }
      auth.privateKey = data.toString('utf8');
      auth.tried.push(`key ${file}`);
    } else if (sock) {
      // Encrypted key: the agent is expected to hold it (ssh-add), so its passphrase stays there.
    } else if (senv.promptPassphrase) {
      auth.privateKey = data.toString('utf8');
      auth.passphrase = await senv.promptPassphrase(`Enter passphrase for key '${file}': `);
      if (ssh2Utils.parseKey(data, auth.passphrase) instanceof Error) {
        throw new SshError('E_SSH_KEY', `wrong passphrase for identity file ${file}`, {
          master: who.name,
          address: `${who.host}:${who.port}`,
        });
      }
      auth.tried.push(`key ${file}`);
    } else {
      throw new SshError(
        'E_SSH_KEY',
        `identity file ${file} is encrypted and there is neither an ssh-agent (SSH_AUTH_SOCK) nor a terminal to ask for its passphrase`,
        { master: who.name, address: `${who.host}:${who.port}` },
        { hint: `load it into an agent first: eval "$(ssh-agent)" && ssh-add ${file}` },
      );
    }
  }
  if (auth.tried.length === 0) {
    throw new SshError(
      'E_SSH_KEY',
      `no way to authenticate to ${who.name}: set ssh.identityFile in the inventory or start an ssh-agent (SSH_AUTH_SOCK)`,
      { master: who.name, address: `${who.host}:${who.port}` },
    );
  }
  return auth;
}
