/**
 * What the site's data loaders read: the marts (Parquet files written by `kehu run`) and the canonical tables the
 * build copied out of the database, as DuckDB views in an in-memory database. PII masking happens HERE, in the
 * views, so every query of every loader (joins and aggregates included) only ever sees pseudonyms when the build
 * masks: no page can forget it.
 *
 * Loaders get their settings from environment variables set by src/report/build.ts (see docs/CONVENTIONS.md).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { openDatabase, type Db } from "../data/db.ts";
import { SOURCE_NAMES, TABLES, createTableSql, type SourceName } from "../data/schemas.ts";

export type Locale = "zh-CN" | "en";

export interface ReportEnv {
  martsDir: string;
  /** Parquet copies of the database's tables (customers, visits, ..., ingest_log), or null without a database. */
  tablesDir: string | null;
  locale: Locale;
  currency: string;
  maskPii: boolean;
  salt: string;
  topCustomers: number;
  title: string | null;
  /** ISO instant of the build. */
  builtAt: string;
  /** The run whose marts the build reads (from their _run.json), or null outside a build. */
  runId: string | null;
}

export const DEFAULT_PII_SALT = "kehu-default-salt";

export function reportEnv(env: NodeJS.ProcessEnv = process.env): ReportEnv {
  const dir = (v: string | undefined) => (v ? resolve(v) : null);
  return {
    martsDir: dir(env.KEHU_MARTS_DIR) ?? resolve("data/marts"),
    tablesDir: dir(env.KEHU_TABLES_DIR),
    locale: env.KEHU_LOCALE === "en" ? "en" : "zh-CN",
    currency: env.KEHU_CURRENCY || "CNY",
    maskPii: env.KEHU_MASK_PII === "1" || env.KEHU_MASK_PII === "true",
    salt: env.KEHU_PII_SALT || DEFAULT_PII_SALT,
    topCustomers: env.KEHU_TOP_CUSTOMERS ? Number(env.KEHU_TOP_CUSTOMERS) : 500,
    title: env.KEHU_TITLE || null,
    builtAt: env.KEHU_BUILT_AT || new Date().toISOString(),
    runId: env.KEHU_RUN_ID || null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// PII masking

export type PiiKind = "name" | "contact" | "phone" | "email" | "address" | "text";

/** Which columns hold personal data, by column name (any table or mart). */
export function piiKind(column: string): PiiKind | null {
  const c = column.toLowerCase();
  if (/^(customer_|contact_|company_)?name$/.test(c)) return "name";
  if (/^(decision_maker|contact|contact_person|referrer_name)$/.test(c)) return "contact";
  if (/^(.*_)?(phone|mobile|telephone|tel|fax)$/.test(c)) return "phone";
  if (/^(.*_)?e?mail$/.test(c)) return "email";
  if (/^(.*_)?(address|addr)$/.test(c)) return "address";
  // Free text may hold anything (a phone number in a visit note): not published when masking.
  if (/^(.*_)?(notes?|comment|comments|remark|remarks)$/.test(c)) return "text";
  return null;
}

/**
 * Columns holding a customer id (any table or mart). Ids are often personal themselves (a name, a phone number):
 * when masking, every one is replaced by `pseudonymId`, in every column, so joins still match.
 */
export function isCustomerIdColumn(column: string): boolean {
  return /^(customer_id|referred_by)$/i.test(column);
}

const PREFIX: Record<Locale, Record<Exclude<PiiKind, "email" | "text">, string>> = {
  "zh-CN": { name: "客户-", contact: "联系人-", phone: "电话-", address: "地址-" },
  en: { name: "customer-", contact: "contact-", phone: "phone-", address: "address-" },
};
const HIDDEN: Record<Locale, string> = { "zh-CN": "（已隐藏）", en: "(hidden)" };

/** 6 hex digits of sha256(salt + ':' + value): stable per site, one value -> one pseudonym in every column. */
export function pseudonymHash(value: string, salt: string): string {
  return createHash("sha256").update(`${salt}:${value}`).digest("hex").slice(0, 6);
}

/** The pseudonym that replaces `value` (same result as the SQL of `maskExpression`). */
export function pseudonym(kind: PiiKind, value: string | null, salt: string, locale: Locale): string | null {
  if (value === null || value === undefined) return null;
  if (kind === "text") return HIDDEN[locale];
  const h = pseudonymHash(value, salt);
  return kind === "email" ? `user-${h}@example.invalid` : `${PREFIX[locale][kind]}${h}`;
}

/**
 * The pseudonymous id that replaces a customer id when masking: `cust-` and 16 hex digits of a hash keyed with the
 * salt (64 bits: no two of a million customers share one). Stable per salt, so card URLs stay the same.
 */
export function pseudonymId(id: string | number | null, salt: string): string | null {
  if (id === null || id === undefined) return null;
  return `cust-${createHash("sha256").update(`${salt}:id:${id}`).digest("hex").slice(0, 16)}`;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** SQL replacing column `column` by its pseudonym (NULL stays NULL). */
export function maskExpression(column: string, kind: PiiKind, salt: string, locale: Locale): string {
  const col = ident(column);
  if (kind === "text") return `case when ${col} is null then null else ${sqlString(HIDDEN[locale])} end`;
  const hash = `substr(sha256(${sqlString(salt + ":")} || ${col}), 1, 6)`;
  const value =
    kind === "email" ? `'user-' || ${hash} || '@example.invalid'` : `${sqlString(PREFIX[locale][kind])} || ${hash}`;
  return `case when ${col} is null then null else ${value} end`;
}

/** SQL replacing the customer id column `column` (any type) by its `pseudonymId` (NULL stays NULL). */
export function maskIdExpression(column: string, salt: string): string {
  const col = ident(column);
  return `case when ${col} is null then null else 'cust-' || substr(sha256(${sqlString(`${salt}:id:`)} || ${col}::varchar), 1, 16) end`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** The canonical tables the build copies out of the database (plus ingest_log for the freshness line). */
export const REPORT_TABLES = [...SOURCE_NAMES, "ingest_log", "rejected_rows"] as const;

/** The source columns whose values are personal (masked names, contacts, notes, customer ids). */
export function personalColumns(): string[] {
  return [
    ...new Set(
      Object.values(TABLES)
        .flatMap((t) => t.columns.map((c) => c.name))
        .filter((c) => isCustomerIdColumn(c) || piiKind(c)),
    ),
  ];
}

export interface MartResult<T> {
  name: string;
  /** false when the mart/table file does not exist: rows is empty and the page should say what would enable it. */
  available: boolean;
  rows: T[];
}

export interface ReportSource {
  env: ReportEnv;
  /** Marts found in martsDir (names without .parquet). */
  marts: string[];
  /** Canonical tables copied from the database (empty tables are created for the others so SQL binds). */
  tables: string[];
  has(name: string): boolean;
  /** Rows of a query over the mart/table views; BIGINT/DECIMAL/HUGEINT columns come back as JS numbers. */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: Record<string, string | number | boolean | null>,
  ): Promise<T[]>;
  /** Run statements (e.g. create a temp table of ids to join against); views are masked, so this cannot unmask. */
  exec(sql: string): Promise<void>;
  /** Append rows to a temp table made with exec (the DuckDB appender: one call for tens of thousands of ids). */
  insertRows(table: string, columns: string[], rows: readonly (readonly unknown[])[]): Promise<void>;
  /** All rows of one mart or table, or { available: false, rows: [] }. */
  read<T = Record<string, unknown>>(name: string): Promise<MartResult<T>>;
  /** Modification time (ISO) of each mart file: the freshness fallback without an ingest_log. */
  martFiles(): { name: string; modifiedAt: string }[];
  close(): Promise<void>;
}

const parquetNames = (dir: string | null): string[] =>
  dir && existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".parquet"))
        .map((f) => basename(f, ".parquet"))
        .filter((n) => /^[a-z_][a-z0-9_]*$/i.test(n))
        .sort()
    : [];

/** CREATE VIEW over a Parquet file with its PII columns and customer ids masked (when the build masks). */
async function createMaskedView(db: Db, name: string, file: string, env: ReportEnv): Promise<void> {
  const source = `read_parquet(${sqlString(file)})`;
  const columns = await db.all<{ column_name: string; column_type: string }>(`describe select * from ${source}`);
  const replaces = env.maskPii
    ? columns.flatMap((c) => {
        const as = ` as ${ident(c.column_name)}`;
        if (isCustomerIdColumn(c.column_name)) return [maskIdExpression(c.column_name, env.salt) + as];
        const kind = c.column_type === "VARCHAR" ? piiKind(c.column_name) : null;
        return kind ? [maskExpression(c.column_name, kind, env.salt, env.locale) + as] : [];
      })
    : [];
  // A rejected cell of a personal column (a malformed phone) is personal too: its value is withheld when masking.
  if (env.maskPii && name === "rejected_rows" && columns.some((c) => c.column_name === "value")) {
    replaces.push(
      `case when "column" in (${personalColumns().map(sqlString).join(", ")}) then null else value end as value`,
    );
  }
  const select = replaces.length
    ? `select * replace (${replaces.join(", ")}) from ${source}`
    : `select * from ${source}`;
  await db.exec(`create view ${ident(name)} as ${select}`);
}

export async function openReportSource(env: ReportEnv = reportEnv()): Promise<ReportSource> {
  const db = await openDatabase(":memory:");
  const marts = parquetNames(env.martsDir);
  const tables = parquetNames(env.tablesDir).filter((n) => (REPORT_TABLES as readonly string[]).includes(n));
  for (const name of marts) await createMaskedView(db, name, join(env.martsDir, `${name}.parquet`), env);
  for (const name of tables) {
    if (marts.includes(name)) continue;
    await createMaskedView(db, name, join(env.tablesDir!, `${name}.parquet`), env);
  }
  // Optional sources exist as empty tables, exactly as in the pipeline, so a loader's SQL binds without them.
  for (const name of SOURCE_NAMES) {
    if (!tables.includes(name) && !marts.includes(name)) await db.exec(createTableSql(TABLES[name as SourceName]));
  }
  const available = new Set([...marts, ...tables]);

  async function query<T>(sql: string, params?: Record<string, string | number | boolean | null>): Promise<T[]> {
    let described: { column_name: string; column_type: string }[];
    try {
      described = await db.all<{ column_name: string; column_type: string }>(`describe ${sql}`, params as never);
    } catch {
      // Not a plain query (describe, pragma, summarize...): run it as it is.
      return db.all<T>(sql, params as never);
    }
    const casts = described
      .filter((c) => /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL)/.test(c.column_type))
      .map((c) => `${ident(c.column_name)}::double as ${ident(c.column_name)}`);
    const wrapped = casts.length ? `select * replace (${casts.join(", ")}) from (${sql})` : sql;
    return db.all<T>(wrapped, params as never);
  }

  return {
    env,
    marts,
    tables,
    has: (name) => available.has(name),
    query,
    exec: (sql) => db.exec(sql),
    insertRows: (table, columns, rows) => db.insertRows(table, columns, rows),
    async read<T>(name: string) {
      if (!available.has(name)) return { name, available: false, rows: [] as T[] };
      return { name, available: true, rows: await query<T>(`select * from ${ident(name)}`) };
    },
    martFiles: () =>
      marts.map((name) => ({ name, modifiedAt: statSync(join(env.martsDir, `${name}.parquet`)).mtime.toISOString() })),
    close: () => db.close(),
  };
}

