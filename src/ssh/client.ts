/**
 * One SSH connection to one master, on node-ssh 13 / ssh2: host key verified against
 * known_hosts (strict by default), key from an identity file or the ssh-agent, optional jump
 * host, keepalive on, and every command bounded by a timeout that really stops it on the
 * remote side (`timeout -s KILL N sh -c '…'`, see NOTES.md: closing a channel does not).
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { HostKeyError, RemoteCommandError, SshError, trimOutput, type SshErrorDetails } from './errors.js';
import { resolvePath } from '../config/inventory.js';
import { authConfig, type AuthConfig } from './auth.js';
import { InputFileError, readBoundedFile } from '../fs/read-file.js';
import { setSafeTimeout, type SafeTimer } from '../time/timer.js';
import {
  certAuthoritiesFor,
  entriesFor,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  parseKnownHosts,
  verifyHostKey,
  type KnownHostEntry,
} from './known-hosts.js';
import { certificateVerdict, certifiedKeyTypes, fetchHostCertificates } from './host-cert-fetch.js';
import { CLOCK_PING_COMMAND, pingClock, type PingSample } from './clock-ping.js';
import { shellQuote } from './quote.js';
import { startProxyCommand, type ProxyProcess } from './proxy-command.js';
import { resolveRoute, type SshRoute } from './route.js';
import { expandProxyCommand, SshConfigValueError } from './ssh-config.js';
import type { ExecOptions, ExecResult, SshEndpoint, SshEnv, SshSettings } from './types.js';

export type { ExecOptions, ExecResult, SshEndpoint, SshEnv, SshSettings } from './types.js';

/** The parts of ssh2's API used here (the package ships no types, see README of the report). */
interface Ssh2Channel {
  close(): void;
}
interface ExecStreamOptions {
  onChannel?: (c: Ssh2Channel) => void;
  /** kept open until it ends (node-ssh pipes a readable stream into the channel) */
  stdin?: Readable;
  onStdout?: (chunk: Buffer) => void;
}
interface Ssh2Sock {
  destroy(): void;
}
interface ExecResponse {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
}
interface NodeSshLike {
  connection: { on(event: 'error', listener: (err: Error) => void): unknown } | null;
  connect(config: Record<string, unknown>): Promise<unknown>;
  isConnected(): boolean;
  execCommand(command: string, options: ExecStreamOptions): Promise<ExecResponse>;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number): Promise<Ssh2Sock>;
  dispose(): void;
}

/** `SHA256:…` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The command as sent: sudo prefix and a remote timeout that kills the whole command. */
export function wrapCommand(command: string, timeoutS: number, sudo: boolean): string {
  const bounded = `timeout -s KILL ${Math.max(1, Math.ceil(timeoutS))} sh -c ${shellQuote(command)}`;
  return sudo ? `sudo -n ${bounded}` : bounded;
}

function readKnownHosts(file: string): { entries: KnownHostEntry[]; missing: boolean } {
  const read = readBoundedFile(file, { what: 'a known_hosts file' });
  if (read.ok) return { entries: parseKnownHosts(read.data.toString('utf8')), missing: false };
  if (read.errno === 'ENOENT') return { entries: [], missing: true };
  throw new InputFileError(file, read);
}

function connectError(who: SshEndpoint, err: unknown, auth: AuthConfig, timeoutMs: number): SshError {
  const address = `${who.host}:${who.port}`;
  const e = err as NodeJS.ErrnoException & { level?: string };
  const msg = e?.message ?? String(err);
  const details: SshErrorDetails = { master: who.name, address };
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') {
    return new SshError(
      'E_SSH_CONNECT',
      `cannot connect to ${who.name}: host name ${who.host} does not resolve (check the master's host in the inventory, or its HostName in the SSH config file)`,
      details,
    );
  }
  if (e?.code === 'ECONNREFUSED') {
    return new SshError(
      'E_SSH_CONNECT',
      `cannot connect to ${who.name} (${address}): connection refused (is sshd running?)`,
      details,
    );
  }
  if (/handshake|timed out/i.test(msg) || e?.code === 'ETIMEDOUT') {
    return new SshError(
      'E_SSH_CONNECT',
      `cannot connect to ${who.name} (${address}): no SSH handshake within ${timeoutMs / 1000}s`,
      details,
    );
  }
  if (/authentication methods failed/i.test(msg) || e?.level === 'client-authentication') {
    return new SshError(
      'E_SSH_AUTH',
      `authentication to ${who.name} (${address}) as ${auth.username} failed (tried ${auth.tried.join(', ')})`,
      details,
    );
  }
  return new SshError('E_SSH_CONNECT', `cannot connect to ${who.name} (${address}): ${msg}`, details);
}

