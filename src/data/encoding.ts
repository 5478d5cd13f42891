/**
 * Input file bytes: content hash (for idempotent reloads), encoding detection and GB18030 -> UTF-8 transcoding.
 * DuckDB's read_csv only reads UTF-8 natively, so Chinese-Windows exports (GBK/GB18030) are transcoded to a temp
 * file with iconv-lite streams before DuckDB sees them.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, openSync, readSync, closeSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { pipeline } from "node:stream/promises";
import iconv from "iconv-lite";

export type Encoding = "utf-8" | "gb18030";

export interface FileFacts {
  /** sha256 of the raw bytes */
  hash: string;
  bytes: number;
  /** count of "\n" bytes: compared with the record count to spot quoted newlines and blank lines */
  newlines: number;
  /** true when the file does not end with "\n" (its last line is still a line) */
  unterminated: boolean;
}

/** One streaming pass over the file: hash, size and newline count. */
export async function inspectFile(file: string, onBytes?: (done: number) => void): Promise<FileFacts> {
  const hash = createHash("sha256");
  let bytes = 0;
  let newlines = 0;
  let last = -1;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    let i = chunk.indexOf(10);
    while (i !== -1) {
      newlines++;
      i = chunk.indexOf(10, i + 1);
    }
    last = chunk[chunk.length - 1];
    onBytes?.(bytes);
  }
  return { hash: hash.digest("hex"), bytes, newlines, unterminated: bytes > 0 && last !== 10 };
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

/** Whether `bytes` is valid UTF-8, ignoring a multi-byte sequence cut off by the end of the sample. */
export function isValidUtf8(bytes: Buffer, truncated: boolean): boolean {
  let end = bytes.length;
  if (truncated) {
    // back up over at most 3 continuation bytes to the start of the last (possibly incomplete) sequence
    let i = end - 1;
    while (i >= 0 && end - i <= 3 && (bytes[i] & 0xc0) === 0x80) i--;
    if (i >= 0 && bytes[i] >= 0xc0) end = i;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * Decide the encoding from the first 64 KiB: a UTF-8 BOM or valid UTF-8 means UTF-8, anything else is taken as
 * GB18030 (a superset of GBK and GB2312, the encodings Chinese Excel/CRM exports use).
 */
export function detectEncoding(file: string, sampleBytes = 1 << 16): Encoding {
  const head = readHead(file, sampleBytes);
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  return isValidUtf8(head, head.length === sampleBytes) ? "utf-8" : "gb18030";
}

/** Transcode a GB18030/GBK file to a UTF-8 temp file; the caller removes the returned directory. */
export async function transcodeToUtf8(file: string, from: Encoding): Promise<{ path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "kehu-ingest-"));
  const path = join(dir, basename(file));
  await pipeline(createReadStream(file), iconv.decodeStream(from), iconv.encodeStream("utf8"), createWriteStream(path));
  return { path, dir };
}
