-- sales_by_category: one row per period and category (period = date_trunc(getvariable('cohort_period'), order day); only
-- periods and category values with transactions on or before as_of appear; the period holding as_of may be partial).
-- Purpose: 客户销售分析表 by product category; category = transactions.category, 'unknown' when missing or blank.
--   customers      = distinct customers with a non-refund line (amount >= 0) in the cell
--   new_customers  = those of them whose first purchase (customer_summary) falls in this period
--   orders         = distinct order_ids with a non-refund line in the cell
--   revenue        = net amount, refunds included (can be <= 0)
--   repeat_rate    = share of the cell's customers whose first purchase is before this period (NULL if no customers)
-- A customer without any purchase day (refunds only) adds revenue but is neither new nor returning.
with

transactions as (select * from stg_transactions),

customer_summary as (select * from customer_summary),

lines as (
    select
        customer_id,
        order_id,
        amount,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period,
        coalesce(nullif(trim(category), ''), 'unknown') as category
    from transactions
    where ordered_on <= getvariable('as_of')
),

customer_cells as (
    -- one row per period, category and customer first: the distinct counts below become plain counts
    select
        period,
        category,
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
        date_trunc(getvariable('cohort_period'), customer_summary.first_purchase)::date as first_purchase_period
    from customer_cells
    left join customer_summary using (customer_id)
),

cells as (
    select
        period,
        category,
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
        category,
        customers::integer as customers,
        new_customers::integer as new_customers,
        orders::integer as orders,
        revenue::double as revenue,
        (returning_customers / nullif(customers, 0))::double as repeat_rate
    from cells
    order by period, category
)

select * from final
