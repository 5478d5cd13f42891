/**
 * The CRM marts that read customer_clv or churn_risk. Those two are written by TypeScript steps (src/pipelines/clv),
 * so these are TypeScript steps too: the runner's empty-data check materialises .sql models only, and a .sql model
 * reading a TS step's table would fail there. Each is still one select statement, materialised as
 * `create or replace table <name> as <select>`; `dependsOn` lists every model its SQL reads (checked against the SQL
 * in test/pipelines/crm-followup.test.ts). Tested on hand-computed fixtures in test/pipelines/crm-followup.test.ts.
 */
import type { Step } from "../runner.ts";

const THIS_FILE = new URL(import.meta.url).pathname;

export const CONTACT_CADENCE_SQL = `
-- contact_cadence: one row per customer_id of int_crm_accounts (everyone in the customers file or with a purchase
-- up to as_of). When is each customer due for the next contact (visit, call, email, event: every visits row)?
--   grade           customer_grades.grade; 'D' when the customer has no grade (no purchase yet)
--   cadence_days    getvariable('cadence_a' .. 'cadence_d') by grade (defaults A 14, B 30, C 60, D 120 days)
--   contacts        visits up to as_of; contacts_per_period = visits in the last 365 days x period_days / 365
--   next_contact_due  last contact + cadence; never contacted: first purchase + cadence (NULL for a prospect)
--   is_contact_overdue  as_of > next_contact_due; always false when the visits table is empty (contact history
--                   unknown: has_contact_data = false says so), days_overdue = as_of - next_contact_due
--   value           customer_clv.clv, else net revenue to date (value_source says which)
--   overdue_rank    1 = most valuable overdue customer; NULL when not overdue
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from int_crm_visits
),

grades as (
    select * from customer_grades
),

clv as (
    select * from customer_clv
),

contact_data as (
    select count(*) > 0 as has_contact_data from visits
),

contacts as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where visit_date > getvariable('as_of') - 365) as contacts_last_365d,
        max(visit_date) as last_contact
    from visits
    group by customer_id
),

cadences as (
    select
        accounts.customer_id,
        accounts.sales_rep,
        accounts.first_purchase,
        accounts.revenue,
        coalesce(grades.grade, 'D') as grade,
        case coalesce(grades.grade, 'D')
            when 'A' then getvariable('cadence_a')
            when 'B' then getvariable('cadence_b')
            when 'C' then getvariable('cadence_c')
            else getvariable('cadence_d')
        end::integer as cadence_days,
        coalesce(contacts.contacts, 0) as contacts,
        coalesce(contacts.contacts_last_365d, 0) as contacts_last_365d,
        contacts.last_contact,
        clv.clv
    from accounts
    left join grades using (customer_id)
    left join contacts using (customer_id)
    left join clv using (customer_id)
),

due as (
    select
        cadences.*,
        contact_data.has_contact_data,
        case when contact_data.has_contact_data then coalesce(last_contact, first_purchase) + cadence_days end as next_contact_due
    from cadences
    cross join contact_data
),

flagged as (
    select
        *,
        coalesce(getvariable('as_of') > next_contact_due, false) as is_contact_overdue,
        coalesce(clv, revenue) as value
    from due
),

final as (
    select
        customer_id,
        sales_rep,
        grade,
        cadence_days,
        contacts::integer as contacts,
        (contacts_last_365d * getvariable('period_days') / 365)::double as contacts_per_period,
        last_contact,
        (getvariable('as_of') - last_contact)::integer as days_since_last_contact,
        next_contact_due,
        case when is_contact_overdue then getvariable('as_of') - next_contact_due else 0 end::integer as days_overdue,
        is_contact_overdue,
        has_contact_data,
        value::double as value,
        case when clv is not null then 'clv' else 'revenue' end as value_source,
        case when is_contact_overdue then
            row_number() over (partition by is_contact_overdue order by value desc, customer_id)
        end::integer as overdue_rank
    from flagged
)

select * from final
order by overdue_rank nulls last, customer_id
`;

