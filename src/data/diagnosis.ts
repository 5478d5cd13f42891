/**
 * Why a file cannot be read, in the user's terms: each message names the file (never a temp copy), the line where
 * known, what was expected and the config key to change, and never echoes the content of the file.
 */
import { createReadStream } from "node:fs";
import { isAbsolute } from "node:path";
import Papa from "papaparse";
import type { SourceConfig } from "./config.ts";
import type { FileFacts } from "./encoding.ts";
import { SourceFileError } from "./errors.ts";
import type { SourceName } from "./schemas.ts";

/** DuckDB's read_csv max_line_size: a longer line cannot be read. */
export const MAX_LINE_BYTES = 10_000_000;

/** The field delimiter of a csv/tsv source: the `delimiter` setting, else "," (csv) or a tab (tsv). */
export function delimiterOf(cfg: SourceConfig): string {
  return cfg.delimiter ?? (cfg.format === "tsv" ? "\t" : ",");
}

const shownDelimiter = (d: string) => (d === "\t" ? "a tab" : JSON.stringify(d));

/** Problems visible from the whole-file facts before DuckDB reads anything: binary content, an over-long line. */
export function checkFileShape(file: string, source: SourceName, facts: FileFacts): void {
  if (facts.nulLine !== undefined) {
    throw new SourceFileError(
      file,
      `sources.${source}.files`,
      `line ${facts.nulLine} contains NUL bytes: this is a binary file (or UTF-16 text), not a text export; export it as csv in UTF-8 or GBK`,
    );
  }
  if (facts.longestLine.bytes > MAX_LINE_BYTES) {
    throw new SourceFileError(
      file,
      `sources.${source}.format`,
      `line ${facts.longestLine.line} is ${facts.longestLine.bytes.toLocaleString("en")} bytes long, more than the ${MAX_LINE_BYTES.toLocaleString("en")} a line may have (a missing line break, or not a text export?)`,
    );
  }
}

/** 1-based line where a quote opens that is never closed, if any (quotes inside quoted fields are doubled). */
async function unclosedQuoteLine(path: string): Promise<number | undefined> {
  let line = 1;
  let open: number | undefined;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 10) line++;
      else if (b === 34) open = open === undefined ? line : undefined;
    }
  }
  return open;
}

/**
 * A read_csv failure as a SourceFileError: DuckDB's message names the temp copy and its sniffer's search space; this
 * says what is wrong with the user's file (mixed line ends, an unclosed quote) and what was expected.
 */
export async function explainReadError(
  error: unknown,
  file: string,
  readPath: string,
  source: SourceName,
  cfg: SourceConfig,
  facts: FileFacts,
): Promise<SourceFileError> {
  const message = String((error as Error)?.message ?? error);
  const expected = `expected ${cfg.format} with ${shownDelimiter(delimiterOf(cfg))} between fields and '"' around quoted fields`;
  if (facts.crlf > 0 && facts.crlf < facts.newlines) {
    return new SourceFileError(
      file,
      `sources.${source}.files`,
      `the file mixes line ends: ${facts.crlf} lines end in CRLF (\\r\\n), ${facts.newlines - facts.crlf} in LF (\\n); save it with one kind of line end`,
    );
  }
  const quoteLine = await unclosedQuoteLine(readPath);
  if (quoteLine !== undefined) {
    return new SourceFileError(
      file,
      `sources.${source}.format`,
      `line ${quoteLine} opens a quote (") that is never closed; ${expected}`,
    );
  }
  const line = /Line: (\d+)/.exec(message)?.[1];
  // DuckDB's own words only for files in the config directory (file is then relative): its messages may quote lines
  const own = isAbsolute(file) ? "" : message.split("\n")[0].split(readPath).join(file);
  const what = /sniffing/i.test(message) || !own ? "DuckDB could not make out rows and columns" : own;
  return new SourceFileError(
    file,
    `sources.${source}.format`,
    `cannot read the file as ${cfg.format}${line ? ` (line ${line})` : ""}: ${what}; ${expected} (see also sources.${source}.delimiter)`,
  );
}

/**
 * Two columns with the same header: kehu would read one and silently ignore the other, so a header that is
 * read (mapped, or named like a canonical column) must be unique. `used` says whether a header is read.
 */
export function checkDuplicateHeaders(
  file: string,
  source: SourceName,
  headers: string[],
  used: (header: string) => boolean,
  outside: boolean,
): void {
  const seen = new Map<string, number>();
  headers.forEach((h, i) => {
    const name = h.trim().toLowerCase();
    const first = seen.get(name);
    if (first === undefined) return void seen.set(name, i);
    if (used(h)) {
      throw new SourceFileError(
        file,
        `sources.${source}.columns`,
        `columns ${first + 1} and ${i + 1} have the same header${outside ? "" : ` ${JSON.stringify(h.trim())}`}; rename one in the export so it is clear which to read`,
      );
    }
  });
}

/** The header fields of a csv/tsv file as written (DuckDB renames a repeated header to name_1). */
export function parseHeaderLine(head: Buffer, cfg: SourceConfig): string[] {
  let text = head.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const end = text.indexOf("\n");
  const first = (end >= 0 ? text.slice(0, end) : text).replace(/\r$/, "");
  return (Papa.parse<string[]>(first, { delimiter: delimiterOf(cfg), quoteChar: '"' }).data[0] ?? []).map(String);
}
