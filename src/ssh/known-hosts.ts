/**
 * known_hosts checking, as OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * plain host patterns (comma lists, `*`/`?` wildcards, `!` negation), `[host]:port` for
 * non-default ports, hashed `|1|salt|hash` entries (HMAC-SHA1 of the host name keyed by the
 * salt), `@revoked` markers (a matching key is refused) and `@cert-authority` lines (found here,
 * checked against the host's certificate in host-cert.ts).
 */
import { createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line in the file, for messages */
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** the host field as written */
  hosts: string;
  keyType: string;
  /** the base64 key blob */
  key: string;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; expected: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH skips the line too
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    entries.push({ line: i + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return hash === parts[3];
}

/** Does the host field of an entry name this host and port? */
export function hostsFieldMatches(field: string, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The entries (revoked ones included, CA lines excluded) that apply to host:port. */
export function entriesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((e) => e.marker !== 'cert-authority' && hostsFieldMatches(e.hosts, host, port));
}

/**
 * `@cert-authority` lines whose host patterns name host:port. ssh2 (1.17) offers and parses only
 * plain host key algorithms (no `*-cert-v01@openssh.com`), so the certificate is fetched apart
 * (host-cert-fetch.ts) and must certify the key ssh2's key exchange proved.
 */
export function certAuthoritiesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((e) => e.marker === 'cert-authority' && hostsFieldMatches(e.hosts, host, port));
}

/** Reads the key type out of an SSH wire-format public key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Checks the key a server presented (SSH wire format) against the entries for host:port. */
export function verifyHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  presented: Buffer,
): HostKeyVerdict {
  const mine = entriesFor(entries, host, port);
  const presentedB64 = presented.toString('base64');
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key === presentedB64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const known = mine.filter((e) => e.marker === null);
  const match = known.find((e) => e.key === presentedB64);
  if (match) return { status: 'ok', entry: match };
  return known.length === 0 ? { status: 'unknown' } : { status: 'changed', expected: known };
}

/**
 * The host key algorithms to offer so the server presents a key type we know for it (as
 * OpenSSH orders them): RSA keys are signed with rsa-sha2-* nowadays.
 */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const algos: string[] = [];
  for (const t of keyTypes) {
    const add = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of add) if (!algos.includes(a)) algos.push(a);
  }
  return algos;
}
