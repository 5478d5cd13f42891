// The complaints page: complaint_stats (cells and roll-ups) and complaint_retention (four groups).
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const has = {
      complaint_stats: source.has("complaint_stats"),
      complaint_retention: source.has("complaint_retention"),
    };
    const complaints = (await source.query<{ n: number }>("select count(*)::integer as n from complaints"))[0]?.n ?? 0;
    const stats = has.complaint_stats ? (await source.read("complaint_stats")).rows : [];
    const retention = has.complaint_retention
      ? await source.query(
          "select * replace (reference_date::varchar as reference_date) from complaint_retention order by cohort_order",
        )
      : [];
    return { has, complaints, stats, retention };
  }),
);