export const FOLLOWUP_QUEUE_SQL = `
-- followup_queue: one row per (sales_rep, customer_id) with at least one reason to reach out as of as_of: the list a
-- rep opens every morning (跟进清单). A customer appears once, under its owner (int_crm_accounts.sales_rep:
-- customers.sales_rep, else the rep of the most recent transaction, else 'unassigned').
-- reasons (VARCHAR[], in this order):
--   contact_overdue    contact_cadence.is_contact_overdue (no contact within the grade's cadence)
--   replenishment_due  purchase_frequency.is_overdue (past the expected next purchase: the rice-shop rule)
--   churn_risk         listed in churn_risk
--   open_complaint     a complaint opened by as_of and not resolved by as_of
--   invoice_overdue    an invoice with money still open past its due date at as_of
--   birthday_soon      the next birthday falls in [as_of, as_of + 14 days]; a 29 February birthday is kept on
--                      28 February in other years
-- value = customer_clv.clv, else net revenue to date. priority = 1, 2, ... within a rep: more reasons first, then
-- higher value, then customer_id.
with

accounts as (
    select * from int_crm_accounts
),

cadence as (
    select * from contact_cadence
),

rhythm as (
    select * from purchase_frequency
),

churn_list as (
    select * from churn_risk
),

complaints as (
    select * from int_crm_complaints
),

invoices as (
    select * from int_crm_invoices
),

grades as (
    select * from customer_grades
),

open_complaints as (
    select customer_id, count(*) as open_complaints
    from complaints
    where is_open
    group by customer_id
),

overdue_invoices as (
    select customer_id, sum(open_amount) as overdue_amount, max(days_overdue) as max_days_overdue
    from invoices
    where open_amount > 0 and days_overdue > 0
    group by customer_id
),

birthdays as (
    select
        customer_id,
        -- this year's and next year's birthday; last_day() keeps 29 February on the 28th in other years
        least(
            make_date(year(getvariable('as_of'))::bigint, month(birthday), 1) + (day(birthday) - 1)::integer,
            last_day(make_date(year(getvariable('as_of'))::bigint, month(birthday), 1))
        ) as this_year,
        least(
            make_date(year(getvariable('as_of'))::bigint + 1, month(birthday), 1) + (day(birthday) - 1)::integer,
            last_day(make_date(year(getvariable('as_of'))::bigint + 1, month(birthday), 1))
        ) as next_year
    from accounts
    where birthday is not null
),

next_birthdays as (
    select customer_id, case when this_year >= getvariable('as_of') then this_year else next_year end as next_birthday
    from birthdays
),

signals as (
    select
        accounts.customer_id,
        accounts.sales_rep,
        accounts.name,
        grades.grade,
        coalesce(cadence.value, accounts.revenue) as value,
        cadence.last_contact,
        cadence.days_since_last_contact,
        next_birthdays.next_birthday,
        coalesce(open_complaints.open_complaints, 0) as open_complaints,
        coalesce(overdue_invoices.overdue_amount, 0) as overdue_amount,
        list_filter([
            case when cadence.is_contact_overdue then 'contact_overdue' end,
            case when rhythm.is_overdue then 'replenishment_due' end,
            case when at_risk.customer_id is not null then 'churn_risk' end,
            case when open_complaints.customer_id is not null then 'open_complaint' end,
            case when overdue_invoices.customer_id is not null then 'invoice_overdue' end,
            case when next_birthdays.next_birthday <= getvariable('as_of') + 14 then 'birthday_soon' end
        ], r -> r is not null) as reasons
    from accounts
    left join cadence using (customer_id)
    left join rhythm using (customer_id)
    left join (select distinct customer_id from churn_list) as at_risk using (customer_id)
    left join open_complaints using (customer_id)
    left join overdue_invoices using (customer_id)
    left join next_birthdays using (customer_id)
    left join grades using (customer_id)
),

final as (
    select
        sales_rep,
        customer_id,
        name,
        grade,
        reasons::varchar[] as reasons,
        len(reasons)::integer as reason_count,
        value::double as value,
        last_contact,
        days_since_last_contact::integer as days_since_last_contact,
        next_birthday,
        open_complaints::integer as open_complaints,
        overdue_amount::double as overdue_amount,
        row_number() over (partition by sales_rep order by len(reasons) desc, value desc, customer_id)::integer as priority
    from signals
    where len(reasons) > 0
)

select * from final
order by sales_rep, priority
`;