/**
 * The analysis date: KEHU_AS_OF (config analysis.asOf), else the fitted models' as_of, else the last purchase in
 * the marts, else the last transaction.
 */
export async function resolveAsOf(source: ReportSource): Promise<string | null> {
  if (process.env.KEHU_AS_OF) return process.env.KEHU_AS_OF;
  const attempts: [string, string][] = [
    ["model_fit", "select max(as_of)::date::varchar as d from model_fit"],
    ["customer_summary", "select max(last_purchase)::date::varchar as d from customer_summary"],
    ["transactions", "select max(ordered_at)::date::varchar as d from transactions"],
  ];
  for (const [name, sql] of attempts) {
    if (!source.has(name)) continue;
    const d = (await source.query<{ d: string | null }>(sql))[0]?.d;
    if (d) return d;
  }
  return null;
}

/** Open the source, run `fn`, close: the body of a data loader. */
export async function withReportSource<T>(fn: (source: ReportSource) => Promise<T>, env?: ReportEnv): Promise<T> {
  const source = await openReportSource(env);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

/** Write a loader's JSON result to stdout (Framework captures it as the data file). */
export async function emitJson(value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  await new Promise<void>((done, fail) => process.stdout.write(text, (error) => (error ? fail(error) : done())));
}

/** A path-safe page name for a customer id (ids may hold spaces, slashes or Chinese): the id itself when it is plain. */
export function customerSlug(customerId: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(customerId)
    ? customerId
    : `c-${createHash("sha256").update(customerId).digest("hex").slice(0, 12)}`;
}
