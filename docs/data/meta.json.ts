// Site-wide facts every page reads first: locale, currency, title, as-of date, build time, data provenance, and
// which marts/tables exist (pages show "n/a" plus a hint for the missing ones).
import { emitJson, resolveAsOf, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const { env } = source;
    const asOf = await resolveAsOf(source);
    // Provenance: the ingest log names the export files; without a database, the mart files themselves.
    const files = source.has("ingest_log")
      ? await source.query<{ source: string; file: string; rows: number; loaded_at: string }>(
          `select source, regexp_extract(source_file, '[^/\\\\]+$') as file, sum(rows_loaded)::integer as rows, sum(rows_rejected)::integer as rejected,
                  strftime(max(loaded_at), '%Y-%m-%dT%H:%M:%S') as loaded_at
           from ingest_log group by all order by source, file`,
        )
      : [];
    // Rows per export: a source that was never configured exists as an empty table (pages then say "no data").
    const sources: Record<string, number> = {};
    for (const name of ["transactions", "customers", "visits", "complaints", "invoices"]) {
      sources[name] = (await source.query<{ n: number }>(`select count(*)::integer as n from ${name}`))[0]?.n ?? 0;
    }
    return {
      locale: env.locale,
      sources,
      currency: env.currency,
      title: env.title,
      builtAt: env.builtAt,
      runId: env.runId,
      asOf,
      maskPii: env.maskPii,
      marts: source.marts,
      tables: source.tables,
      files,
      martFiles: files.length ? [] : source.martFiles(),
    };
  }),
);