export const SINGLE_CONTACT_CUSTOMERS_SQL = `
-- single_contact_customers: one row per customer_id whose every contact with the company went through one sales
-- rep (人走客不走: the customer belongs to the company, so these relationships need a second contact before that
-- rep leaves). Contacts are the reps named on the customer's visits and transactions up to as_of (rows without a
-- rep are ignored); exactly one distinct rep qualifies. value = customer_clv.clv, else net revenue to date;
-- value_rank 1 = the most valuable such customer.
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from stg_visits
    where visited_at::date <= getvariable('as_of')
),

transactions as (
    select * from stg_transactions
    where ordered_at::date <= getvariable('as_of')
),

clv as (
    select * from customer_clv
),

touches as (
    select customer_id, trim(sales_rep) as rep, visited_at::date as touched_on, 'visit' as via from visits
    where nullif(trim(sales_rep), '') is not null
    union all
    select customer_id, trim(sales_rep) as rep, ordered_at::date as touched_on, 'order' as via from transactions
    where nullif(trim(sales_rep), '') is not null
),

per_customer as (
    select
        customer_id,
        min(rep) as only_rep,
        count(*) filter (where via = 'visit') as visits,
        count(*) filter (where via = 'order') as order_lines,
        max(touched_on) as last_touch
    from touches
    group by customer_id
    having count(distinct rep) = 1
),

final as (
    select
        per_customer.customer_id,
        per_customer.only_rep as sales_rep,
        accounts.name,
        per_customer.visits::integer as visits,
        accounts.orders::integer as orders,
        accounts.revenue::double as revenue,
        coalesce(clv.clv, accounts.revenue)::double as value,
        per_customer.last_touch,
        row_number() over (order by coalesce(clv.clv, accounts.revenue) desc nulls last, per_customer.customer_id)::integer as value_rank
    from per_customer
    left join accounts using (customer_id)
    left join clv using (customer_id)
)

select * from final
order by value_rank
`;

export const REP_WORKLOAD_SQL = `
-- rep_workload: one row per sales_rep that owns at least one customer (int_crm_accounts.sales_rep, including
-- 'unassigned'). How much each rep carries: customers owned, those who bought in the last 365 days, net revenue to
-- date and in the last 90 days of the owned customers, open follow-ups (followup_queue rows), overdue contacts
-- (contact_cadence.is_contact_overdue), visits made in the last 90 days (by the visit's rep), and customers only
-- this rep has ever dealt with (single_contact_customers).
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from int_crm_visits
),

queue as (
    select * from followup_queue
),

cadence as (
    select * from contact_cadence
),

single_contact as (
    select * from single_contact_customers
),

owned as (
    select
        sales_rep,
        count(*) as customers,
        count(*) filter (where last_purchase > getvariable('as_of') - 365) as active_customers,
        sum(revenue) as revenue,
        sum(revenue_last_90d) as revenue_last_90d
    from accounts
    group by sales_rep
),

followups as (
    select sales_rep, count(*) as followups from queue group by sales_rep
),

overdue_contacts as (
    select sales_rep, count(*) as overdue_contacts from cadence where is_contact_overdue group by sales_rep
),

recent_visits as (
    select sales_rep, count(*) as visits_last_90d
    from visits
    where visit_date > getvariable('as_of') - 90
    group by sales_rep
),

single_contacts as (
    select sales_rep, count(*) as single_contact_customers from single_contact group by sales_rep
),

final as (
    select
        owned.sales_rep,
        owned.customers::integer as customers,
        owned.active_customers::integer as active_customers,
        owned.revenue::double as revenue,
        owned.revenue_last_90d::double as revenue_last_90d,
        coalesce(followups.followups, 0)::integer as followups,
        coalesce(overdue_contacts.overdue_contacts, 0)::integer as overdue_contacts,
        coalesce(recent_visits.visits_last_90d, 0)::integer as visits_last_90d,
        coalesce(single_contacts.single_contact_customers, 0)::integer as single_contact_customers
    from owned
    left join followups using (sales_rep)
    left join overdue_contacts using (sales_rep)
    left join recent_visits using (sales_rep)
    left join single_contacts using (sales_rep)
)

select * from final
order by revenue desc, sales_rep
`;

