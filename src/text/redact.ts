/**
 * Secrets never reach a report: every string of a RunResult and of the timeline passes
 * through `redactText` before anything is rendered or written. The patterns err on the side
 * of hiding: a certificate (not secret) is hidden with the keys, since both are noise there.
 */

const MARK = '[REDACTED]';

interface Rule {
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

const SECRET_KEY =
  '(?:client-key-data|client-key|private[-_]?key|passphrase|password|passwd|secret|token|api[-_]?key|credentials?)';
/** a quoted string or a bare word */
const VALUE = `("[^"]*"|'[^']*'|[^\\s"',;}]+)`;

const RULES: Rule[] = [
  // Whole PEM blocks (private keys, certificates, CSRs), and a block cut short by trimming.
  { pattern: /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g, replace: '[REDACTED PEM $1]' },
  { pattern: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*/g, replace: '[REDACTED PEM $1]' },
  // OpenSSH/PuTTY key bodies that lost their header.
  { pattern: /\b(PuTTY-User-Key-File-\d+|b3BlbnNzaC1rZXktdjE)[\s\S]*/g, replace: '[REDACTED KEY]' },
  // HTTP authorization headers and bearer tokens.
  { pattern: /\b(authorization\s*[:=]\s*)(bearer|basic)?\s*[^\s"',;]+/gi, replace: `$1$2 ${MARK}` },
  { pattern: /\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${MARK}` },
  // JSON Web Tokens (service-account tokens).
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: MARK },
  // kubeadm bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}
  { pattern: /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, replace: MARK },
  // key: value and key=value for secret-looking keys (kubeconfig, env, YAML, JSON) ...
  {
    pattern: new RegExp(
      `((?:^|[^A-Za-z0-9])[A-Za-z0-9_.-]*?${SECRET_KEY}[A-Za-z0-9_-]*["']?\\s*[:=]\\s*)${VALUE}`,
      'gim',
    ),
    replace: `$1${MARK}`,
  },
  // ... and command-line flags: --password x, --token=x
  {
    pattern: new RegExp(`(--[A-Za-z0-9-]*${SECRET_KEY}[A-Za-z0-9-]*(?:=|\\s+))${VALUE}`, 'gi'),
    replace: `$1${MARK}`,
  },
  // user:password@ in URLs.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, replace: `$1:${MARK}@` },
  // Long base64 runs (key or certificate material without any header).
  {
    pattern: /[A-Za-z0-9+/]{100,}={0,2}/g,
    replace: (m: string) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m) ? '[REDACTED base64]' : m),
  },
];

/**
 * Something every rule needs to match: a string without any of these is left as it is, which
 * spares the timeline's many short strings (master names, event kinds) all of the rules above.
 * Each alternative is a part the rules require: `-----BEGIN`, the key markers, `authorization`,
 * `bearer`, `eyJ`, a bootstrap token, a SECRET_KEY word (each holds one of these), `@` of a URL
 * with a password, a 100-character base64 run.
 */
const MAY_HOLD_SECRET =
  /-----BEGIN|PuTTY-User-Key-File-|b3BlbnNzaC1rZXktdjE|authorization|bearer|eyJ|[a-z0-9]{6}\.[a-z0-9]{16}|key|passphrase|password|passwd|secret|token|credential|@|[A-Za-z0-9+/]{100}/i;

/** Hides secrets in one string; `literals` are extra exact values to hide (e.g. a known token). */
export function redactText(text: string, literals: readonly string[] = []): string {
  let out = text;
  for (const literal of literals) {
    if (literal.length >= 4) out = out.split(literal).join(MARK);
  }
  return MAY_HOLD_SECRET.test(out) ? applyRules(out) : out;
}

/** Every rule, on any string (redactText skips the strings no rule can match). */
export function applyRules(text: string): string {
  let out = text;
  for (const rule of RULES) {
    out =
      typeof rule.replace === 'string'
        ? out.replace(rule.pattern, rule.replace)
        : out.replace(rule.pattern, rule.replace);
  }
  return out;
}

/** A deep copy of `value` with every string (not object keys) passed through `redactText`. */
export function redactDeep<T>(value: T, literals: readonly string[] = []): T {
  return walk(value, literals) as T;
}

function walk(value: unknown, literals: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, literals);
  if (Array.isArray(value)) return value.map((v) => walk(v, literals));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, literals);
    return out;
  }
  return value;
}
