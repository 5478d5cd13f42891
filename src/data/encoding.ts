/**
 * Input file bytes: content hash (for idempotent reloads), encoding detection over the whole file and transcoding.
 * DuckDB's read_csv only reads UTF-8 natively, so Chinese-Windows exports (GBK/GB18030) are transcoded to a temp
 * file with iconv-lite streams before DuckDB sees them; so are UTF-8 files with a few invalid bytes (each invalid
 * byte becomes U+FFFD and its line is rejected, see `scanUtf8Lines`).
 */
import { isAscii, isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, openSync, readSync, closeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { pipeline } from "node:stream/promises";
import iconv from "iconv-lite";
import { SourceFileError } from "./errors.ts";

export type Encoding = "utf-8" | "gb18030";

export interface FileFacts {
  /** sha256 of the raw bytes */
  hash: string;
  bytes: number;
  /** count of "\n" bytes: compared with the record count to spot quoted newlines and blank lines */
  newlines: number;
  /** count of "\r\n" pairs (with `newlines`: mixed line ends) */
  crlf: number;
  /** true when the file does not end with "\n" (its last line is still a line) */
  unterminated: boolean;
  /** the whole file is valid UTF-8 (a character cut off by the end of the file is not) */
  utf8: boolean;
  /** some byte is >= 0x80 */
  nonAscii: boolean;
  /** some byte is '"' (fields may be quoted, and quoted fields may span lines) */
  hasQuote: boolean;
  /** 1-based line of the first NUL byte (binary files), if any */
  nulLine?: number;
  /** the longest line (bytes, without its line end) and its 1-based number */
  longestLine: { line: number; bytes: number };
  /** count of "\r" bytes (equal to `crlf` when every one ends a line) */
  cr: number;
  /**
   * The byte pairs around spaces and tabs, line 1 apart from the rest: `blankPairs[1][a << 8 | b]` is 1 when bytes
   * a, b follow each other after line 1 and one of them is a space or a tab (the start and the end of the file count
   * as "\n"). Whether any field can start or end with a blank, without looking at the fields (readers.ts).
   */
  blankPairs: [Uint8Array, Uint8Array];
  /** some U+3000 (ideographic space) or U+00A0 (no-break space) anywhere */
  wideBlank: boolean;
}

/** Start of a multi-byte sequence cut off by the end of `buf` (or buf.length when the last one is complete). */
function completeEnd(buf: Buffer): number {
  const end = buf.length;
  let i = end - 1;
  while (i >= 0 && end - i <= 3 && (buf[i] & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const b = buf[i];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - i < need ? i : end;
}

/** One streaming pass over the file: hash, size, line ends, longest line, NUL bytes and UTF-8 validity. */
export async function inspectFile(file: string, onBytes?: (done: number) => void): Promise<FileFacts> {
  const hash = createHash("sha256");
  let bytes = 0;
  let newlines = 0;
  let crlf = 0;
  let last = -1;
  let lineStart = 0;
  const longestLine = { line: 1, bytes: 0 };
  let nulLine: number | undefined;
  let hasQuote = false;
  let utf8 = true;
  let nonAscii = false;
  let carry = Buffer.alloc(0);
  let cr = 0;
  let wideBlank = false;
  const blankPairs: [Uint8Array, Uint8Array] = [new Uint8Array(1 << 16), new Uint8Array(1 << 16)];
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    recordBlankPairs(blankPairs, chunk, bytes === 0 ? 10 : last, newlines === 0);
    cr += countByte(chunk, 13);
    hasQuote ||= chunk.includes(34);
    if (nulLine === undefined) {
      const z = chunk.indexOf(0);
      if (z !== -1) nulLine = newlines + 1 + countByte(chunk.subarray(0, z), 10);
    }
    let i = chunk.indexOf(10);
    while (i !== -1) {
      const lf = bytes + i;
      const cr = i > 0 ? chunk[i - 1] === 13 : last === 13;
      if (cr) crlf++;
      const length = lf - lineStart - (cr ? 1 : 0);
      if (length > longestLine.bytes) Object.assign(longestLine, { line: newlines + 1, bytes: length });
      newlines++;
      lineStart = lf + 1;
      i = chunk.indexOf(10, i + 1);
    }
    if (utf8) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const end = completeEnd(buf);
      utf8 = isUtf8(buf.subarray(0, end));
      const ascii = isAscii(buf.subarray(0, end));
      nonAscii ||= !ascii;
      if (!ascii && !wideBlank) wideBlank = buf.includes(IDEOGRAPHIC_SPACE) || buf.includes(NO_BREAK_SPACE);
      carry = Buffer.from(buf.subarray(end));
    } else if (!nonAscii) {
      nonAscii = true; // invalid UTF-8 has a byte >= 0x80
    }
    bytes += chunk.length;
    last = chunk[chunk.length - 1];
    onBytes?.(bytes);
  }
  if (carry.length) utf8 = false; // the last character is cut off
  if (last === 32 || last === 9) blankPairs[newlines === 0 ? 0 : 1][(last << 8) | 10] = 1;
  const tail = bytes - lineStart - (last === 13 ? 1 : 0);
  if (tail > longestLine.bytes) Object.assign(longestLine, { line: newlines + 1, bytes: tail });
  return {
    hash: hash.digest("hex"),
    bytes,
    newlines,
    crlf,
    unterminated: bytes > 0 && last !== 10,
    utf8,
    nonAscii,
    hasQuote,
    nulLine,
    longestLine,
    cr,
    blankPairs,
    wideBlank,
  };
}

const IDEOGRAPHIC_SPACE = Buffer.from("\u3000");
const NO_BREAK_SPACE = Buffer.from("\u00a0");

/**
 * Mark the byte pairs around each space and tab of `chunk` (`before`: the byte before the chunk, "\n" at the start
 * of the file; `inLine1`: the chunk starts in line 1).
 */
function recordBlankPairs(pairs: [Uint8Array, Uint8Array], chunk: Buffer, before: number, inLine1: boolean): void {
  const nl = inLine1 ? chunk.indexOf(10) : 0;
  const line1End = nl === -1 ? chunk.length : nl;
  for (const blank of [32, 9]) {
    for (let i = chunk.indexOf(blank); i !== -1; i = chunk.indexOf(blank, i + 1)) {
      const map = pairs[i < line1End ? 0 : 1];
      map[((i > 0 ? chunk[i - 1] : before) << 8) | blank] = 1;
      if (i + 1 < chunk.length) map[(blank << 8) | chunk[i + 1]] = 1;
    }
  }
  // a blank that ends the previous chunk, followed by this chunk's first byte
  if ((before === 32 || before === 9) && chunk.length) pairs[inLine1 ? 0 : 1][(before << 8) | chunk[0]] = 1;
}

function countByte(buf: Buffer, byte: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte); i !== -1; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

/** The first `size` bytes of a file. */
export function readHead(file: string, size = 1 << 16): Buffer {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(size);
    const n = readSync(fd, buffer, 0, size, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A line that is not valid UTF-8: where its first invalid byte is. */
export interface BadUtf8Line {
  line: number;
  reason: string;
}

export interface Utf8Scan {
  /** lines with non-ASCII characters that are all valid UTF-8 (votes for UTF-8) */
  utf8Lines: number;
  /** invalid-UTF-8 lines whose bytes are valid GB18030 (votes for GB18030) */
  gbLines: number;
  /** every invalid line, in order (at most `limit`; `more` counts the rest) */
  bad: BadUtf8Line[];
  more: number;
}

/**
 * Byte-level UTF-8 check, line by line (only run on files that are not valid UTF-8 as a whole): counts the lines
 * that speak for UTF-8 and for GB18030, and where each invalid line's first bad byte is.
 */
export async function scanUtf8Lines(file: string, limit = 100_000): Promise<Utf8Scan> {
  const scan: Utf8Scan = { utf8Lines: 0, gbLines: 0, bad: [], more: 0 };
  let offset = 0;
  let line = 1;
  let lineOffset = 0;
  // UTF-8 state: continuation bytes still needed, their allowed range, where the sequence started
  let need = 0,
    lo = 0x80,
    hi = 0xbf,
    seqStart = 0,
    seqLead = 0;
  // GB18030 state: bytes seen of the current multi-byte character
  let gb = 0;
  let lineNonAscii = false,
    lineGbBad = false;
  let badAt = -1,
    badByte = 0,
    cutOff = false;
  const flag = (at: number, byte: number, incomplete = false) => {
    if (badAt < 0) [badAt, badByte, cutOff] = [at, byte, incomplete];
  };
  const endLine = () => {
    if (need > 0) flag(seqStart, seqLead, true); // a character cut off by the line end or the end of the file
    if (gb > 0) lineGbBad = true;
    if (badAt >= 0) {
      if (!lineGbBad) scan.gbLines++;
      if (scan.bad.length < limit) {
        const hex = `0x${badByte.toString(16).toUpperCase().padStart(2, "0")}`;
        const what = cutOff ? `incomplete UTF-8 character (byte ${hex})` : `invalid UTF-8 byte ${hex}`;
        scan.bad.push({
          line,
          reason: `${what} at byte ${badAt - lineOffset + 1} of the line (byte offset ${badAt} of the file)`,
        });
      } else scan.more++;
    } else if (lineNonAscii) scan.utf8Lines++;
    need = gb = 0;
    lineNonAscii = lineGbBad = false;
    badAt = -1;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++, offset++) {
      const b = chunk[i];
      if (b === 10) {
        endLine();
        line++;
        lineOffset = offset + 1;
        continue;
      }
      if (b < 0x80 && need === 0 && gb === 0) continue;
      lineNonAscii ||= b >= 0x80;
      // GB18030: 81-FE then 40-7E/80-FE, or 81-FE 30-39 81-FE 30-39
      if (gb === 0) {
        if (b >= 0x81 && b <= 0xfe) gb = 1;
        else if (b >= 0x80) lineGbBad = true;
      } else if (gb === 1) {
        if (b >= 0x30 && b <= 0x39) gb = 2;
        else if ((b >= 0x40 && b <= 0x7e) || (b >= 0x80 && b <= 0xfe)) gb = 0;
        else [gb, lineGbBad] = [0, true];
      } else if (gb === 2) {
        if (b >= 0x81 && b <= 0xfe) gb = 3;
        else [gb, lineGbBad] = [0, true];
      } else {
        if (!(b >= 0x30 && b <= 0x39)) lineGbBad = true;
        gb = 0;
      }
      // UTF-8 (the ranges of RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
      if (need > 0) {
        if (b >= lo && b <= hi) {
          need--;
          [lo, hi] = [0x80, 0xbf];
          continue;
        }
        flag(seqStart, seqLead);
        need = 0;
        [lo, hi] = [0x80, 0xbf];
      }
      if (b < 0x80) continue;
      [seqStart, seqLead] = [offset, b];
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) [need, lo, hi] = [2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
      else if (b >= 0xf0 && b <= 0xf4) [need, lo, hi] = [3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
      else flag(offset, b);
    }
  }
  if (offset > lineOffset || need > 0) endLine();
  return scan;
}

export interface EncodingChoice {
  encoding: Encoding;
  /** UTF-8 lines with invalid bytes: rejected rows */
  badLines: BadUtf8Line[];
}

/**
 * The encoding of a whole file: valid UTF-8 is UTF-8; otherwise the lines vote. A UTF-8 export with a stray byte or
 * a cut-off last character stays UTF-8 (those lines are rejected); GB18030 (a superset of GBK and GB2312, what
 * Chinese Excel/CRM exports use) when more lines are valid GB18030 than valid non-ASCII UTF-8.
 */
export async function chooseEncoding(file: string, facts: FileFacts): Promise<EncodingChoice & { scan?: Utf8Scan }> {
  if (facts.utf8) return { encoding: "utf-8", badLines: [] };
  const scan = await scanUtf8Lines(file);
  if (scan.utf8Lines >= scan.gbLines) return { encoding: "utf-8", badLines: scan.bad, scan };
  return { encoding: "gb18030", badLines: [], scan };
}

/**
 * The encoding to read a file with, from the config's `encoding` and the whole file's bytes. Declared encodings
 * are checked: decoding UTF-8 as GB18030 never fails, it silently yields mojibake, so a UTF-8 file declared GBK is
 * refused, and so is a GB18030 file declared UTF-8.
 */
export async function resolveEncoding(
  path: string,
  facts: FileFacts,
  declared: "auto" | "utf-8" | "gb18030" | "gbk",
  file: string,
  key: string,
): Promise<EncodingChoice> {
  if (declared === "gbk" || declared === "gb18030") {
    const head = readHead(path, 3);
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    if (bom || (facts.nonAscii && facts.utf8)) {
      throw new SourceFileError(file, key, `the file is UTF-8, not ${declared} as declared; set "auto" or "utf-8"`);
    }
    return { encoding: "gb18030", badLines: [] };
  }
  const choice = await chooseEncoding(path, facts);
  if (declared === "utf-8" && choice.encoding !== "utf-8") {
    throw new SourceFileError(file, key, `the file is not valid UTF-8 (declared "utf-8"; try "auto" or "gb18030")`);
  }
  if (choice.scan?.more && choice.encoding === "utf-8") {
    throw new SourceFileError(
      file,
      key,
      `more than ${choice.badLines.length} lines are not valid UTF-8 (first: line ${choice.badLines[0].line}, ${choice.badLines[0].reason})`,
    );
  }
  return { encoding: choice.encoding, badLines: choice.badLines };
}

/**
 * Transcode a GB18030/GBK (or broken UTF-8) file to a UTF-8 temp file; the caller removes the returned directory. A
 * transcode that fails (a read error part way) removes its directory itself.
 */
export async function transcodeToUtf8(file: string, from: Encoding): Promise<{ path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-ingest-"));
  const path = join(dir, basename(file));
  try {
    await pipeline(
      createReadStream(file),
      iconv.decodeStream(from),
      iconv.encodeStream("utf8"),
      createWriteStream(path),
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { path, dir };
}