export const KEY_ACCOUNTS_SQL = `
-- key_accounts (重点客户管理表): one row per key account = the top 20% of customers with a purchase up to as_of by
-- value (customer_clv.clv, else net revenue to date), at least 1 and at most 100 customers; value_rank 1 = highest.
--   trend: net revenue in the last 90 days (as_of - 90, as_of] vs the 90 days before; trend_pct = (last - prev) / prev
--          (NULL when prev <= 0); trend = 'up' (>= +10%), 'down' (<= -10%), 'flat', 'new' (nothing before, some now),
--          'none' (nothing in either window)
--   risk:  p_alive from customer_clv, churn_reasons from churn_risk (empty when not at risk), at_risk, open
--          complaints and overdue receivables at as_of
with

accounts as (
    select * from int_crm_accounts
    where orders > 0
),

clv as (
    select * from customer_clv
),

churn_list as (
    select * from churn_risk
),

grades as (
    select * from customer_grades
),

complaints as (
    select * from int_crm_complaints
),

invoices as (
    select * from int_crm_invoices
),

valued as (
    select
        accounts.*,
        coalesce(clv.clv, accounts.revenue) as value,
        clv.p_alive,
        row_number() over (order by coalesce(clv.clv, accounts.revenue) desc, accounts.customer_id) as value_rank,
        count(*) over () as customers
    from accounts
    left join clv using (customer_id)
),

key_set as (
    select * from valued
    where value_rank <= least(100, greatest(1, ceil(0.2 * customers)))
),

churn_reasons as (
    select customer_id, flatten(list(reasons)) as reasons from churn_list group by customer_id
),

open_complaints as (
    select customer_id, count(*) as open_complaints from complaints where is_open group by customer_id
),

overdue as (
    select customer_id, sum(open_amount) as overdue_amount
    from invoices
    where open_amount > 0 and days_overdue > 0
    group by customer_id
),

final as (
    select
        key_set.value_rank::integer as value_rank,
        key_set.customer_id,
        key_set.name,
        key_set.sales_rep,
        grades.grade,
        key_set.value::double as value,
        key_set.revenue::double as revenue,
        key_set.revenue_last_90d::double as revenue_last_90d,
        key_set.revenue_prev_90d::double as revenue_prev_90d,
        case when key_set.revenue_prev_90d > 0
            then (key_set.revenue_last_90d - key_set.revenue_prev_90d) / key_set.revenue_prev_90d
        end::double as trend_pct,
        case
            when key_set.revenue_prev_90d <= 0 and key_set.revenue_last_90d > 0 then 'new'
            when key_set.revenue_prev_90d <= 0 then 'none'
            when key_set.revenue_last_90d >= 1.1 * key_set.revenue_prev_90d then 'up'
            when key_set.revenue_last_90d <= 0.9 * key_set.revenue_prev_90d then 'down'
            else 'flat'
        end as trend,
        key_set.p_alive::double as p_alive,
        coalesce(churn_reasons.reasons, []::varchar[])::varchar[] as churn_reasons,
        churn_reasons.customer_id is not null as at_risk,
        coalesce(open_complaints.open_complaints, 0)::integer as open_complaints,
        coalesce(overdue.overdue_amount, 0)::double as overdue_amount
    from key_set
    left join grades using (customer_id)
    left join churn_reasons using (customer_id)
    left join open_complaints using (customer_id)
    left join overdue using (customer_id)
)

select * from final
order by value_rank
`;

