/** Escaping for the XML-based formats (JUnit, HTML, SVG) and for Markdown table cells. */

// Characters XML 1.0 forbids even when escaped (C0 controls except tab, LF, CR; lone surrogates).
const INVALID_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// ANSI colour and cursor sequences that command outputs may carry.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

/** Text safe inside XML/HTML element content and double- or single-quoted attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Text safe in one Markdown table cell: one line, pipes and HTML escaped. */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

/** Inline code in a Markdown table cell (pipes escaped, as GFM requires even inside code). */
export function markdownCode(text: string): string {
  const one = text.replace(ANSI, '').replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  return one.includes('`') ? `\`\` ${one} \`\`` : `\`${one}\``;
}
