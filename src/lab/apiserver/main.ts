/** Entry point: `node dist/lab/apiserver/main.js --name master-1 --listen 127.0.10.1:6443 --etcd …`. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { USAGE, parseApiServerArgs } from './args.js';
import { EtcdClient } from './etcd.js';
import { LabApiServer } from './server.js';

const log = (line: string): void => {
  process.stdout.write(line + '\n');
};

async function main(argv: string[]): Promise<void> {
  let args;
  try {
    args = parseApiServerArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
  const etcd = new EtcdClient({
    endpoints: args.etcd,
    ca: read(args.etcdCa),
    cert: read(args.etcdCert),
    key: read(args.etcdKey),
    timeoutMs: args.etcdTimeoutMs,
  });
  const server = new LabApiServer({
    name: args.name,
    host: args.host,
    port: args.port,
    etcd,
    tls:
      args.tlsCert && args.tlsKey
        ? { cert: read(args.tlsCert)!, key: read(args.tlsKey)!, clientCa: read(args.clientCa) }
        : undefined,
    compactIntervalMs: args.compactIntervalMs,
    bookmarkIntervalMs: args.bookmarkIntervalMs,
    watchTimeoutMs: args.watchTimeoutMs,
    log,
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.lifecycle(`received ${signal}, shutting down`);
    // Hard stop well inside the 1 s budget even if a connection lingers.
    setTimeout(() => {
      server.lifecycle('stopped (forced)');
      process.exit(0);
    }, 800).unref();
    void server.close().then(() => {
      etcd.close();
      server.lifecycle('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await server.listen();
  } catch (e) {
    process.stderr.write(`error: cannot listen on ${args.host}:${args.port}: ${(e as Error).message}\n`);
    process.exitCode = 1;
    etcd.close();
  }
}

await main(process.argv.slice(2));