export const PROBLEM_ACCOUNTS_SQL = `
-- problem_accounts (问题客户对策表): one row per customer_id with at least one problem at as_of, and what to do.
-- problems (VARCHAR[], in this order):
--   overdue_invoice      money still open past the due date (int_crm_invoices)
--   repeated_complaints  2 or more complaints opened up to as_of
--   falling_purchases    net revenue in the last 90 days below half of the 90 days before (which was > 0)
-- action_zh / action_en: one suggested action per problem, joined in the same order. value = customer_clv.clv, else
-- net revenue to date. priority 1 = handle first: more problems, then larger overdue amount, then higher value.
with

accounts as (
    select * from int_crm_accounts
),

clv as (
    select * from customer_clv
),

complaints as (
    select * from int_crm_complaints
),

invoices as (
    select * from int_crm_invoices
),

overdue as (
    select customer_id, sum(open_amount) as overdue_amount, max(days_overdue) as max_days_overdue
    from invoices
    where open_amount > 0 and days_overdue > 0
    group by customer_id
),

complaint_counts as (
    select customer_id, count(*) as complaints, count(*) filter (where is_open) as open_complaints
    from complaints
    group by customer_id
),

flags as (
    select
        accounts.customer_id,
        accounts.name,
        accounts.sales_rep,
        accounts.revenue_last_90d,
        accounts.revenue_prev_90d,
        coalesce(clv.clv, accounts.revenue) as value,
        coalesce(overdue.overdue_amount, 0) as overdue_amount,
        coalesce(overdue.max_days_overdue, 0) as max_days_overdue,
        coalesce(complaint_counts.complaints, 0) as complaints,
        coalesce(complaint_counts.open_complaints, 0) as open_complaints,
        overdue.customer_id is not null as has_overdue,
        coalesce(complaint_counts.complaints, 0) >= 2 as has_repeated_complaints,
        accounts.revenue_prev_90d > 0 and accounts.revenue_last_90d < 0.5 * accounts.revenue_prev_90d as has_falling
    from accounts
    left join clv using (customer_id)
    left join overdue using (customer_id)
    left join complaint_counts using (customer_id)
),

with_actions as (
    select
        *,
        list_filter([
            case when has_overdue then 'overdue_invoice' end,
            case when has_repeated_complaints then 'repeated_complaints' end,
            case when has_falling then 'falling_purchases' end
        ], p -> p is not null) as problems,
        concat_ws('；',
            case when has_overdue then '催收逾期账款，结清前暂停赊销' end,
            case when has_repeated_complaints then '主管回访，查明投诉根因并跟进整改' end,
            case when has_falling then '拜访了解需求变化，提供针对性方案' end
        ) as action_zh,
        concat_ws('; ',
            case when has_overdue then 'Collect the overdue invoices; hold credit sales until settled' end,
            case when has_repeated_complaints then 'Manager call-back: find the root cause of the complaints and follow up the fix' end,
            case when has_falling then 'Visit to learn what changed and offer a tailored proposal' end
        ) as action_en
    from flags
    where has_overdue or has_repeated_complaints or has_falling
),

final as (
    select
        customer_id,
        name,
        sales_rep,
        problems::varchar[] as problems,
        overdue_amount::double as overdue_amount,
        max_days_overdue::integer as max_days_overdue,
        complaints::integer as complaints,
        open_complaints::integer as open_complaints,
        revenue_last_90d::double as revenue_last_90d,
        revenue_prev_90d::double as revenue_prev_90d,
        value::double as value,
        action_zh,
        action_en,
        row_number() over (order by len(problems) desc, overdue_amount desc, value desc, customer_id)::integer as priority
    from with_actions
)

select * from final
order by priority
`;

/** name -> [SQL, models it reads]. */
export const CRM_TS_MODELS: Record<string, { sql: string; dependsOn: string[] }> = {
  contact_cadence: { sql: CONTACT_CADENCE_SQL, dependsOn: ["int_crm_accounts", "int_crm_visits", "customer_grades", "customer_clv"] },
  followup_queue: { sql: FOLLOWUP_QUEUE_SQL, dependsOn: ["int_crm_accounts", "contact_cadence", "purchase_frequency", "churn_risk", "int_crm_complaints", "int_crm_invoices", "customer_grades"] },
  single_contact_customers: { sql: SINGLE_CONTACT_CUSTOMERS_SQL, dependsOn: ["int_crm_accounts", "stg_visits", "stg_transactions", "customer_clv"] },
  rep_workload: { sql: REP_WORKLOAD_SQL, dependsOn: ["int_crm_accounts", "int_crm_visits", "followup_queue", "contact_cadence", "single_contact_customers"] },
  key_accounts: { sql: KEY_ACCOUNTS_SQL, dependsOn: ["int_crm_accounts", "customer_clv", "churn_risk", "customer_grades", "int_crm_complaints", "int_crm_invoices"] },
  problem_accounts: { sql: PROBLEM_ACCOUNTS_SQL, dependsOn: ["int_crm_accounts", "customer_clv", "int_crm_complaints", "int_crm_invoices"] },
};

export function crmSteps(): Step[] {
  return Object.entries(CRM_TS_MODELS).map(([name, model]) => ({
    name,
    file: `${THIS_FILE} (${name})`,
    dependsOn: [...model.dependsOn],
    async run(db) {
      try {
        await db.exec(`create or replace table ${name} as\n${model.sql.trim()}`);
      } catch (error) {
        throw new Error(`model ${name} (${THIS_FILE}) failed: ${(error as Error).message}`, { cause: error });
      }
    },
  }));
}
