/**
 * OpenSSH host certificates (PROTOCOL.certkeys), parsed and checked against `@cert-authority`
 * lines as ssh(1) checks them (sshconnect.c check_host_cert, sshkey_cert_check_authority): a
 * host certificate, valid now, no critical options, a principal naming the host, signed by a CA
 * key of a `@cert-authority` line for the host (not `@revoked`), with a signature algorithm
 * OpenSSH accepts by default (not SHA-1 `ssh-rsa`), and certifying exactly the key the server
 * proved it holds in the key exchange. Pure: Node crypto only.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** key fields after the type string, per plain key type (the cert carries them after the nonce) */
const KEY_FIELDS: Record<string, number> = {
  'ssh-ed25519': 1,
  'ssh-rsa': 2,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
};
const CERT_SUFFIX = '-cert-v01@openssh.com';
export const HOST_CERT = 2;

export interface HostCertificate {
  certType: string;
  /** the certified plain public key, SSH wire format */
  key: Buffer;
  serial: bigint;
  type: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: Buffer;
  /** the CA's public key, SSH wire format */
  signatureKey: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  /** the bytes the CA signed: everything before the signature field */
  signed: Buffer;
}

export class CertFormatError extends Error {}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get offset(): number {
    return this.pos;
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
  uint32(): number {
    if (this.pos + 4 > this.buf.length) throw new CertFormatError('truncated');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint64(): bigint {
    if (this.pos + 8 > this.buf.length) throw new CertFormatError('truncated');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  string(): Buffer {
    const len = this.uint32();
    if (this.pos + len > this.buf.length) throw new CertFormatError('truncated');
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
}

const sshString = (b: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};

export function parseHostCertificate(blob: Buffer): HostCertificate {
  const r = new Reader(blob);
  const certType = r.string().toString('latin1');
  if (!certType.endsWith(CERT_SUFFIX)) throw new CertFormatError(`not a certificate (${certType})`);
  const plainType = certType.slice(0, -CERT_SUFFIX.length);
  const fields = KEY_FIELDS[plainType];
  if (fields === undefined) throw new CertFormatError(`unsupported certificate type ${certType}`);
  r.string(); // nonce
  const keyStart = r.offset;
  for (let i = 0; i < fields; i++) r.string();
  const key = Buffer.concat([sshString(Buffer.from(plainType, 'latin1')), blob.subarray(keyStart, r.offset)]);
  const serial = r.uint64();
  const type = r.uint32();
  const keyId = r.string().toString('utf8');
  const packed = new Reader(r.string());
  const principals: string[] = [];
  while (!packed.done) principals.push(packed.string().toString('utf8'));
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  const criticalOptions = r.string();
  r.string(); // extensions
  r.string(); // reserved
  const signatureKey = r.string();
  const signed = blob.subarray(0, r.offset);
  const sig = new Reader(r.string());
  const signatureAlgorithm = sig.string().toString('latin1');
  const signature = sig.string();
  if (!r.done) throw new CertFormatError('trailing bytes');
  return {
    certType,
    key,
    serial,
    type,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    signatureKey,
    signatureAlgorithm,
    signature,
    signed,
  };
}

const b64url = (b: Buffer): string => b.toString('base64url');
/** an SSH mpint without its sign byte */
const unsigned = (b: Buffer): Buffer => (b[0] === 0 ? b.subarray(1) : b);
const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

/** A plain SSH public key blob as a Node KeyObject. */
export function publicKeyObject(blob: Buffer): KeyObject {
  const r = new Reader(blob);
  const type = r.string().toString('latin1');
  if (type === 'ssh-ed25519') {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.string()) }, format: 'jwk' });
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(r.string());
    const n = unsigned(r.string());
    return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
  }
  const curve = CURVES[type.replace(/^ecdsa-sha2-/, '')];
  if (type.startsWith('ecdsa-sha2-') && curve) {
    r.string(); // curve name
    const q = r.string();
    if (q[0] !== 4 || q.length !== 1 + 2 * curve.size) throw new CertFormatError('unsupported EC point');
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.crv,
        x: b64url(q.subarray(1, 1 + curve.size)),
        y: b64url(q.subarray(1 + curve.size)),
      },
      format: 'jwk',
    });
  }
  throw new CertFormatError(`unsupported CA key type ${type}`);
}

