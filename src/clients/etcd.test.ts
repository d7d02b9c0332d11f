import { createServer as httpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { compareU64, EtcdCluster, EtcdMemberClient, memberIdHex, prefixRangeEnd } from './etcd.js';

describe('etcd values', () => {
  it.each([
    ['1138377751135557090', 'fcc548884a495e2'],
    ['16154476887637098329', 'e0303b23a3ddff59'],
  ])('member id %s is %s in hex, as etcdctl prints it', (dec, hex) => expect(memberIdHex(dec)).toBe(hex));

  it('compares 64-bit values exactly', () => {
    expect(compareU64('18446744073709551615', '18446744073709551614')).toBe(1);
    expect(compareU64('9007199254740993', '9007199254740992')).toBe(1); // equal as JS numbers
    expect(compareU64('2', '10')).toBe(-1);
    expect(compareU64('7', '7')).toBe(0);
  });

  it.each([
    ['/kha-drill/probe/r1/', '/kha-drill/probe/r10'],
    ['abc', 'abd'],
  ])('range end of %j is %j', (prefix, end) => expect(prefixRangeEnd(prefix).toString('utf8')).toBe(end));
});

describe('EtcdMemberClient against a frozen member', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = null;
  });

  /** Accepts connections and never answers, like a SIGSTOPped etcd. */
  async function frozen(): Promise<string> {
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const addr = server.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  it('answers within its deadline with the error, never hangs', async () => {
    const client = new EtcdMemberClient(await frozen());
    const started = performance.now();
    const s = await client.status({ timeoutMs: 150 });
    const took = performance.now() - started;
    client.close();
    expect(s.ok).toBe(false);
    expect(s.errors[0]).toMatch(/no answer within 150 ms/);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
  });

  it("the gateway's plain-text refusal under etcd auth is one line", async () => {
    const refusing = httpServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(
        'CommonName of client sending a request against gateway will be ignored and not used as expected\n',
      );
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const addr = refusing.address();
    const client = new EtcdMemberClient(
      `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    );
    const s = await client.status({ timeoutMs: 1000 });
    client.close();
    await new Promise((r) => refusing.close(r));
    expect(s.errors).toEqual([
      'HTTP 400: CommonName of client sending a request against gateway will be ignored and not used as expected',
    ]);
  });

  it('a refused member is an error row at once', async () => {
    const s = await new EtcdMemberClient('http://127.0.0.1:1').status({ timeoutMs: 1000 });
    expect(s).toMatchObject({ ok: false, errors: [expect.stringMatching(/ECONNREFUSED/)] });
  });

  it('writes fail over to the next member and remember the one that worked', async () => {
    const cluster = new EtcdCluster([
      { name: 'a', endpoint: 'http://127.0.0.1:1' },
      { name: 'b', endpoint: 'http://127.0.0.1:2' },
    ]);
    const tried: string[] = [];
    const result = await cluster.withAnyMember(async (_c, name) => {
      tried.push(name);
      if (name === 'a') throw new Error('down');
      return name;
    }, 1000);
    expect(result).toBe('b');
    await cluster.withAnyMember(async (_c, name) => tried.push(name), 1000);
    expect(tried).toEqual(['a', 'b', 'b']);
    cluster.close();
  });

  it('a member that hangs past the deadline is not asked first again', async () => {
    const cluster = new EtcdCluster([
      { name: 'a', endpoint: 'http://127.0.0.1:1' },
      { name: 'b', endpoint: 'http://127.0.0.1:2' },
    ]);
    const tried: string[] = [];
    const op = async (_c: unknown, name: string) => {
      tried.push(name);
      if (name === 'a') {
        await new Promise((r) => setTimeout(r, 60)); // a partitioned member: no answer in time
        throw new Error('deadline exceeded');
      }
      return name;
    };
    await expect(cluster.withAnyMember(op, 50)).rejects.toThrow('deadline exceeded');
    expect(await cluster.withAnyMember(op, 50)).toBe('b');
    expect(tried).toEqual(['a', 'b']);
    cluster.close();
  });
});
