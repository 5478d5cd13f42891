-- receivables_summary: one row per aging bucket ('current', '1-30', '31-60', '61-90', '90+'; always all five, zero
-- when nothing is owed) with the open amount at as_of, its share of all receivables, and the company-wide DSO
-- repeated on every row.
--   DSO (days sales outstanding) = total open receivables at as_of / credit sales over the last 90 days x 90, where
--   credit sales = amount of invoices issued in (as_of - 90, as_of]. NULL when nothing was invoiced in that window.
with

invoices as (
    select * from int_crm_invoices
),

buckets as (
    select * from (values (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '90+')) as b(bucket_order, bucket)
),

open_by_bucket as (
    select
        aging_bucket as bucket,
        count(*) as invoices,
        count(distinct customer_id) as customers,
        sum(open_amount) as open_amount
    from invoices
    where open_amount > 0
    group by aging_bucket
),

totals as (
    select
        coalesce(sum(open_amount), 0) as total_receivables,
        coalesce(sum(amount) filter (where issued_at > getvariable('as_of') - 90), 0) as credit_sales_90d
    from invoices
),

final as (
    select
        buckets.bucket,
        buckets.bucket_order::integer as bucket_order,
        coalesce(open_by_bucket.invoices, 0)::integer as invoices,
        coalesce(open_by_bucket.customers, 0)::integer as customers,
        coalesce(open_by_bucket.open_amount, 0)::double as open_amount,
        case when totals.total_receivables > 0 then coalesce(open_by_bucket.open_amount, 0) / totals.total_receivables end::double as share,
        totals.total_receivables::double as total_receivables,
        totals.credit_sales_90d::double as credit_sales_90d,
        case when totals.credit_sales_90d > 0 then totals.total_receivables / totals.credit_sales_90d * 90 end::double as dso_days
    from buckets
    cross join totals
    left join open_by_bucket using (bucket)
)

select * from final
order by bucket_order
