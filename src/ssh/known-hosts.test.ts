import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certAuthoritiesFor,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  parseKnownHosts,
  verifyHostKey,
} from './known-hosts.js';

let dir: string;
function newKey(name: string): { line: string; blob: Buffer } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const [type, b64] = line.split(' ');
  return { line: `${type} ${b64}`, blob: Buffer.from(b64 as string, 'base64') };
}

let a: { line: string; blob: Buffer };
let b: { line: string; blob: Buffer };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kha-kh-'));
  a = newKey('a');
  b = newKey('b');
});

describe('known_hosts', () => {
  it('matches a plain entry on port 22 only', () => {
    const e = parseKnownHosts(`# comment\n\n10.0.0.1 ${a.line}\n`);
    expect(verifyHostKey(e, '10.0.0.1', 22, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, '10.0.0.1', 2222, a.blob).status).toBe('unknown');
    expect(verifyHostKey(e, '10.0.0.2', 22, a.blob).status).toBe('unknown');
  });

  it('matches [host]:port entries and comma lists', () => {
    const e = parseKnownHosts(`master-1,[127.0.10.1]:2222 ${a.line}\n`);
    expect(verifyHostKey(e, '127.0.10.1', 2222, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, 'master-1', 22, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, '127.0.10.1', 22, a.blob).status).toBe('unknown');
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `127.0.10.1 ${a.line}\n[127.0.10.2]:2200 ${b.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('127.0.10');
    const e = parseKnownHosts(text);
    expect(e.every((x) => x.hosts.startsWith('|1|'))).toBe(true);
    expect(verifyHostKey(e, '127.0.10.1', 22, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, '127.0.10.2', 2200, b.blob).status).toBe('ok');
    expect(verifyHostKey(e, '127.0.10.2', 22, b.blob).status).toBe('unknown');
    expect(verifyHostKey(e, '127.0.10.1', 22, b.blob).status).toBe('changed');
  });

  it('reports a changed key with the expected entries', () => {
    const e = parseKnownHosts(`10.0.0.1 ${a.line}\n`);
    const v = verifyHostKey(e, '10.0.0.1', 22, b.blob);
    expect(v).toMatchObject({ status: 'changed', expected: [{ line: 1 }] });
  });

  it('honours wildcards and negation', () => {
    const e = parseKnownHosts(`10.0.0.*,!10.0.0.9 ${a.line}\n`);
    expect(verifyHostKey(e, '10.0.0.5', 22, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, '10.0.0.9', 22, a.blob).status).toBe('unknown');
  });

  it('refuses @revoked keys and ignores @cert-authority lines and unknown markers', () => {
    const e = parseKnownHosts(
      `@revoked 10.0.0.1 ${b.line}\n@cert-authority 10.0.0.* ${b.line}\n@weird 10.0.0.1 ${b.line}\n10.0.0.1 ${a.line}\n`,
    );
    expect(verifyHostKey(e, '10.0.0.1', 22, b.blob).status).toBe('revoked');
    expect(verifyHostKey(e, '10.0.0.1', 22, a.blob).status).toBe('ok');
    expect(verifyHostKey(e, '10.0.0.2', 22, b.blob).status).toBe('unknown');
    expect(certAuthoritiesFor(e, '10.0.0.2', 22).map((x) => x.line)).toEqual([2]);
    expect(certAuthoritiesFor(e, '10.0.1.2', 22)).toEqual([]);
  });

  it('reads the key type from the blob and orders algorithms', () => {
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
});
