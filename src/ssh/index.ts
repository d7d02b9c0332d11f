/** The SSH layer: verified connections, bounded commands, quoting. */
export { SshConnection, fingerprint, wrapCommand, type LocalForward } from './client.js';
export type { ExecOptions, ExecResult, SshEndpoint, SshEnv, SshSettings } from './client.js';
export type { JumpHostSettings, MasterSshOverrides } from './types.js';
export { HostKeyError, RemoteCommandError, SshError, trimOutput } from './errors.js';
export { parseKnownHosts, verifyHostKey } from './known-hosts.js';
export { SshPool } from './pool.js';
export { shellJoin, shellQuote } from './quote.js';
