// The follow-up page: each rep's queue (followup_queue ranked by call value, top MAX_PER_REP per rep; is_today marks
// a day's work), reason counts, rep workload and whether contact history exists at all (without visits, overdue
// contacts cannot be judged).
import { emitJson, resolveAsOf, withReportSource, type ReportSource } from "../../src/report/marts.ts";

const MAX_PER_REP = 200;

async function rowCount(source: ReportSource, table: string): Promise<number> {
  return (await source.query<{ n: number }>(`select count(*)::integer as n from ${table}`))[0]?.n ?? 0;
}

await emitJson(
  await withReportSource(async (source) => {
    const asOf = await resolveAsOf(source);
    const has = {
      followup_queue: source.has("followup_queue"),
      rep_workload: source.has("rep_workload"),
      contact_cadence: source.has("contact_cadence"),
    };
    const queue = has.followup_queue
      ? await source.query(
          `select sales_rep, priority, is_today, customer_id, name, grade, next_action, next_action_zh, next_action_en,
                  call_value, churn_stake, replenishment_stake, complaint_stake, reasons, reason_count, value,
                  last_contact::varchar as last_contact, days_since_last_contact, next_birthday::varchar as next_birthday,
                  open_complaints, overdue_amount
           from followup_queue where priority <= ${MAX_PER_REP} order by sales_rep, priority`,
        )
      : [];
    const byRep = has.followup_queue
      ? await source.query(
          `select sales_rep, count(*)::integer as customers, count(*) filter (where is_today)::integer as today,
                  sum(value)::double as value, sum(call_value) filter (where is_today)::double as today_call_value,
                  count(*) filter (where list_contains(reasons, 'contact_overdue'))::integer as contact_overdue,
                  count(*) filter (where list_contains(reasons, 'birthday_soon'))::integer as birthdays
           from followup_queue group by sales_rep order by sales_rep`,
        )
      : [];
    const byReason = has.followup_queue
      ? await source.query(
          `select reason, count(*)::integer as customers from (select unnest(reasons) as reason from followup_queue)
           group by reason order by customers desc, reason`,
        )
      : [];
    // A day's work per rep (analysis.followupPerRep): the largest priority still on today's list.
    const perDay = has.followup_queue
      ? ((
          await source.query<{ n: number | null }>(
            "select max(priority) filter (where is_today)::integer as n from followup_queue",
          )
        )[0]?.n ?? null)
      : null;
    const workload = has.rep_workload ? (await source.read("rep_workload")).rows : [];
    const cadence = has.contact_cadence
      ? (
          await source.query(
            `select coalesce(bool_or(has_contact_data), false) as has_contact_data,
                    min(cadence_days) filter (where grade = 'A')::integer as a, min(cadence_days) filter (where grade = 'B')::integer as b,
                    min(cadence_days) filter (where grade = 'C')::integer as c, min(cadence_days) filter (where grade = 'D')::integer as d
             from contact_cadence`,
          )
        )[0]
      : null;
    // Which optional inputs exist: a reason whose input is missing can never appear, and the page says so.
    const inputs = {
      visits: await rowCount(source, "visits"),
      invoices: await rowCount(source, "invoices"),
      complaints: await rowCount(source, "complaints"),
      birthdays: await rowCount(source, "(select * from customers where birthday is not null)"),
    };
    return {
      asOf,
      has,
      maxPerRep: MAX_PER_REP,
      perDay,
      visits: inputs.visits,
      inputs,
      queue,
      byRep,
      byReason,
      workload,
      cadence,
    };
  }),
);