/** ECDSA signatures are two mpints in SSH; Node wants r‖s at the curve's size. */
function ecdsaP1363(sig: Buffer, size: number): Buffer {
  const r = new Reader(sig);
  const pad = (x: Buffer) => {
    const u = unsigned(x);
    if (u.length > size) throw new CertFormatError('bad ECDSA signature');
    return Buffer.concat([Buffer.alloc(size - u.length), u]);
  };
  return Buffer.concat([pad(r.string()), pad(r.string())]);
}

/**
 * Does the CA key's signature over the certificate verify? The algorithm must fit the CA key
 * type; SHA-1 `ssh-rsa` is refused, as OpenSSH's default CASignatureAlgorithms refuses it.
 */
export function signatureValid(cert: HostCertificate): boolean {
  const caType = new Reader(cert.signatureKey).string().toString('latin1');
  const alg = cert.signatureAlgorithm;
  const key = publicKeyObject(cert.signatureKey);
  if (caType === 'ssh-ed25519' && alg === 'ssh-ed25519')
    return verify(null, cert.signed, key, cert.signature);
  if (caType === 'ssh-rsa' && (alg === 'rsa-sha2-256' || alg === 'rsa-sha2-512'))
    return verify(alg === 'rsa-sha2-256' ? 'sha256' : 'sha512', cert.signed, key, cert.signature);
  const curve = CURVES[caType.replace(/^ecdsa-sha2-/, '')];
  if (caType.startsWith('ecdsa-sha2-') && alg === caType && curve)
    return verify(
      curve.hash,
      cert.signed,
      { key, dsaEncoding: 'ieee-p1363' },
      ecdsaP1363(cert.signature, curve.size),
    );
  return false;
}

/** OpenSSH's wildcard principals for host certificates (`*`, `?`), case-insensitive like hosts. */
function principalMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

export interface CertCheckInput {
  cert: HostCertificate;
  /** the host key the server proved in the key exchange (wire format) */
  kexKey: Buffer;
  /** the host name ssh checks principals against (the dialled host) */
  host: string;
  /** base64 CA key blobs of the `@cert-authority` lines for this host */
  authorities: string[];
  /** base64 key blobs of the `@revoked` lines for this host */
  revoked: string[];
  /** seconds since the epoch */
  now: number;
}

/** Why the certificate does not vouch for the host, or undefined when it does. */
export function certificateProblem(c: CertCheckInput): string | undefined {
  const { cert } = c;
  if (cert.type !== HOST_CERT) return `it is not a host certificate (type ${cert.type})`;
  if (!cert.key.equals(c.kexKey)) return 'it certifies another key than the one the server proved it holds';
  const ca = cert.signatureKey.toString('base64');
  if (c.revoked.includes(ca)) return 'its CA key is @revoked';
  if (c.revoked.includes(cert.key.toString('base64'))) return 'its key is @revoked';
  if (!c.authorities.includes(ca)) return 'it is signed by a CA not listed as @cert-authority for this host';
  let ok: boolean;
  try {
    ok = signatureValid(cert);
  } catch {
    ok = false;
  }
  if (!ok) return `its CA signature (${cert.signatureAlgorithm}) does not verify`;
  const now = BigInt(Math.floor(c.now));
  if (now < cert.validAfter) return `it is not valid yet (from ${stamp(cert.validAfter)})`;
  if (now >= cert.validBefore) return `it expired ${stamp(cert.validBefore)}`;
  if (cert.criticalOptions.length > 0)
    return 'it carries critical options, which host certificates do not support';
  if (cert.principals.length === 0) return 'it names no principals';
  if (!cert.principals.some((p) => principalMatches(p, c.host)))
    return `its principals (${cert.principals.join(', ')}) do not name ${c.host}`;
  return undefined;
}

function stamp(t: bigint): string {
  return t >= 253402300799n ? 'forever' : new Date(Number(t) * 1000).toISOString().replace('.000Z', 'Z');
}
