-- sales_by_region: one row per period and region (period = date_trunc(getvariable('cohort_period'), order day); only
-- periods and region values with transactions on or before as_of appear; the period holding as_of may be partial).
-- Purpose: 客户区域分析表 (sales by customer region); region = customers.region (int_customer_attributes), 'unknown' when missing.
--   customers      = distinct customers with a non-refund line (amount >= 0) in the cell
--   new_customers  = those of them whose first purchase (customer_summary) falls in this period
--   orders         = distinct order_ids with a non-refund line in the cell
--   revenue        = net amount, refunds included (can be <= 0)
--   repeat_rate    = share of the cell's customers whose first purchase is before this period (NULL if no customers)
-- A customer without any purchase day (refunds only) adds revenue but is neither new nor returning.
with

transactions as (select * from stg_transactions),

customer_attributes as (select * from int_customer_attributes),

customer_summary as (select * from customer_summary),

lines as (
    select
        customer_id,
        order_id,
        amount,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period
    from transactions
    where ordered_on <= getvariable('as_of')
),

customer_cells as (
    -- one row per period and customer first (region is a customer attribute): the distinct counts below become
    -- plain counts, and the join to customer attributes runs on these rows, not on every line
    select
        period,
        customer_id,
        bool_or(amount >= 0) as bought,
        count(distinct order_id) filter (where amount >= 0) as orders,
        sum(amount) as revenue
    from lines
    group by all
),

classified as (
    select
        customer_cells.*,
        coalesce(customer_attributes.region, 'unknown') as region,
        date_trunc(getvariable('cohort_period'), customer_summary.first_purchase)::date as first_purchase_period
    from customer_cells
    left join customer_attributes using (customer_id)
    left join customer_summary using (customer_id)
),

cells as (
    select
        period,
        region,
        count(*) filter (where bought) as customers,
        count(*) filter (where bought and first_purchase_period = period) as new_customers,
        count(*) filter (where bought and first_purchase_period < period) as returning_customers,
        sum(orders) as orders,
        sum(revenue) as revenue
    from classified
    group by all
),

final as (
    select
        period,
        region,
        customers::integer as customers,
        new_customers::integer as new_customers,
        orders::integer as orders,
        revenue::double as revenue,
        (returning_customers / nullif(customers, 0))::double as repeat_rate
    from cells
    order by period, region
)

select * from final