/** Opens one verified, authenticated ssh2 connection (through `sock` for a jump host). */
async function open(
  who: SshEndpoint,
  user: string,
  identityFile: string | undefined,
  settings: SshSettings,
  senv: SshEnv,
  sock?: Ssh2Sock,
): Promise<NodeSshLike> {
  const knownHostsFile = resolvePath(settings.knownHosts, senv.env, senv.cwd);
  const { entries, missing } = readKnownHosts(knownHostsFile);
  const address = `${who.host}:${who.port}`;
  const mine = entriesFor(entries, who.host, who.port).filter((e) => e.marker === null);
  let refusal: HostKeyError | undefined;
  // A host known only through @cert-authority: its certificates, fetched before the connection
  // with OpenSSH's ssh-keyscan -c (ssh2 cannot negotiate them); the verifier then accepts the key
  // ssh2's key exchange proves only if one of them certifies exactly that key. ssh-keyscan cannot
  // follow a jump host or ProxyCommand (`sock`).
  const cas = certAuthoritiesFor(entries, who.host, who.port);
  const certificates =
    mine.length === 0 && cas.length > 0 && !sock
      ? await fetchHostCertificates(who.host, who.port, settings.connectTimeoutMs)
      : undefined;
  const hostVerifier = (key: Buffer): boolean => {
    const verdict = verifyHostKey(entries, who.host, who.port, key);
    const details = { master: who.name, address };
    const fp = `${keyTypeOf(key)} ${fingerprint(key)}`;
    if (verdict.status === 'ok') return true;
    if (verdict.status === 'revoked') {
      refusal = new HostKeyError(
        `host key of ${who.name} (${address}) is REVOKED in ${knownHostsFile}:${verdict.entry.line} (${fp}); refusing to connect`,
        details,
        'the key was marked @revoked on purpose: find out why before removing that line',
      );
      return false;
    }
    if (verdict.status === 'changed') {
      const lines = verdict.expected.map((x) => `${knownHostsFile}:${x.line}`).join(', ');
      refusal = new HostKeyError(
        `HOST KEY CHANGED for ${who.name} (${address}): it presented ${fp}, which does not match ${lines}. ` +
          'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. Refusing to connect.',
        details,
        `if the change is expected, verify the new fingerprint out of band, then: ssh-keygen -R ${shellQuote(who.port === 22 ? who.host : `[${who.host}]:${who.port}`)} -f ${shellQuote(knownHostsFile)}`,
      );
      return false;
    }
    if (cas.length > 0) {
      const where = `${knownHostsFile}:${cas.map((c) => c.line).join(',')}`;
      if (sock) {
        // ssh-keyscan cannot follow a jump host or ProxyCommand to fetch the certificate
        refusal = new HostKeyError(
          `host key of ${who.name} (${address}) is vouched for only by @cert-authority (${where}), which kha-drill checks on direct connections only, not through a jump host or ProxyCommand (it presented ${fp})`,
          details,
          `verify that fingerprint out of band, then add the plain key to ${knownHostsFile}`,
        );
        return false;
      }
      const problem = certificateVerdict({
        fetched: certificates ?? { blobs: [] },
        host: who.host,
        kexKey: key,
        authorities: cas.map((c) => c.key),
        revoked: entriesFor(entries, who.host, who.port)
          .filter((e) => e.marker === 'revoked')
          .map((e) => e.key),
        now: Date.now() / 1000,
      });
      if (problem === undefined) return true;
      refusal = new HostKeyError(
        `host key of ${who.name} (${address}) ${fp} is not vouched for by @cert-authority (${where}): ${problem}; refusing to connect`,
        details,
        `check the host certificate on the host (ssh-keygen -Lf /etc/ssh/ssh_host_*_key-cert.pub): its CA, principals (${who.host}) and validity`,
      );
      return false;
    }
    if (!settings.strictHostKeyChecking) {
      senv.warn?.(
        `accepting unknown host key of ${who.name} (${address}) ${fp}: ssh.strictHostKeyChecking is off`,
      );
      return true;
    }
    refusal = new HostKeyError(
      `host key of ${who.name} (${address}) is unknown: ${missing ? `${knownHostsFile} does not exist` : `no entry for it in ${knownHostsFile}`} (it presented ${fp})`,
      details,
      `verify the fingerprint out of band, then add it: ssh-keyscan -p ${who.port} ${shellQuote(who.host)} >> ${shellQuote(knownHostsFile)}`,
    );
    return false;
  };

  const auth = await authConfig(who, user, identityFile, settings, senv);
  const config: Record<string, unknown> = {
    host: who.host,
    port: who.port,
    username: auth.username,
    readyTimeout: settings.connectTimeoutMs,
    keepaliveInterval: 5_000,
    keepaliveCountMax: 3,
    hostVerifier,
    ...(auth.agent ? { agent: auth.agent } : {}),
    ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
    ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}),
    ...(sock ? { sock } : {}),
  };
  // Offer the key types known for this host first, so a host with an ed25519 and an RSA key
  // presents the one we can check (OpenSSH orders host key algorithms the same way).
  const certified = certifiedKeyTypes(certificates?.blobs ?? []);
  if (mine.length > 0)
    config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(mine.map((e) => e.keyType)) };
  else if (certified.length > 0) config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(certified) };

  const ssh = new NodeSSH() as unknown as NodeSshLike;
  try {
    await ssh.connect(config);
  } catch (err) {
    ssh.dispose();
    if (refusal) throw refusal;
    throw connectError(who, err, auth, settings.connectTimeoutMs);
  }
  // node-ssh drops its error listener once connected: without one, a later ECONNRESET or
  // keepalive timeout would be an unhandled 'error' event and kill the harness mid-drill (before
  // restore). The connection closes itself; the pool reconnects on next use.
  ssh.connection?.on('error', (err) =>
    senv.warn?.(`SSH connection to ${who.name} (${address}) failed: ${err.message}`),
  );
  return ssh;
}

