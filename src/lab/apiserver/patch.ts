/**
 * PATCH bodies. Lease has no merge-keyed lists worth the name, so a strategic merge patch is applied as a
 * JSON merge patch after dropping its `$…` directives; JSON patch (RFC 6902) is supported too.
 */

export class PatchError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Removes strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`). */
export function stripDirectives(patch: unknown): Json {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (!isObject(patch)) return patch as Json;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapePointer);
}

function getAt(doc: Json, tokens: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, t) ? cur[t] : undefined;
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  const parent = getAt(doc, tokens.slice(0, -1));
  if (parent === undefined || typeof parent !== 'object' || parent === null) {
    throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return { parent, key: tokens[tokens.length - 1]! };
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const idx = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length)
      throw new PatchError(`invalid index in "${path}"`);
    parent.splice(idx, 0, value);
  } else (parent as Record<string, Json>)[key] = value;
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  const { parent, key } = parentOf(doc, tokens, path);
  if (getAt(doc, tokens) === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete (parent as Record<string, Json>)[key];
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 6902. */
export function jsonPatch(target: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('invalid JSON patch operation');
    }
    const { op, path } = raw;
    switch (op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(raw.value ?? null));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (getAt(doc, parsePointer(path)) === undefined)
          throw new PatchError(`doc is missing path: "${path}"`);
        doc = removeAt(doc, path);
        doc = addAt(doc, path, structuredClone(raw.value ?? null));
        break;
      case 'test':
        if (!deepEqual(getAt(doc, parsePointer(path)), raw.value))
          throw new PatchError(`testing value ${path} failed`);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new PatchError(`${op} operation needs "from"`);
        const value = getAt(doc, parsePointer(raw.from));
        if (value === undefined) throw new PatchError(`doc is missing from path: "${raw.from}"`);
        if (op === 'move') doc = removeAt(doc, raw.from);
        doc = addAt(doc, path, structuredClone(value));
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/json-patch+json') return 'json';
  return undefined;
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): Json {
  switch (type) {
    case 'merge':
      return mergePatch(target, patch);
    case 'strategic':
      return mergePatch(target, stripDirectives(patch));
    case 'json':
      return jsonPatch(target, patch);
  }
}
