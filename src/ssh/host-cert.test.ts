/**
 * Host certificates made by the real ssh-keygen (OpenSSH), parsed and checked as ssh(1) would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateProblem, parseHostCertificate, type HostCertificate } from './host-cert.js';

let dir: string;
const keygen = (args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { stdio: 'pipe' });
const blobOf = (file: string): Buffer =>
  Buffer.from(readFileSync(file, 'utf8').trim().split(/\s+/)[1]!, 'base64');
const key = (name: string, type: string, bits?: number) => {
  const file = path.join(dir, name);
  keygen(['-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', name, '-f', file]);
  return file;
};
/** signs a copy of host key `host` with `ca`, returns the certificate blob */
let serial = 0;
function sign(ca: string, host: string, extra: string[]): Buffer {
  serial += 1;
  const copy = path.join(dir, `cert-${serial}`);
  writeFileSync(`${copy}.pub`, readFileSync(`${host}.pub`));
  keygen(['-s', ca, '-I', `host-${serial}`, '-z', String(serial), ...extra, `${copy}.pub`]);
  return blobOf(`${copy}-cert.pub`);
}

let caEd: string, caRsa: string, caEc: string, otherCa: string;
let hostEd: string, hostRsa: string, hostEc: string;
const now = () => Date.now() / 1000;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kha-host-cert-'));
  caEd = key('ca_ed', 'ed25519');
  caRsa = key('ca_rsa', 'rsa', 2048);
  caEc = key('ca_ec', 'ecdsa', 384);
  otherCa = key('other_ca', 'ed25519');
  hostEd = key('host_ed', 'ed25519');
  hostRsa = key('host_rsa', 'rsa', 2048);
  hostEc = key('host_ec', 'ecdsa', 256);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(cert: HostCertificate, over: Partial<Parameters<typeof certificateProblem>[0]> = {}) {
  return certificateProblem({
    cert,
    kexKey: blobOf(`${hostEd}.pub`),
    host: 'master-1.example',
    authorities: [blobOf(`${caEd}.pub`).toString('base64')],
    revoked: [],
    now: now(),
    ...over,
  });
}