/** The route to a master, reading the SSH config file when there is one. */
function routeFor(endpoint: SshEndpoint, settings: SshSettings, senv: SshEnv): SshRoute {
  let text: string | undefined;
  const cf = settings.configFile;
  const file = cf ? resolvePath(cf.path, senv.env, senv.cwd) : undefined;
  if (cf && file) {
    const read = readBoundedFile(file, { what: 'an SSH config file' });
    if (read.ok) text = read.data.toString('utf8');
    else if (read.errno !== 'ENOENT' || cf.required) throw new InputFileError(file, read);
  }
  try {
    return resolveRoute(endpoint, settings, text);
  } catch (err) {
    if (err instanceof SshConfigValueError) {
      throw new SshError(
        'E_SSH_CONFIG',
        `${file ?? 'SSH config'}: Host ${endpoint.host} (master ${endpoint.name}): ${err.message}`,
        { master: endpoint.name, address: `${endpoint.host}:${endpoint.port}` },
      );
    }
    throw err;
  }
}

/** A ProxyCommand that exits before the handshake ends the attempt, naming the command. */
async function raceProxy(
  opening: Promise<NodeSshLike>,
  proxy: ProxyProcess,
  master: string,
  via: SshRoute['via'],
): Promise<NodeSshLike> {
  const command = via.kind === 'proxy' ? via.command : '';
  const proxyError = (x: { code: number | null; signal: string | null; stderr: string }): SshError => {
    const status = x.signal ? `was killed by ${x.signal}` : `exited ${x.code ?? 'without a status'}`;
    const err = x.stderr.trim() ? `: ${trimOutput(x.stderr, 200).replace(/\s*\n\s*/g, ' | ')}` : '';
    return new SshError(
      'E_SSH_PROXY',
      `ProxyCommand of ${master} (\`${command}\`) ${status} before the SSH handshake${err}`,
      { master, address: command },
      { hint: 'run the ProxyCommand by hand (with %h %p filled in) and check that it connects' },
    );
  };
  const exited = proxy.exited.then((x) => Promise.reject(proxyError(x)));
  exited.catch(() => undefined);
  try {
    return await Promise.race([opening, exited]);
  } catch (err) {
    if (err instanceof SshError && err.code === 'E_SSH_PROXY') throw err;
    // ssh2 may notice the closed stream before the exit is reported: prefer the proxy's story
    const late = await Promise.race([
      proxy.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 500)),
    ]);
    if (late) throw proxyError(late);
    throw err;
  }
}

