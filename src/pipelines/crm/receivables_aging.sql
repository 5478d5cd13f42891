-- receivables_aging: one row per customer_id with money still owed at as_of (应收账款账龄).
-- Open amount and days past due per invoice come from int_crm_invoices (amount - paid at as_of; buckets by
-- as_of - due_at: current = not yet due, 1-30, 31-60, 61-90, 90+ days past due). overdue_amount = everything past
-- due; utilisation = total_open / customers.credit_limit (NULL without a positive limit).
with

invoices as (
    select * from int_crm_invoices
    where open_amount > 0
),

accounts as (
    select * from int_crm_accounts
),

per_customer as (
    select
        customer_id,
        count(*) as open_invoices,
        sum(open_amount) filter (where aging_bucket = 'current') as amount_current,
        sum(open_amount) filter (where aging_bucket = '1-30') as amount_1_30,
        sum(open_amount) filter (where aging_bucket = '31-60') as amount_31_60,
        sum(open_amount) filter (where aging_bucket = '61-90') as amount_61_90,
        sum(open_amount) filter (where aging_bucket = '90+') as amount_90_plus,
        sum(open_amount) as total_open,
        sum(open_amount) filter (where days_overdue > 0) as overdue_amount,
        max(days_overdue) as max_days_overdue,
        min(due_at) as oldest_due_at
    from invoices
    group by customer_id
),

final as (
    select
        per_customer.customer_id,
        coalesce(accounts.sales_rep, 'unassigned') as sales_rep,
        per_customer.open_invoices::integer as open_invoices,
        coalesce(amount_current, 0)::double as amount_current,
        coalesce(amount_1_30, 0)::double as amount_1_30,
        coalesce(amount_31_60, 0)::double as amount_31_60,
        coalesce(amount_61_90, 0)::double as amount_61_90,
        coalesce(amount_90_plus, 0)::double as amount_90_plus,
        total_open::double as total_open,
        coalesce(overdue_amount, 0)::double as overdue_amount,
        greatest(max_days_overdue, 0)::integer as max_days_overdue,
        oldest_due_at,
        accounts.credit_limit,
        case when accounts.credit_limit > 0 then total_open / accounts.credit_limit end::double as utilisation
    from per_customer
    left join accounts using (customer_id)
)

select * from final
order by overdue_amount desc, total_open desc, customer_id
