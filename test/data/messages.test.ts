/**
 * Messages for files and settings that cannot be used (issue 15): each names the user's file (never a temp copy),
 * the line where known, what was expected and the config key; none echoes a file's content.
 */
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ingestSources, checkSources } from "../../src/data/ingest.ts";
import { SourceFileError } from "../../src/data/errors.ts";
import { ConfigError, parseConfig } from "../../src/data/config.ts";
import { openDatabase, DatabaseCorruptError } from "../../src/data/db.ts";
import { project, txConfig, cleanupProjects } from "./helpers.ts";

afterAll(cleanupProjects);

const GOOD = "order_id,customer_id,ordered_at,amount\ng1,c1,2024-01-01,10\ng2,c2,2024-01-02,20\n";

async function failure(
  files: Record<string, string | Buffer>,
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  const p = project(txConfig("o.csv", extra, top), files, { memory: true });
  const error = await p.withDb((db) => ingestSources(db, p.config)).catch((e) => e);
  expect(error).toBeInstanceOf(Error);
  expect(error.message).not.toContain("kehu-ingest-"); // no temp path
  expect(error.message).not.toMatch(/sniffing/i);
  return error as Error;
}

describe("unreadable files", () => {
  it("mixed CRLF and LF line ends", async () => {
    const e = await failure({
      "o.csv": "customer_id,ordered_at,amount\r\nc1,2024-01-01,1\r\nc2,2024-01-02,2\nc3,2024-01-03,3\n",
    });
    expect(e).toBeInstanceOf(SourceFileError);
    expect(e.message).toBe(
      "o.csv: the file mixes line ends: 2 lines end in CRLF (\\r\\n), 2 in LF (\\n); save it with one kind of line end (fix: sources.transactions.files)",
    );
  });

  it("an unterminated quote names its line", async () => {
    const e = await failure({
      "o.csv": 'customer_id,ordered_at,amount\nc1,2024-01-01,1\nc2,"2024-01-02,2\nc3,2024-01-03,3\n',
    });
    expect(e.message).toBe(
      `o.csv: line 3 opens a quote (") that is never closed; expected csv with "," between fields and '"' around quoted fields (fix: sources.transactions.format)`,
    );
  });

  it("a binary file", async () => {
    const e = await failure({
      "o.csv": Buffer.concat([
        Buffer.from("customer_id,ordered_at,amount\nc1"),
        Buffer.from([0, 1, 2, 0xff, 0]),
        Buffer.from("\n"),
      ]),
    });
    expect(e.message).toMatch(
      /^o\.csv: line 2 contains NUL bytes: this is a binary file \(or UTF-16 text\), not a text export.*\(fix: sources\.transactions\.files\)$/,
    );
  });

  it("an 11 MB line is reported on its own line number", async () => {
    const lines = [
      "customer_id,ordered_at,amount",
      ...Array.from({ length: 19 }, (_, i) => `c${i},2024-01-01,1`),
      `c,2024-01-01,${"9".repeat(11_000_000)}`,
      "c9,2024-01-01,1",
    ];
    const e = await failure({ "o.csv": lines.join("\n") + "\n" });
    expect(e.message).toMatch(/^o\.csv: line 21 is 11,000,013 bytes long, more than the 10,000,000 a line may have/);
    expect(e.message.length).toBeLessThan(400);
  });

  it("a directory is named as one", async () => {
    const p = project(txConfig("exports"), {});
    mkdirSync(join(p.dir, "exports"));
    const e = await p.withDb((db) => ingestSources(db, p.config)).catch((x) => x);
    expect(e.message).toBe(
      `${join(p.dir, "exports")}: is a directory, not a file; name the files in it, e.g. "exports/*.csv" (fix: sources.transactions.files)`,
    );
  });
});