/** A listening port on 127.0.0.1 forwarded over an SSH connection. */
export interface LocalForward {
  port: number;
  close(): Promise<void>;
}

export class SshConnection {
  private constructor(
    readonly endpoint: SshEndpoint,
    private readonly settings: SshSettings,
    private readonly ssh: NodeSshLike,
    private readonly bastion: NodeSshLike | undefined,
    private readonly proxy?: ProxyProcess,
  ) {}

  static async connect(endpoint: SshEndpoint, settings: SshSettings, senv: SshEnv): Promise<SshConnection> {
    const route = routeFor(endpoint, settings, senv);
    // known_hosts and messages name the address really dialled (HostName of an alias)
    const target: SshEndpoint = { name: endpoint.name, host: route.host, port: route.port };
    let bastion: NodeSshLike | undefined;
    let proxy: ProxyProcess | undefined;
    let sock: Ssh2Sock | undefined;
    if (route.via.kind === 'jump') {
      const jump = route.via.jump;
      const j = { name: `jump host of ${endpoint.name}`, host: jump.host, port: jump.port };
      bastion = await open(
        j,
        jump.user ?? settings.user,
        jump.identityFile ?? settings.identityFile,
        settings,
        senv,
      );
      try {
        sock = await bastion.forwardOut('127.0.0.1', 0, route.host, route.port);
      } catch (err) {
        bastion.dispose();
        throw new SshError(
          'E_SSH_CONNECT',
          `jump host ${jump.host}:${jump.port} could not reach ${endpoint.name} (${route.host}:${route.port}): ${(err as Error).message}`,
          { master: endpoint.name, address: `${route.host}:${route.port}` },
        );
      }
    } else if (route.via.kind === 'proxy') {
      const command = expandProxyCommand(
        route.via.command,
        { host: route.host, port: route.port, user: route.user, original: endpoint.host },
        shellQuote,
      );
      proxy = startProxyCommand(command, senv.env);
      sock = proxy.sock as unknown as Ssh2Sock;
    }
    try {
      const opening = open(target, route.user, route.identityFile, settings, senv, sock);
      const ssh = proxy ? await raceProxy(opening, proxy, endpoint.name, route.via) : await opening;
      return new SshConnection(target, settings, ssh, bastion, proxy);
    } catch (err) {
      bastion?.dispose();
      proxy?.kill();
      throw err;
    }
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  isConnected(): boolean {
    return this.ssh.isConnected();
  }

  /**
   * Runs a command; resolves with its status whatever it is. The remote `timeout` kills it
   * after `timeoutS`; a local timer a few seconds later gives up on a silent connection.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutS = options.timeoutS ?? this.settings.commandTimeoutS;
    const wire = wrapCommand(command, timeoutS, this.settings.sudo);
    const started = performance.now();
    let channel: Ssh2Channel | undefined;
    let timer: SafeTimer | undefined;
    const localLimit = new Promise<never>((_, reject) => {
      timer = setSafeTimeout(
        () => {
          channel?.close();
          reject(
            new RemoteCommandError({
              master: this.endpoint.name,
              address: this.address,
              command,
              timedOut: true,
              stderr: 'no answer from the SSH connection',
            }),
          );
        },
        (timeoutS + 5) * 1000,
      );
    });
    try {
      const res = await Promise.race([
        this.ssh.execCommand(wire, { onChannel: (c) => (channel = c) }),
        localLimit,
      ]);
      const durationMs = performance.now() - started;
      // timeout(1) -s KILL kills its own process group too: the status is 137, or the session
      // itself ends by KILL. Only a kill at the bound counts as ours.
      const killed = res.code === 137 || res.signal === 'KILL' || res.signal === 'SIGKILL';
      const timedOut = killed && durationMs >= timeoutS * 1000 - 250;
      return { ...res, timedOut, durationMs };
    } catch (err) {
      if (err instanceof SshError) throw err;
      throw new SshError(
        'E_SSH_EXEC',
        `on ${this.endpoint.name} (${this.address}) \`${command}\` could not run: ${(err as Error).message}`,
        { master: this.endpoint.name, address: this.address, command },
      );
    } finally {
      timer?.clear();
    }
  }

  /**
   * `n` readings of the master's clock over one open channel (clock-ping.ts), each with the
   * laptop's `now()` when its ping was sent and its answer came back; fewer if it stalls.
   */
  async readClock(n: number, now: () => number, timeoutS = 5): Promise<PingSample[]> {
    const stdin = new PassThrough();
    let onData: (chunk: string) => void = () => undefined;
    const running = this.ssh
      .execCommand(wrapCommand(CLOCK_PING_COMMAND, timeoutS + 1, false), {
        stdin,
        onStdout: (chunk) => onData(chunk.toString('utf8')),
      })
      .catch(() => undefined);
    const samples = await pingClock(
      { write: (line) => stdin.write(line), end: () => stdin.end(), onData: (l) => (onData = l) },
      n,
      now,
      timeoutS * 1000,
    );
    await running;
    return samples;
  }

  /** Runs a command and throws RemoteCommandError unless it exits 0. */
  async run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const res = await this.exec(command, options);
    if (res.code !== 0 || res.timedOut) {
      throw new RemoteCommandError({
        master: this.endpoint.name,
        address: this.address,
        command,
        exitCode: res.code,
        signal: res.signal,
        stderr: trimOutput(res.stderr || res.stdout),
        timedOut: res.timedOut,
      });
    }
    return res;
  }

