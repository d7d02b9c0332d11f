/**
 * A minimal XML parser for checking junit.xml's structure in tests: elements, attributes, text,
 * the five predefined entities and numeric references, the XML declaration and comments.
 * Anything malformed (mismatched tags, a raw `<` or `&`, duplicate attributes) throws.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`raw '<' in text at ${where}`);
  return raw.replace(/&([^;\s]*);?/g, (m, name: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' at ${where}`);
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity &${name}; at ${where}`);
    return v;
  });
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const skipMisc = (): void => {
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('<?', i)) i = src.indexOf('?>', i) + 2;
      else if (src.startsWith('<!--', i)) i = src.indexOf('-->', i) + 3;
      else return;
    }
  };
  const NAME = /[A-Za-z_][\w.:-]*/y;
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) throw new Error(`expected a name at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') throw new Error(`expected '<' at ${i}`);
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      const attr = readName();
      if (attr in el.attrs) throw new Error(`duplicate attribute ${attr} at ${i}`);
      if (src[i] !== '=') throw new Error(`expected '=' at ${i}`);
      const q = src[i + 1];
      if (q !== '"' && q !== "'") throw new Error(`expected a quote at ${i + 1}`);
      const end = src.indexOf(q, i + 2);
      el.attrs[attr] = decode(src.slice(i + 2, end), i);
      i = end + 1;
    }
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${el.name}>`);
      el.text += decode(src.slice(i, lt), i);
      i = lt;
      if (src.startsWith('<!--', i)) {
        i = src.indexOf('-->', i) + 3;
      } else if (src.startsWith('</', i)) {
        i += 2;
        const name = readName();
        if (name !== el.name) throw new Error(`</${name}> closes <${el.name}> at ${i}`);
        while (/\s/.test(src[i] ?? '')) i++;
        if (src[i] !== '>') throw new Error(`expected '>' at ${i}`);
        i++;
        return el;
      } else {
        el.children.push(element());
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i < src.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
