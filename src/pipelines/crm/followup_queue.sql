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
