-- credit_grade: one row per customer_id with at least one invoice issued by as_of (信用等级).
--   due_invoices     invoices with due_at <= as_of (only those can be judged on time or late)
--   on_time_rate     share of due invoices settled in full on or before due_at (int_crm_invoices.paid_on_time;
--                    invoices paid on an unknown date are left out of the rate)
--   avg_days_late    mean days_late over due invoices (paid late: paid_at - due_at; still open: as_of - due_at;
--                    on time: 0)
--   utilisation      open receivables at as_of / customers.credit_limit (NULL without a positive limit)
-- Grade rule, first match wins:
--   'D'  defaulted: an invoice still open more than 90 days past due at as_of
--   'NR' not rated: no invoice due yet
--   'A'  on_time_rate >= 0.9 and avg_days_late <= 5  and utilisation <= 0.8 (or no limit)
--   'B'  on_time_rate >= 0.7 and avg_days_late <= 15 and utilisation <= 1.0 (or no limit)
--   'C'  otherwise (often late, or over the credit limit)
-- needs_rerating: the customer defaulted since the last credit review. Previous runs are not stored, so the last
-- review is defined as the start of the current cohort period (date_trunc(cohort_period, as_of), monthly by default):
-- true when an invoice still open at as_of crossed 90 days past due (due_at + 91) on or after that date.
with

invoices as (
    select * from int_crm_invoices
),

accounts as (
    select * from int_crm_accounts
),

review as (
    select date_trunc(getvariable('cohort_period'), getvariable('as_of'))::date as last_review
),

per_customer as (
    select
        customer_id,
        count(*) as invoices,
        count(*) filter (where due_at <= getvariable('as_of')) as due_invoices,
        avg(case when paid_on_time then 1.0 else 0.0 end) filter (where paid_on_time is not null) as on_time_rate,
        avg(days_late) filter (where due_at <= getvariable('as_of')) as avg_days_late,
        sum(open_amount) as open_amount,
        sum(open_amount) filter (where days_overdue > 0) as overdue_amount,
        bool_or(defaulted) as defaulted,
        max(defaulted_on) as last_defaulted_on
    from invoices
    group by customer_id
),

scored as (
    select
        per_customer.*,
        coalesce(accounts.sales_rep, 'unassigned') as sales_rep,
        accounts.credit_limit,
        case when accounts.credit_limit > 0 then per_customer.open_amount / accounts.credit_limit end as utilisation,
        review.last_review
    from per_customer
    cross join review
    left join accounts using (customer_id)
),

final as (
    select
        customer_id,
        sales_rep,
        invoices::integer as invoices,
        due_invoices::integer as due_invoices,
        on_time_rate::double as on_time_rate,
        avg_days_late::double as avg_days_late,
        open_amount::double as open_amount,
        coalesce(overdue_amount, 0)::double as overdue_amount,
        credit_limit,
        utilisation::double as utilisation,
        defaulted,
        case
            when defaulted then 'D'
            when due_invoices = 0 then 'NR'
            when coalesce(on_time_rate, 0) >= 0.9 and avg_days_late <= 5 and coalesce(utilisation, 0) <= 0.8 then 'A'
            when coalesce(on_time_rate, 0) >= 0.7 and avg_days_late <= 15 and coalesce(utilisation, 0) <= 1.0 then 'B'
            else 'C'
        end as credit_grade,
        last_review,
        coalesce(last_defaulted_on >= last_review, false) as needs_rerating
    from scored
)

select * from final
order by customer_id
