-- int_crm_invoices: one row per invoice issued on or before as_of, with what was still owed at as_of.
-- Payment rules (the canonical invoices table has no status column, so these are the definitions):
--   paid_at <= as_of, paid_amount NULL   -> paid in full on paid_at
--   paid_at <= as_of, paid_amount given  -> paid_amount paid on paid_at (partial when < amount)
--   paid_at >  as_of                     -> nothing paid yet at as_of
--   paid_at NULL, paid_amount given      -> paid_amount paid on an unknown date (counted as paid at as_of)
--   paid_at NULL, paid_amount NULL       -> unpaid
--   open_amount = amount - paid at as_of (never below 0); days_overdue = as_of - due_at (<= 0: not yet due).
--   aging bucket of an open invoice: 'current' (not past due), '1-30', '31-60', '61-90', '90+' days past due.
--   paid_on_time: settled in full on or before due_at (NULL while not yet due, or paid on an unknown date);
--   days_late: paid late -> paid_at - due_at; still open and past due -> as_of - due_at; else 0.
-- "Written off" cannot be represented in the canonical table, so a default is an invoice open 90+ days past due.
with

invoices_to_date as (
    select * from stg_invoices
    where issued_at <= getvariable('as_of')
),

payments as (
    select
        *,
        case
            when paid_at is null then coalesce(paid_amount, 0)
            when paid_at <= getvariable('as_of') then coalesce(paid_amount, amount)
            else 0
        end as paid_by_as_of
    from invoices_to_date
),

open_amounts as (
    select
        *,
        greatest(amount - paid_by_as_of, 0) as open_amount,
        (getvariable('as_of') - due_at)::integer as days_overdue,
        -- settled in full (tolerating cent rounding) on a known date
        paid_at is not null and paid_at <= getvariable('as_of') and coalesce(paid_amount, amount) >= amount - 0.005
            as settled
    from payments
),

final as (
    select
        invoice_id,
        customer_id,
        issued_at,
        due_at,
        amount::double as amount,
        paid_at,
        paid_by_as_of::double as paid_by_as_of,
        case when open_amount < 0.005 then 0 else open_amount end::double as open_amount,
        days_overdue,
        case
            when open_amount < 0.005 then null
            when days_overdue <= 0 then 'current'
            when days_overdue <= 30 then '1-30'
            when days_overdue <= 60 then '31-60'
            when days_overdue <= 90 then '61-90'
            else '90+'
        end as aging_bucket,
        case
            when settled then paid_at <= due_at
            when open_amount < 0.005 then null -- paid on an unknown date
            when days_overdue > 0 then false
        end as paid_on_time,
        case
            when settled then greatest((paid_at - due_at)::integer, 0)
            when open_amount >= 0.005 and days_overdue > 0 then days_overdue
            else 0
        end::integer as days_late,
        open_amount >= 0.005 and days_overdue > 90 as defaulted,
        -- the day the invoice crossed 90 days past due (the default date), for re-rating
        case when open_amount >= 0.005 and days_overdue > 90 then due_at + 91 end as defaulted_on
    from open_amounts
)

select * from final
