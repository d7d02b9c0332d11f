/**
 * The host certificates a server offers, fetched with OpenSSH's own `ssh-keyscan -c`: ssh2 (under
 * node-ssh) cannot negotiate `*-cert-v01@openssh.com` host key algorithms, so it never sees one.
 * A certificate is a public document: where it came from does not matter, only that its CA
 * signature verifies and that it certifies the very key the server proved it holds in ssh2's key
 * exchange (host-cert.ts). ssh-keyscan runs only a key exchange: no authentication, nothing sent
 * that an impostor could use.
 */
import { execFile } from 'node:child_process';
import { certificateProblem, parseHostCertificate } from './host-cert.js';

export interface FetchedCertificates {
  blobs: Buffer[];
  /** ssh-keyscan's stderr when it found none (trimmed), for the message */
  error?: string;
}

export function fetchHostCertificates(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<FetchedCertificates> {
  // a host that ssh-keyscan would read as an option never reaches it
  if (host.startsWith('-')) return Promise.resolve({ blobs: [], error: `refusing host name ${host}` });
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  return new Promise((resolve) => {
    execFile(
      'ssh-keyscan',
      ['-c', '-T', seconds, '-p', String(port), host],
      { timeout: timeoutMs + 2_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        // `-c` prints `<cert type> <base64>` lines (no host field); older ones put the host first
        const blobs = stdout.split('\n').flatMap((l) => {
          const f = l.trim().split(/\s+/);
          const at = f.findIndex((x) => x.endsWith('-cert-v01@openssh.com'));
          return !l.startsWith('#') && at >= 0 && f[at + 1] ? [Buffer.from(f[at + 1]!, 'base64')] : [];
        });
        const why = (stderr || (err ? err.message : ''))
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('#'))
          .join(' | ')
          .slice(0, 200);
        resolve(blobs.length > 0 || !why ? { blobs } : { blobs, error: why });
      },
    );
  });
}

/** The plain host key algorithms of the certificates, to offer them first in the key exchange. */
export function certifiedKeyTypes(blobs: Buffer[]): string[] {
  const types: string[] = [];
  for (const b of blobs) {
    try {
      const t = parseHostCertificate(b).certType.replace(/-cert-v01@openssh\.com$/, '');
      if (!types.includes(t)) types.push(t);
    } catch {
      // judged (and reported) by certificateVerdict
    }
  }
  return types;
}

/**
 * Why the server's certificate does not vouch for `kexKey` (the key it proved in the key
 * exchange), or undefined when one does: the certificate for that key is checked against the
 * `@cert-authority` and `@revoked` keys for the host.
 */
export function certificateVerdict(args: {
  fetched: FetchedCertificates;
  host: string;
  kexKey: Buffer;
  authorities: string[];
  revoked: string[];
  now: number;
}): string | undefined {
  const { fetched } = args;
  if (fetched.blobs.length === 0)
    return `the server showed no host certificate to ssh-keyscan -c${fetched.error ? ` (${fetched.error})` : ''}`;
  const problems: string[] = [];
  for (const blob of fetched.blobs) {
    let cert;
    try {
      cert = parseHostCertificate(blob);
    } catch (err) {
      problems.push(`a certificate does not parse (${(err as Error).message})`);
      continue;
    }
    if (!cert.key.equals(args.kexKey)) continue;
    const problem = certificateProblem({ ...args, cert });
    if (problem === undefined) return undefined;
    problems.push(`its certificate (serial ${cert.serial}, id ${JSON.stringify(cert.keyId)}): ${problem}`);
  }
  return problems.length > 0
    ? problems.join('; ')
    : 'none of the certificates the server showed is for the key it proved in the key exchange';
}