  /**
   * One direct-tcpip channel to `host:port` as the master sees it (what `ssh -L` opens per
   * connection); one that cannot open is E_SSH_TUNNEL naming the master and the target.
   */
  async openChannel(host: string, port: number, srcPort = 0): Promise<Duplex> {
    try {
      return (await this.ssh.forwardOut('127.0.0.1', srcPort, host, port)) as unknown as Duplex;
    } catch (err) {
      throw new SshError(
        'E_SSH_TUNNEL',
        `tunnel over SSH to ${this.endpoint.name} (${this.address}) could not open ${host}:${port}: ${(err as Error).message}`,
        { master: this.endpoint.name, address: this.address },
        { cause: err },
      );
    }
  }

  /**
   * A local port on 127.0.0.1 whose connections are forwarded over this SSH connection to
   * `host:port` as the master sees it (ssh -L). Each accepted socket gets its own channel; one
   * that cannot open is closed at once and reported through `onError`.
   */
  async forwardLocal(
    host: string,
    port: number,
    onError: (err: Error) => void = () => undefined,
  ): Promise<LocalForward> {
    const server = createServer((local) => {
      local.on('error', () => undefined);
      this.openChannel(host, port, local.remotePort ?? 0).then(
        (remote) => {
          remote.on('error', () => local.destroy());
          local.pipe(remote).pipe(local);
        },
        (err: Error) => {
          local.destroy();
          onError(err);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return { port: addr.port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  close(): void {
    this.ssh.dispose();
    this.bastion?.dispose();
    this.proxy?.kill();
  }
}
