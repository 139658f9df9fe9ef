/**
 * A streaming LDIF reader (RFC 2849), for files as slapcat, ldapsearch -L/-LLL and Active
 * Directory's ldifde write them: folded lines, `attr:: base64`, comments, `version: 1`,
 * `changetype: add`, LF or CRLF, UTF-8 (with or without a BOM) or UTF-16LE with its BOM (ldifde -u).
 *
 * An async generator over a byte stream: it holds one record at a time, so a file of a million
 * entries is read in constant memory. What a record cannot be is an error item for that record
 * only (its DN and first line number), and reading goes on with the next: a value given by URL
 * (`attr:< file:///...`) is refused, never read; any changetype but add is refused.
 *
 * No npm package streams RFC 2849 (the `ldif` package parses a whole string with a PEG grammar),
 * so this is one small module with tests against files made by a real slapd.
 */

export type LdifValue = string | Buffer;

export type LdifEntry = {
  type: "entry";
  dn: string;
  /** Line number (1-based) of the record's dn line. */
  line: number;
  /** Values by attribute description as first written (options kept: `cn;lang-en`); names compared case-insensitively. */
  attributes: Record<string, LdifValue[]>;
};

export type LdifError = {
  type: "error";
  /** Null when the record has no readable dn (or the problem is the file's, like its version). */
  dn: string | null;
  line: number;
  message: string;
};

export type LdifItem = LdifEntry | LdifError;

export type LdifReadOptions = {
  /** A record larger than this (its unfolded lines) is an error item; default 8 MiB. */
  maxRecordBytes?: number;
};

const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*)(?:;[A-Za-z0-9-]+)*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeBase64(text: string): LdifValue | null {
  const compact = text.replace(/\s+/g, "");
  if (!BASE64.test(compact) || compact.length % 4 === 1) return null;
  const bytes = Buffer.from(compact, "base64");
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes;
  }
}

type Parsed = { name: string; value: LdifValue } | { error: string };

/** One attrval-spec: `name: value`, `name:: base64`, or `name:< url` (refused). */
function parseLine(text: string): Parsed {
  const colon = text.indexOf(":");
  if (colon <= 0) return { error: `"${text.slice(0, 40)}" is not an attribute line (name: value).` };
  const name = text.slice(0, colon);
  if (!ATTRIBUTE.test(name)) return { error: `"${name.slice(0, 40)}" is not an attribute description.` };
  const rest = text.slice(colon + 1);
  if (rest.startsWith(":")) {
    const value = decodeBase64(rest.slice(1));
    return value === null ? { error: `The value of ${name} is not valid base64.` } : { name, value };
  }
  if (rest.startsWith("<")) return { error: `The value of ${name} is given by URL (${name}:<): such values are not read; put the value in the file.` };
  return { name, value: rest.replace(/^ +/, "") };
}

class PendingRecord {
  dn: string | null = null;
  error: string | null = null;
  changetypeSeen = false;
  empty = true;
  bytes = 0;
  readonly attributes: { [name: string]: LdifValue[] } = {};
  private readonly names = new Map<string, string>();

  constructor(readonly line: number) {}

  fail(message: string): void {
    this.error ??= message;
  }

  add(name: string, value: LdifValue): void {
    this.empty = false;
    const key = name.toLowerCase();
    let spelled = this.names.get(key);
    if (spelled === undefined) {
      spelled = name;
      this.names.set(key, name);
      this.attributes[name] = [];
    }
    this.attributes[spelled]!.push(value);
  }

  item(): LdifItem {
    if (this.error !== null || this.dn === null) return { type: "error", dn: this.dn, line: this.line, message: this.error ?? "The record has no dn." };
    return { type: "entry", dn: this.dn, line: this.line, attributes: this.attributes };
  }
}

/**
 * The parser proper, synchronous: text in as it arrives, finished records out. Holds the current
 * physical line's unterminated tail, the logical line being unfolded and the record being read.
 */
class LdifParser {
  private tail = "";
  private skippingLine = false;
  private lineNumber = 0;
  private held: { text: string; number: number } | null = null;
  private record: PendingRecord | null = null;
  private out: LdifItem[] = [];

  constructor(private readonly maxRecordBytes: number) {}

