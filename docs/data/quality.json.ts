// The data-quality page: per source and file, rows read / loaded / rejected (ingest_log), the reasons rows were
// rejected with a few examples each (rejected_rows; a personal column's value is withheld when masking, see
// marts.ts), the date range and duplicate keys per source, and how fresh the data is.
import { emitJson, resolveAsOf, withReportSource } from "../../src/report/marts.ts";

/** Per source: its date column and its key (duplicates of the key across files are counted). */
const SOURCES: [string, string, string | null][] = [
  ["transactions", "ordered_at", "order_id"],
  ["customers", "signup_date", "customer_id"],
  ["visits", "visited_at", null],
  ["complaints", "opened_at", null],
  ["invoices", "issued_at", null],
];
const SAMPLES = 3;

await emitJson(
  await withReportSource(async (source) => {
    const hasLog = source.tables.includes("ingest_log");
    const hasRejected = source.tables.includes("rejected_rows");
    const files = hasLog
      ? await source.query(
          `select source, regexp_extract(source_file, '[^/\\\\]+$') as file, sum(rows_loaded)::integer as loaded,
                  sum(rows_rejected)::integer as rejected, (sum(rows_loaded) + sum(rows_rejected))::integer as read,
                  strftime(max(loaded_at), '%Y-%m-%d %H:%M:%S') as loaded_at
           from ingest_log group by all order by source, file`,
        )
      : [];
    const reasons = hasRejected
      ? await source.query(
          `select source, regexp_extract(source_file, '[^/\\\\]+$') as file, reason, count(*)::integer as rows
           from rejected_rows group by all order by rows desc, source, file, reason limit 200`,
        )
      : [];
    const samples = hasRejected
      ? await source.query(
          `select source, regexp_extract(source_file, '[^/\\\\]+$') as file, reason, line, "column", value
           from (select *, row_number() over (partition by source, source_file, reason order by line) as n from rejected_rows)
           where n <= ${SAMPLES} order by source, file, reason, line`,
        )
      : [];
    const sources = [];
    for (const [name, dateColumn, key] of SOURCES) {
      const [row] = await source.query<{
        rows: number;
        first: string | null;
        last: string | null;
        duplicates: number | null;
      }>(
        `select count(*)::integer as rows, min(${dateColumn})::date::varchar as first, max(${dateColumn})::date::varchar as last,
                ${key ? `(count(${key}) - count(distinct ${key}))::integer` : "null::integer"} as duplicates
         from ${name}`,
      );
      sources.push({ source: name, ...row });
    }
    const [last] = hasLog
      ? await source.query<{ at: string | null }>(
          "select strftime(max(loaded_at), '%Y-%m-%d %H:%M:%S') as at from ingest_log",
        )
      : [];
    return {
      hasLog,
      hasRejected,
      files,
      reasons,
      samples,
      sources,
      asOf: await resolveAsOf(source),
      lastLoad: last?.at ?? null,
      builtAt: source.env.builtAt,
    };
  }),
);
