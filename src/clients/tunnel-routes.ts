/**
 * Endpoints reached through a tunnel: while a set of routes is installed, every connection kha-drill
 * makes to one of their `host:port` (etcd polls, the write probe, API probes, Lease reads and
 * watches) is a stream the route dials (an SSH direct-tcpip channel, as `ssh -L` opens), with TLS
 * started over it. The URL is left as the inventory gives it, so the Host header, SNI and the
 * certificate check use the original host name or address, never 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { originOf } from '../config/reach.js';
import { tlsRequestOptions, type TlsMaterial } from './tls.js';

export interface TunnelRoute {
  /** names the way for messages, e.g. "SSH tunnel through master-1" */
  readonly via: string;
  /** one stream to `host:port` as the far end sees it; rejects with a one-line error */
  dial(host: string, port: number): Promise<Duplex>;
}

interface Installed {
  routes: ReadonlyMap<string, TunnelRoute>;
  agents: Map<string, http.Agent>;
}

const installed: Installed[] = [];

/** Routes `host:port` keys (originOf) until the returned function is called; the newest set wins. */
export function installTunnelRoutes(routes: ReadonlyMap<string, TunnelRoute>): () => void {
  const entry: Installed = { routes, agents: new Map() };
  installed.push(entry);
  return () => {
    const i = installed.indexOf(entry);
    if (i >= 0) installed.splice(i, 1);
    for (const a of entry.agents.values()) a.destroy();
    entry.agents.clear();
  };
}

export function tunnelRouteFor(url: string | URL): TunnelRoute | undefined {
  if (installed.length === 0) return undefined;
  const key = originOf(url);
  for (let i = installed.length - 1; i >= 0; i--) {
    const r = installed[i]!.routes.get(key);
    if (r) return r;
  }
  return undefined;
}

type Callback = (err: Error | null, stream: Duplex) => void;
type ConnectOptions = http.ClientRequestArgs & tls.ConnectionOptions;

/** A plain stream made to pass for a socket where the http client and its agent expect one. */
export function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const name of ['setKeepAlive', 'setNoDelay', 'ref', 'unref'])
    if (typeof s[name] !== 'function') s[name] = () => s;
  if (typeof s.setTimeout !== 'function') s.setTimeout = () => s;
  return s;
}

/**
 * Dials `host:port` through the route and hands the http client a socket: TLS over the stream
 * for https (server name: the request's, else the URL's host unless it is an address), the
 * stream itself for http. A route that cannot dial fails the request with the route's error.
 */
export function dialThrough(
  route: TunnelRoute,
  secure: boolean,
  options: ConnectOptions,
  callback: Callback,
): void {
  const host = String(options.hostname ?? options.host ?? '').replace(/^\[|\]$/g, '');
  const port = Number(options.port ?? (secure ? 443 : 80));
  route.dial(host, port).then(
    (stream) => {
      if (!secure) return callback(null, asSocket(stream));
      const name = typeof options.servername === 'string' && options.servername ? options.servername : host;
      const { path: _path, ...rest } = options;
      void _path;
      const socket = tls.connect({
        ...rest,
        host,
        socket: stream,
        ...(isIP(name) ? {} : { servername: name }),
      });
      stream.once('error', (err: Error) => socket.destroy(err));
      callback(null, socket);
    },
    (err: Error) => callback(err, undefined as unknown as Duplex),
  );
}

/** A keep-alive https agent that sends routed endpoints through their tunnel. */
class RoutedHttpsAgent extends https.Agent {
  override createConnection(options: ConnectOptions, callback?: Callback): Duplex | null | undefined {
    const route = tunnelRouteFor(`https://${bracket(options)}:${options.port ?? 443}`);
    if (!route || !callback) return super.createConnection(options, callback);
    dialThrough(route, true, options, callback);
    return undefined;
  }
}

class RoutedHttpAgent extends http.Agent {
  override createConnection(options: ConnectOptions, callback?: Callback): Duplex | null | undefined {
    const route = tunnelRouteFor(`http://${bracket(options)}:${options.port ?? 80}`);
    if (!route || !callback) return super.createConnection(options, callback);
    dialThrough(route, false, options, callback);
    return undefined;
  }
}

function bracket(options: ConnectOptions): string {
  const h = String(options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
  return isIP(h) === 6 ? `[${h}]` : h;
}

/** A keep-alive agent for one endpoint, routed through its tunnel when one is installed for it. */
export function routedKeepAliveAgent(secure: boolean, options: https.AgentOptions): http.Agent {
  return secure ? new RoutedHttpsAgent(options) : new RoutedHttpAgent(options);
}

/**
 * For a request given no agent: the installed routes' keep-alive agent for this endpoint and
 * TLS material (so 100 ms probes reuse their channel), or undefined when it is not routed.
 */
export function tunnelAgentFor(url: string | URL, material: TlsMaterial | undefined): http.Agent | undefined {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (!tunnelRouteFor(u)) return undefined;
  const entry = installed[installed.length - 1]!;
  const secure = u.protocol === 'https:';
  const h = createHash('sha256')
    .update(originOf(u))
    .update(secure ? 's' : 'p');
  for (const part of [material?.ca, material?.cert, material?.key]) h.update(part ?? '').update('\0');
  h.update(`${material?.insecure ? 1 : 0}\0${material?.serverName ?? ''}`);
  const key = h.digest('hex');
  let agent = entry.agents.get(key);
  if (!agent) {
    agent = routedKeepAliveAgent(secure, {
      keepAlive: true,
      maxSockets: 16,
      ...(secure ? tlsRequestOptions(material) : {}),
    });
    entry.agents.set(key, agent);
  }
  return agent;
}