describe('host certificates (ssh-keygen -s … -h)', () => {
  it('parses what ssh-keygen wrote: type, principals, validity, the certified key, the CA key', () => {
    const cert = parseHostCertificate(
      sign(caEd, hostEd, ['-h', '-n', 'master-1.example,198.18.9.11', '-V', '20300101:20300201']),
    );
    expect(cert.certType).toBe('ssh-ed25519-cert-v01@openssh.com');
    expect(cert.type).toBe(2);
    expect(cert.principals).toEqual(['master-1.example', '198.18.9.11']);
    expect(cert.key.equals(blobOf(`${hostEd}.pub`))).toBe(true);
    expect(cert.signatureKey.equals(blobOf(`${caEd}.pub`))).toBe(true);
    expect(cert.signatureAlgorithm).toBe('ssh-ed25519');
    // ssh-keygen -V takes local dates; both ends lie within a day of UTC midnight
    expect(Math.abs(Number(cert.validAfter) - Date.UTC(2030, 0, 1) / 1000)).toBeLessThanOrEqual(86_400);
    expect(Math.abs(Number(cert.validBefore) - Date.UTC(2030, 1, 1) / 1000)).toBeLessThanOrEqual(86_400);
  });

  const accepted: Array<[string, () => string, () => string]> = [
    ['ed25519 CA, ed25519 host key', () => caEd, () => hostEd],
    ['RSA CA (rsa-sha2-512), RSA host key', () => caRsa, () => hostRsa],
    ['ECDSA P-384 CA, ECDSA P-256 host key', () => caEc, () => hostEc],
  ];
  it.each(accepted)('accepts a valid certificate: %s', (_name, ca, host) => {
    const cert = parseHostCertificate(sign(ca(), host(), ['-h', '-n', 'master-1.example', '-V', '-5m:+1h']));
    expect(
      check(cert, {
        kexKey: blobOf(`${host()}.pub`),
        authorities: [blobOf(`${ca()}.pub`).toString('base64')],
      }),
    ).toBeUndefined();
  });

  it('accepts a wildcard principal, as OpenSSH does for host certificates', () => {
    const cert = parseHostCertificate(sign(caEd, hostEd, ['-h', '-n', '*.example', '-V', '-5m:+1h']));
    expect(check(cert)).toBeUndefined();
    expect(check(cert, { host: 'master-1.elsewhere' })).toMatch(/principals \(\*\.example\) do not name/);
  });

  type Over = Partial<Parameters<typeof certificateProblem>[0]>;
  const refused: Array<[string, () => Buffer, RegExp, (() => Over)?]> = [
    ['signed by another CA', () => sign(otherCa, hostEd, ['-h', '-n', 'master-1.example']), /CA not listed/],
    [
      'expired',
      () => sign(caEd, hostEd, ['-h', '-n', 'master-1.example', '-V', '20200101:20200102']),
      /expired 2020-01-0/,
    ],
    [
      'not yet valid',
      () => sign(caEd, hostEd, ['-h', '-n', 'master-1.example', '-V', '+1d:+2d']),
      /not valid yet/,
    ],
    [
      'a wrong principal',
      () => sign(caEd, hostEd, ['-h', '-n', 'master-2.example']),
      /do not name master-1\.example/,
    ],
    ['no principals', () => sign(caEd, hostEd, ['-h']), /no principals/],
    ['a user certificate', () => sign(caEd, hostEd, ['-n', 'master-1.example']), /not a host certificate/],
    [
      'a certificate of another key than the server proved',
      () => sign(caEd, hostRsa, ['-h', '-n', 'master-1.example']),
      /another key/,
    ],
    [
      'a CA marked @revoked',
      () => sign(caEd, hostEd, ['-h', '-n', 'master-1.example']),
      /CA key is @revoked/,
      () => ({ revoked: [blobOf(`${caEd}.pub`).toString('base64')] }),
    ],
    [
      'whose host key is @revoked',
      () => sign(caEd, hostEd, ['-h', '-n', 'master-1.example']),
      /its key is @revoked/,
      () => ({ revoked: [blobOf(`${hostEd}.pub`).toString('base64')] }),
    ],
  ];
  it.each(refused)('refuses a certificate %s', (_name, make, reason, over) => {
    expect(check(parseHostCertificate(make()), over?.())).toMatch(reason);
  });

  it('refuses SHA-1 ssh-rsa CA signatures and certificates whose signed bytes were altered', () => {
    const sha1 = parseHostCertificate(sign(caRsa, hostEd, ['-h', '-n', 'master-1.example', '-t', 'ssh-rsa']));
    expect(sha1.signatureAlgorithm).toBe('ssh-rsa');
    expect(check(sha1, { authorities: [blobOf(`${caRsa}.pub`).toString('base64')] })).toMatch(
      /signature \(ssh-rsa\) does not verify/,
    );
    const blob = Buffer.from(sign(caEd, hostEd, ['-h', '-n', 'master-1.example']));
    // the principal's last letter, inside the signed bytes: master-1.example → master-1.examplf
    const at = blob.indexOf(Buffer.from('master-1.example')) + 'master-1.example'.length - 1;
    blob[at] = blob[at]! + 1;
    expect(check(parseHostCertificate(blob), { host: 'master-1.examplf' })).toMatch(/does not verify/);
  });

  it('refuses what is not a certificate, or is cut short', () => {
    expect(() => parseHostCertificate(blobOf(`${hostEd}.pub`))).toThrow(/not a certificate/);
    const blob = sign(caEd, hostEd, ['-h', '-n', 'master-1.example']);
    expect(() => parseHostCertificate(blob.subarray(0, blob.length - 10))).toThrow(/truncated/);
  });
});
