/**
 * A small XML parser for QuickFIX data dictionaries: elements, attributes, comments, processing
 * instructions, CDATA and the predefined entities. No namespaces, no DTDs (a DOCTYPE is skipped).
 * Every element remembers the line it starts on, so the loader's errors can name file, line and element.
 */

/** One XML element: name, attributes in source order, child elements, and its 1-based start line. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  readonly line: number;
}

/** A syntax error in the XML text: the loader turns it into a DictionaryError naming the file. */
export class XmlSyntaxError extends Error {
  /** 1-based line of the problem. */
  readonly line: number;
  /** The element being read when it happened (empty at top level). */
  readonly element: string;
  constructor(message: string, line: number, element: string) {
    super(message);
    this.name = "XmlSyntaxError";
    this.line = line;
    this.element = element;
  }
}

interface MutableElement {
  name: string;
  attrs: Map<string, string>;
  children: MutableElement[];
  line: number;
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;

/** Parses an XML document and returns its root element. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  let line = 1;
  const n = text.length;
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;

  const current = (): string => stack.length === 0 ? "" : stack[stack.length - 1]!.name;
  const fail = (msg: string, at = line): never => {
    throw new XmlSyntaxError(msg, at, current());
  };
  /** Moves to `to`, counting the newlines passed over. */
  const advance = (to: number): void => {
    for (let i = text.indexOf("\n", pos); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) line++;
    pos = to;
  };
  const skipTo = (needle: string, what: string): void => {
    const i = text.indexOf(needle, pos);
    if (i === -1) fail(`unterminated ${what}`);
    advance(i + needle.length);
  };
  const skipSpace = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
      pos++;
    }
  };
  const readName = (): string => {
    const start = pos;
    if (pos >= n || !NAME_START.test(text[pos]!)) fail("expected a name");
    pos++;
    while (pos < n && NAME_CHAR.test(text[pos]!)) pos++;
    return text.slice(start, pos);
  };

  while (pos < n) {
    const lt = text.indexOf("<", pos);
    if (lt === -1) {
      checkText(text.slice(pos), stack.length > 0, line, current());
      advance(n);
      break;
    }
    if (lt > pos) {
      const textLine = line;
      const chunk = text.slice(pos, lt);
      advance(lt);
      checkText(chunk, stack.length > 0, textLine, current());
    }
    if (text.startsWith("<!--", pos)) {
      skipTo("-->", "comment");
      continue;
    }
    if (text.startsWith("<?", pos)) {
      skipTo("?>", "processing instruction");
      continue;
    }
    if (text.startsWith("<![CDATA[", pos)) {
      if (stack.length === 0) fail("CDATA outside the root element");
      skipTo("]]>", "CDATA section");
      continue;
    }
    if (text.startsWith("<!DOCTYPE", pos)) {
      if (root !== undefined || stack.length > 0) fail("DOCTYPE after the root element");
      skipTo(">", "DOCTYPE");
      continue;
    }
    if (text.startsWith("</", pos)) {
      const at = line;
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== ">") fail(`expected '>' to close </${name}>`);
      pos++;
      const open = stack.pop();
      if (open === undefined) fail(`closing tag </${name}> without an opening tag`, at);
      if (open!.name !== name) {
        throw new XmlSyntaxError(
          `closing tag </${name}> does not match <${open!.name}> opened on line ${open!.line}`,
          at,
          open!.name,
        );
      }
      continue;
    }
    // A start tag.
    const at = line;
    pos++;
    const name = readName();
    const el: MutableElement = { name, attrs: new Map(), children: [], line: at };
    if (stack.length === 0) {
      if (root !== undefined) throw new XmlSyntaxError(`second root element <${name}>`, at, name);
      root = el;
    } else {
      stack[stack.length - 1]!.children.push(el);
    }
    stack.push(el);
    let selfClosing = false;
    for (;;) {
      const before = pos;
      skipSpace();
      if (pos >= n) fail(`unterminated start tag <${name}>`, at);
      const c = text[pos];
      if (c === ">") {
        pos++;
        break;
      }
      if (c === "/") {
        if (text[pos + 1] !== ">") fail(`expected '/>' in <${name}>`);
        pos += 2;
        selfClosing = true;
        break;
      }
      if (c === "<") fail(`start tag <${name}> is not closed with '>' or '/>'`, at);
      if (pos === before) fail(`expected whitespace before an attribute in <${name}>`);
      const attrLine = line;
      const attr = readName();
      skipSpace();
      if (text[pos] !== "=") fail(`expected '=' after attribute ${attr} in <${name}>`);
      pos++;
      skipSpace();
      const q = text[pos];
      if (q !== "'" && q !== '"') fail(`expected a quoted value for attribute ${attr} in <${name}>`);
      const close = text.indexOf(q!, pos + 1);
      if (close === -1) fail(`unterminated value of attribute ${attr} in <${name}>`, attrLine);
      const raw = text.slice(pos + 1, close);
      if (raw.includes("<")) fail(`'<' in the value of attribute ${attr} in <${name}>`, attrLine);
      advance(close + 1);
      if (el.attrs.has(attr)) fail(`attribute ${attr} repeated in <${name}>`, attrLine);
      el.attrs.set(attr, decodeEntities(raw, attrLine, name));
    }
    if (selfClosing) stack.pop();
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    throw new XmlSyntaxError(`element <${open.name}> is not closed (end of file)`, line, open.name);
  }
  if (root === undefined) throw new XmlSyntaxError("no root element", line, "");
  return root;
}

/** Text between tags: only whitespace outside the root; entities must be well formed inside. */
function checkText(chunk: string, inRoot: boolean, line: number, element: string): void {
  if (!inRoot) {
    if (chunk.trim() !== "") throw new XmlSyntaxError("text outside the root element", line, element);
    return;
  }
  if (chunk.includes("&")) decodeEntities(chunk, line, element);
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Replaces the predefined entities and character references. */
function decodeEntities(s: string, line: number, element: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&([^;\s&]*);?/g, (m, body: string) => {
    if (!m.endsWith(";")) throw new XmlSyntaxError(`unterminated entity '${m}'`, line, element);
    const named = ENTITIES[body];
    if (named !== undefined) return named;
    const code = body.startsWith("#x")
      ? Number.parseInt(body.slice(2), 16)
      : body.startsWith("#")
      ? Number.parseInt(body.slice(1), 10)
      : NaN;
    if (!Number.isFinite(code) || code < 0 || code > 0x10ffff) {
      throw new XmlSyntaxError(`unknown entity '${m}'`, line, element);
    }
    return String.fromCodePoint(code);
  });
}
