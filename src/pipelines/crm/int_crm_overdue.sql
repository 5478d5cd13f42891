-- int_crm_overdue: one row per customer_id with at least one invoice overdue at as_of (int_crm_invoices: money still
-- open, past the due date): overdue_invoices (count), overdue_amount (sum of open amounts), max_days_overdue.
-- The one definition of "overdue" that the follow-up queue, key and problem accounts and the snapshots share.
with

invoices as (select * from int_crm_invoices),

final as (
    select
        customer_id,
        count(*)::integer as overdue_invoices,
        sum(open_amount)::double as overdue_amount,
        max(days_overdue)::integer as max_days_overdue
    from invoices
    where open_amount > 0 and days_overdue > 0
    group by customer_id
)

select * from final