  push(text: string): LdifItem[] {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const piece = this.tail + text.slice(start, nl);
      this.tail = "";
      start = nl + 1;
      this.lineNumber += 1;
      if (this.skippingLine) {
        this.skippingLine = false;
        continue;
      }
      this.physical(piece.endsWith("\r") ? piece.slice(0, -1) : piece, this.lineNumber);
    }
    if (!this.skippingLine) {
      this.tail += text.slice(start);
      if (this.tail.length > this.maxRecordBytes) {
        // A line with no end in sight: the record fails, and the line is dropped up to its newline.
        this.tail = "";
        this.skippingLine = true;
        this.overflow(this.lineNumber + 1);
      }
    }
    return this.drain();
  }

  end(): LdifItem[] {
    if (!this.skippingLine && this.tail.length > 0) this.physical(this.tail.endsWith("\r") ? this.tail.slice(0, -1) : this.tail, this.lineNumber + 1);
    this.tail = "";
    if (this.held) this.logical(this.held.text, this.held.number);
    this.held = null;
    if (this.record) this.out.push(this.record.item());
    this.record = null;
    return this.drain();
  }

  private drain(): LdifItem[] {
    const items = this.out;
    this.out = [];
    return items;
  }

  private overflow(line: number): void {
    if (this.held) this.logical(this.held.text, this.held.number);
    this.held = null;
    this.record ??= new PendingRecord(line);
    this.record.fail(`A line of the record is longer than ${this.maxRecordBytes} bytes.`);
  }

  /** Unfolding: a line that starts with one space continues the one before; a separator cannot be continued. */
  private physical(text: string, number: number): void {
    if (text === "") {
      if (this.held) this.logical(this.held.text, this.held.number);
      this.held = null;
      this.logical("", number);
      return;
    }
    if (this.held && text.charCodeAt(0) === 32) {
      this.held.text += text.slice(1);
      if (this.held.text.length > this.maxRecordBytes) {
        const line = this.held.number;
        this.held = null;
        this.overflow(line);
      }
      return;
    }
    if (this.held) this.logical(this.held.text, this.held.number);
    this.held = { text, number };
  }

  private logical(text: string, number: number): void {
    if (text === "") {
      if (this.record) this.out.push(this.record.item());
      this.record = null;
      return;
    }
    if (text.charCodeAt(0) === 35 /* # */) return;
    const record = this.record;
    if (!record) {
      // RFC 2849: an optional version-spec before the first record. ldapsearch -L with paged
      // results (-E pr=N) writes it again before each page's records: taken between records too.
      const version = /^version:\s*(\S*)\s*$/.exec(text);
      if (version) {
        if (version[1] !== "1") this.out.push({ type: "error", dn: null, line: number, message: `LDIF version ${version[1]} is not supported: only version 1.` });
        return;
      }
      const next = (this.record = new PendingRecord(number));
      const parsed = parseLine(text);
      if ("error" in parsed) next.fail(parsed.error);
      else if (parsed.name.toLowerCase() !== "dn") next.fail("A record must begin with a dn: line.");
      else next.dn = typeof parsed.value === "string" ? parsed.value : parsed.value.toString("utf8");
      return;
    }
    record.bytes += text.length;
    if (record.bytes > this.maxRecordBytes) record.fail(`The record is larger than ${this.maxRecordBytes} bytes.`);
    if (record.error !== null) return;
    const parsed = parseLine(text);
    if ("error" in parsed) {
      record.fail(parsed.error);
      return;
    }
    const lower = parsed.name.toLowerCase();
    const first = !record.changetypeSeen && record.empty;
    if (lower === "control" && first) return;
    if (lower === "changetype" && first) {
      record.changetypeSeen = true;
      const kind = String(parsed.value).trim().toLowerCase();
      if (kind !== "add") record.fail(`changetype: ${kind} is not imported: only new entries (changetype: add, or no changetype) are.`);
      return;
    }
    record.add(parsed.name, parsed.value);
  }
}

/** The entries of an LDIF byte stream, one at a time, with an error item for each record that cannot be one. */
export async function* readLdif(input: AsyncIterable<Uint8Array>, opts: LdifReadOptions = {}): AsyncGenerator<LdifItem> {
  const parser = new LdifParser(opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  let decoder: TextDecoder | undefined;
  for await (const chunk of input) {
    if (!decoder) {
      const utf16 = chunk.length >= 2 && chunk[0] === 0xff && chunk[1] === 0xfe;
      // Both decoders drop their own byte order mark.
      decoder = new TextDecoder(utf16 ? "utf-16le" : "utf-8");
    }
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  if (decoder) yield* parser.push(decoder.decode());
  yield* parser.end();
}

/** An LDIF text as the byte stream readLdif takes (tests, small bodies). */
export async function* ldifBytes(text: string | Uint8Array): AsyncGenerator<Uint8Array> {
  yield typeof text === "string" ? new TextEncoder().encode(text) : text;
}
