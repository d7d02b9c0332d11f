/**
 * How kha-drill reaches one master: the inventory's entry for it, the OpenSSH client config
 * file, then the inventory's ssh defaults. Where the master's own inventory fields and the
 * config file both speak, the inventory wins; the config file wins over the inventory's
 * ssh-wide defaults (they have built-in values, so they cannot tell "unset" from "default").
 * A global ssh.jumpHost is explicit, so it wins over the config's ProxyJump/ProxyCommand.
 */
import { sshConfigFor, type SshConfigHost } from './ssh-config.js';
import type { JumpHostSettings, SshEndpoint, SshSettings } from './types.js';

export interface SshRoute {
  /** the address dialled (HostName from the config file, else the inventory's host) */
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  via: { kind: 'direct' } | { kind: 'jump'; jump: JumpHostSettings } | { kind: 'proxy'; command: string };
}

export function resolveRoute(endpoint: SshEndpoint, settings: SshSettings, configText?: string): SshRoute {
  const own = endpoint.own ?? {};
  const cfg: SshConfigHost = configText !== undefined ? sshConfigFor(configText, endpoint.host) : {};
  const route: SshRoute = {
    host: cfg.hostName ?? endpoint.host,
    port: own.port ?? cfg.port ?? endpoint.port,
    user: own.user ?? cfg.user ?? settings.user,
    via: { kind: 'direct' },
  };
  const identity = own.identityFile ?? cfg.identityFile ?? settings.identityFile;
  if (identity) route.identityFile = identity;
  if (own.proxyCommand) route.via = { kind: 'proxy', command: own.proxyCommand };
  else if (own.jumpHost) route.via = { kind: 'jump', jump: own.jumpHost };
  else if (settings.jumpHost) route.via = { kind: 'jump', jump: settings.jumpHost };
  else if (cfg.proxyCommand) route.via = { kind: 'proxy', command: cfg.proxyCommand };
  else if (cfg.proxyJump) route.via = { kind: 'jump', jump: jumpFromConfig(cfg.proxyJump, configText) };
  return route;
}

/** A ProxyJump host may itself be an alias of the config file (its HostName, Port, User, key). */
function jumpFromConfig(
  spec: NonNullable<SshConfigHost['proxyJump']>,
  configText?: string,
): JumpHostSettings {
  const cfg = configText !== undefined ? sshConfigFor(configText, spec.host) : {};
  const jump: JumpHostSettings = { host: cfg.hostName ?? spec.host, port: spec.port ?? cfg.port ?? 22 };
  const user = spec.user ?? cfg.user;
  if (user) jump.user = user;
  if (cfg.identityFile) jump.identityFile = cfg.identityFile;
  return jump;
}
