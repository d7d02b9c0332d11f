/**
 * What an OpenSSH client config file (`~/.ssh/config`) says about one host, parsed by the
 * `ssh-config` package (first value wins, `Host`/`Match` sections as ssh(1) reads them). Only
 * the directives kha-drill honours are returned: HostName, User, Port, IdentityFile, ProxyJump,
 * ProxyCommand.
 */
import SSHConfig from 'ssh-config';

export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
  /** `[user@]host[:port]`, the first hop only (kha-drill chains one jump host per master) */
  proxyJump?: { host: string; port?: number; user?: string };
  proxyCommand?: string;
}

/** A directive's value is not usable (e.g. `Port abc`). */
export class SshConfigValueError extends Error {
  constructor(
    readonly directive: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${directive} ${value}: expected ${expected}`);
  }
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function parsePort(directive: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new SshConfigValueError(directive, v, 'a port 1-65535');
  return n;
}

/** `[user@]host[:port]` or `[user@][ipv6]:port`, as ProxyJump takes it. */
export function parseJumpSpec(spec: string): { host: string; port?: number; user?: string } {
  const firstHop = spec.split(',')[0]!.trim();
  const at = firstHop.lastIndexOf('@');
  const user = at > 0 ? firstHop.slice(0, at) : undefined;
  const rest = at >= 0 ? firstHop.slice(at + 1) : firstHop;
  let host = rest;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = parsePort('ProxyJump', v6[2]);
  } else if (/^[^:]+:\d+$/.test(rest)) {
    const i = rest.lastIndexOf(':');
    host = rest.slice(0, i);
    port = parsePort('ProxyJump', rest.slice(i + 1));
  }
  if (!host || /\s/.test(host)) throw new SshConfigValueError('ProxyJump', spec, '[user@]host[:port]');
  return { host, ...(port !== undefined ? { port } : {}), ...(user ? { user } : {}) };
}

/** The directives of `text` that apply to `host` (the name as the inventory writes it). */
export function sshConfigFor(text: string, host: string): SshConfigHost {
  const computed = SSHConfig.parse(text).compute(host);
  const out: SshConfigHost = {};
  const hostName = first(computed.HostName);
  // ssh(1) expands %h in HostName to the name given on the command line
  if (hostName) out.hostName = hostName.replace(/%h/g, host).replace(/%%/g, '%');
  const user = first(computed.User);
  if (user) out.user = user;
  const port = first(computed.Port);
  if (port) out.port = parsePort('Port', port);
  const identity = first(computed.IdentityFile);
  if (identity) out.identityFile = identity;
  const jump = first(computed.ProxyJump);
  // `ProxyJump none` / `ProxyCommand none` switch the feature off, as in ssh(1)
  if (jump && jump.toLowerCase() !== 'none') out.proxyJump = parseJumpSpec(jump);
  const command = first(computed.ProxyCommand);
  if (command && command.toLowerCase() !== 'none') out.proxyCommand = command;
  return out;
}

/**
 * ProxyCommand tokens as ssh(1) expands them: %h host, %p port, %r user, %n the name as
 * given, %% a percent sign. Values are quoted for the shell the command runs in.
 */
export function expandProxyCommand(
  command: string,
  values: { host: string; port: number; user: string; original: string },
  quote: (s: string) => string,
): string {
  return command.replace(/%([hprn%])/g, (_, t: string) => {
    switch (t) {
      case 'h':
        return quote(values.host);
      case 'p':
        return String(values.port);
      case 'r':
        return quote(values.user);
      case 'n':
        return quote(values.original);
      default:
        return '%';
    }
  });
}
