/** One SSH connection per master, opened on first use, reused for the run, closed at the end. */
import { SshConnection, type SshEndpoint, type SshEnv, type SshSettings } from './client.js';

export class SshPool {
  private readonly connections = new Map<string, Promise<SshConnection>>();

  constructor(
    private readonly settings: SshSettings,
    private readonly senv: SshEnv,
  ) {}

  /** The connection to a master; reconnects when the previous one dropped. */
  async get(endpoint: SshEndpoint): Promise<SshConnection> {
    const existing = this.connections.get(endpoint.name);
    if (existing) {
      const conn = await existing.catch(() => undefined);
      if (conn?.isConnected()) return conn;
      conn?.close();
    }
    const next = SshConnection.connect(endpoint, this.settings, this.senv);
    this.connections.set(endpoint.name, next);
    next.catch(() => this.connections.delete(endpoint.name));
    return next;
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }
}