describe("delimiters and headers", () => {
  it('semicolon-delimited files load with delimiter ";"', async () => {
    const p = project(
      txConfig("o.csv", { delimiter: ";", decimalSeparator: "," }),
      { "o.csv": "customer_id;ordered_at;amount\nc1;2024-01-01;12,5\nc2;2024-01-02;3\n" },
      { memory: true },
    );
    await p.withDb((db) => ingestSources(db, p.config));
    expect(await p.withDb((db) => db.all(`select customer_id, amount from transactions order by 1`))).toEqual([
      { customer_id: "c1", amount: 12.5 },
      { customer_id: "c2", amount: 3 },
    ]);
    expect(() => parseConfig(txConfig("o.txt", { format: "whitespace", delimiter: ";" }))).toThrow(
      /sources\.transactions\.delimiter: delimiter does not apply to format whitespace/,
    );
    expect(() => parseConfig(txConfig("o.csv", { delimiter: ";;" }))).toThrow(
      /sources\.transactions\.delimiter: expected one character/,
    );
  });

  it("a header used twice is refused with both column numbers", async () => {
    const e = await failure({ "o.csv": "customer_id,ordered_at,amount,amount\nc1,2024-01-01,1,2\n" });
    expect(e.message).toBe(
      'o.csv: columns 3 and 4 have the same header "amount"; rename one in the export so it is clear which to read (fix: sources.transactions.columns)',
    );
    // a repeated header that is not read is harmless
    const p = project(
      txConfig("o.csv"),
      { "o.csv": "customer_id,ordered_at,amount,note,note\nc1,2024-01-01,1,a,b\n" },
      { memory: true },
    );
    expect((await p.withDb((db) => ingestSources(db, p.config))).loaded).toBe(1);
  });
});

describe("settings and the database", () => {
  it("rejectedDir that exists as a file is a ConfigError", async () => {
    const p = project(txConfig("o.csv", {}, { maxRejectRate: 1 }), {
      "o.csv": GOOD + "g3,,2024-01-03,1\n",
      rejected: "not a directory",
    });
    const e = await p.withDb((db) => ingestSources(db, p.config)).catch((x) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(
      `rejectedDir: ${join(p.dir, "rejected")} exists and is not a directory; move that file away or set rejectedDir to another path`,
    );
  });

  it("a truncated or corrupt database names the file and what to do", async () => {
    const p = project(txConfig("o.csv"), { "o.csv": GOOD });
    mkdirSync(join(p.dir, "data"));
    writeFileSync(p.config.database, Buffer.alloc(20_000, 7));
    const e = await openDatabase(p.config.database).catch((x) => x);
    expect(e).toBeInstanceOf(DatabaseCorruptError);
    expect(e.message).toContain(
      `database ${p.config.database} cannot be opened: it is truncated, corrupt or not a DuckDB database`,
    );
    expect(e.message).toContain("move it away and run `kehu ingest` and `kehu run` to rebuild it");
  });

  it("a truncated database file gets the same message", async () => {
    const p = project(txConfig("o.csv"), { "o.csv": GOOD });
    await p.withDb((db) => ingestSources(db, p.config));
    const bytes = readFileSync(p.config.database);
    writeFileSync(p.config.database, bytes.subarray(0, 13_000)); // the headers survive, the blocks they point to do not
    const e = await openDatabase(p.config.database)
      .then((db) => db.all("select count(*) from transactions").finally(() => db.close()))
      .catch((x) => x);
    expect(e).toBeInstanceOf(DatabaseCorruptError);
    expect(e.message).toContain(`database ${p.config.database} cannot be opened`);
  });

  it("the content of a file outside the config directory is never echoed", async () => {
    const p = project(txConfig("o.csv"), {});
    const outside = project({}, { "secret.txt": "root:x:0:0:root:/root:/bin/bash\nsecret-line,2,3\n" });
    p.config.sources.transactions!.files = [join(outside.dir, "secret.txt")];
    const e = await p.withDb((db) => ingestSources(db, p.config)).catch((x) => x);
    expect(e).toBeInstanceOf(SourceFileError);
    expect(e.message).toContain(
      "secret.txt: required column customer_id not found; map it to one of the columns 1 column(s) (not shown: the file is outside the config directory)",
    );
    expect(e.message).not.toContain("root");
    // rejected-row samples in `kehu check` do not show its values either
    const q = project(txConfig("o.csv", { header: false, columns: { customer_id: 1, ordered_at: 2, amount: 3 } }), {});
    q.config.sources.transactions!.files = [join(outside.dir, "secret.txt")];
    const report = await checkSources(q.config);
    expect(JSON.stringify(report)).not.toContain("root:x");
    expect(JSON.stringify(report)).not.toContain("secret-line");
  });
});
