/** Field and label selectors as kube-apiserver parses them for Leases. */

export class SelectorError extends Error {}

export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  op: '=' | '!=';
  value: string;
}

const KNOWN_FIELDS = ['metadata.name', 'metadata.namespace'] as const;

export function parseFieldSelector(input: string | null | undefined): FieldRequirement[] {
  if (!input) return [];
  const out: FieldRequirement[] = [];
  for (const raw of input.split(',')) {
    const term = raw.trim();
    if (!term) continue;
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    if (!(KNOWN_FIELDS as readonly string[]).includes(field)) {
      throw new SelectorError(
        `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    out.push({
      field: field as FieldRequirement['field'],
      op: m[2] === '!=' ? '!=' : '=',
      value: m[3]!.trim(),
    });
  }
  return out;
}

export function matchesFields(reqs: FieldRequirement[], name: string, namespace: string): boolean {
  return reqs.every((r) => {
    const actual = r.field === 'metadata.name' ? name : namespace;
    return r.op === '=' ? actual === r.value : actual !== r.value;
  });
}

/** The single name a selector pins, if any (lets a watch or list read one key). */
export function pinnedName(reqs: FieldRequirement[]): string | undefined {
  return reqs.find((r) => r.field === 'metadata.name' && r.op === '=')?.value;
}

export type LabelRequirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Splits on commas that are not inside parentheses. */
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';

export function parseLabelSelector(input: string | null | undefined): LabelRequirement[] {
  if (!input) return [];
  const out: LabelRequirement[] = [];
  for (const term of splitTerms(input)) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(term))) {
      const values = m[4]!.split(',').map((v) => v.trim());
      out.push({ key: m[1]!, op: m[3] === 'in' ? 'in' : 'notin', values });
    } else if ((m = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*(.*)$`).exec(term))) {
      out.push({ key: m[1]!, op: m[3] === '!=' ? 'notin' : 'in', values: [m[4]!.trim()] });
    } else if ((m = new RegExp(`^!\\s*(${KEY})$`).exec(term))) {
      out.push({ key: m[1]!, op: '!exists' });
    } else if ((m = new RegExp(`^(${KEY})$`).exec(term))) {
      out.push({ key: m[1]!, op: 'exists' });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${term}'`);
    }
  }
  return out;
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}
