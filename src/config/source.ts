/**
 * Reading a YAML config file defensively and mapping document paths back to line:col.
 * Everything here refuses hostile input with a Problem instead of throwing.
 */
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  visit,
  Scalar,
  type Document,
  type Node,
} from 'yaml';
import type { Problem } from '../errors.js';
import { MAX_INPUT_BYTES, readBoundedFile } from '../fs/read-file.js';

export const MAX_FILE_BYTES = MAX_INPUT_BYTES;
/** Alias expansions allowed per document: plenty for anchors in real files, fatal to alias bombs. */
export const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

/** `masters[1].host` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** A parsed YAML document with what it takes to point at places in it. */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
  ) {}

  /** 1-based line and column of a 0-based offset into the text. */
  position(offset: number): { line: number; col: number } {
    return this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
  }

  problemAt(offset: number | undefined, path: readonly PathSegment[], message: string): Problem {
    const p: Problem = { file: this.file, message };
    if (path.length) p.path = formatPath(path);
    if (offset !== undefined) Object.assign(p, this.position(offset));
    return p;
  }

  /**
   * The deepest node along `path`, and whether the whole path was found. Missing keys point at
   * their parent mapping, which is where they would have to be added.
   */
  nodeAt(path: readonly PathSegment[]): { node: Node | undefined; complete: boolean } {
    let node: Node | undefined = this.doc.contents ?? undefined;
    for (const seg of path) {
      const next = childOf(node, seg);
      if (next === undefined) return { node, complete: false };
      node = next;
    }
    return { node, complete: true };
  }

  /** The key node of the last segment (for unknown keys), else the value's node. */
  keyOffset(path: readonly PathSegment[]): number | undefined {
    const parent = this.nodeAt(path.slice(0, -1)).node;
    const last = path[path.length - 1];
    if (isMap(parent) && typeof last === 'string') {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
    return this.offsetOf(path);
  }

  /** Offset of the value at `path` (or of the nearest existing ancestor). */
  offsetOf(path: readonly PathSegment[]): number | undefined {
    const { node } = this.nodeAt(path);
    return node?.range?.[0];
  }

  /**
   * Offset of the first character of a string value's content: after an opening quote. Escape
   * sequences inside double quotes may shift later characters; plain scalars are exact.
   */
  stringContentOffset(path: readonly PathSegment[]): number | undefined {
    const { node, complete } = this.nodeAt(path);
    if (!complete || !node?.range) return undefined;
    if (isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)) {
      return node.range[0] + 1;
    }
    if (isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED)) {
      return undefined;
    }
    return node.range[0];
  }
}

function childOf(node: Node | undefined, seg: PathSegment): Node | undefined {
  if (isAlias(node)) return undefined;
  if (isMap(node)) {
    const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
    return (pair?.value as Node | null | undefined) ?? undefined;
  }
  if (isSeq(node) && typeof seg === 'number') return (node.items[seg] as Node | undefined) ?? undefined;
  return undefined;
}

export type ReadResult = { ok: true; text: string } | { ok: false; problems: Problem[] };

/** Reads a file as UTF-8 text, refusing what is not a small text file. */
export function readConfigText(absPath: string, file: string): ReadResult {
  const fail = (message: string, pos?: { line: number; col: number }): ReadResult => ({
    ok: false,
    problems: [{ file, message, ...pos }],
  });
  const read = readBoundedFile(absPath, { maxBytes: MAX_FILE_BYTES, what: 'a YAML file' });
  if (!read.ok) return fail(read.message);
  const buf = read.data;
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    return fail('binary file: contains a NUL byte (expected YAML text)', positionInBuffer(buf, nul));
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return fail('not UTF-8 text (expected a UTF-8 YAML file)');
  }
  return { ok: true, text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

function positionInBuffer(buf: Buffer, at: number): { line: number; col: number } {
  const before = buf.subarray(0, at);
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === 0x0a) {
      line++;
      lastNl = i;
    }
  }
  return { line, col: at - lastNl };
}

export type ParseResult =
  { ok: true; source: YamlSource; value: unknown } | { ok: false; problems: Problem[] };

/** Parses YAML text into a plain value, refusing syntax errors, duplicate keys, tabs and alias bombs. */
export function parseConfigText(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
      // YAML 1.2 core schema: `no`, `on`, `yes` stay strings
      version: '1.2',
    });
  } catch (err) {
    // the yaml library reports its own errors in doc.errors; this is the stack limit or worse
    const message =
      err instanceof RangeError ? 'nested too deeply to read (expected ordinary nesting)' : String(err);
    return { ok: false, problems: [{ file, message: `cannot be parsed: ${message}` }] };
  }
  const source = new YamlSource(file, text, doc, lines);
  if (doc.errors.length) return { ok: false, problems: yamlErrors(source) };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      ok: false,
      problems: [{ file, message: 'file is empty (expected a kha-drill document with apiVersion and kind)' }],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const offset = firstAliasOffset(doc);
    const message =
      err instanceof ReferenceError && /alias/i.test(err.message)
        ? `too many alias expansions, a YAML alias bomb? (expected at most ${MAX_ALIAS_COUNT})`
        : err instanceof RangeError
          ? 'nested too deeply to read (expected ordinary nesting)'
          : `cannot be read as data: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, problems: [source.problemAt(offset, [], message)] };
  }
  return { ok: true, source, value };
}

function firstAliasOffset(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function yamlErrors(source: YamlSource): Problem[] {
  // one syntax error per line: the yaml library often reports follow-on errors at one place
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const err of source.doc.errors) {
    const at = err.pos[0];
    const key = err.code === 'DUPLICATE_KEY' ? `dup@${at}` : `line@${source.position(at).line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let message: string;
    switch (err.code) {
      case 'DUPLICATE_KEY':
        message = duplicateKeyMessage(source, at);
        break;
      case 'TAB_AS_INDENT':
        message = 'tab used for indentation (expected spaces)';
        break;
      case 'MULTIPLE_DOCS':
        message = 'more than one YAML document (expected one document per file)';
        break;
      default:
        message = /call stack/i.test(err.message)
          ? 'nested too deeply to read (expected ordinary nesting)'
          : `YAML syntax error: ${lowerFirst(err.message)} (expected valid YAML)`;
    }
    problems.push(source.problemAt(at, [], message));
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function duplicateKeyMessage(source: YamlSource, at: number): string {
  let message = 'duplicate key (each key may appear once in a mapping)';
  visit(source.doc, {
    Map(_, map) {
      const dup = map.items.find((it) => isScalar(it.key) && it.key.range?.[0] === at);
      if (!dup || !isScalar(dup.key)) return undefined;
      const name = String(dup.key.value);
      const first = map.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === name);
      const firstAt = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
      const where =
        firstAt !== undefined && firstAt !== at ? `; first at line ${source.position(firstAt).line}` : '';
      message = `duplicate key '${name}' (each key may appear once in a mapping${where})`;
      return visit.BREAK;
    },
  });
  return message;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
