-- int_sales_cells (ClickHouse): int_sales_cells.sql on the engine; one row per dimension ('region', 'sales_rep',
-- 'category'), dimension value and cohort period with transactions on or before as_of; same columns, types and
-- definitions (see int_sales_cells.sql). The customer attributes are int_customer_attributes.sql's (blank -> NULL,
-- max per customer), read from the engine's `customers` table.
with

customer_attributes as (
    select
        customer_id,
        max(nullIf(trimBoth(region), '')) as attr_region,
        max(nullIf(trimBoth(sales_rep), '')) as attr_sales_rep
    from customers
    group by customer_id
),

lines as (
    select
        stg_transactions.customer_id as customer_id,
        stg_transactions.order_id as order_id,
        stg_transactions.amount as amount,
        toDate32(dateTrunc({cohort_period:String}, stg_transactions.ordered_on)) as period,
        coalesce(customer_attributes.attr_region, 'unknown') as region,
        coalesce(nullIf(trimBoth(stg_transactions.sales_rep), ''), customer_attributes.attr_sales_rep, 'unknown') as line_sales_rep,
        coalesce(nullIf(trimBoth(stg_transactions.category), ''), 'unknown') as category,
        toDate32(dateTrunc({cohort_period:String}, customer_summary.first_purchase)) as first_purchase_period
    from stg_transactions
    left join customer_attributes on customer_attributes.customer_id = stg_transactions.customer_id
    left join customer_summary on customer_summary.customer_id = stg_transactions.customer_id
    where stg_transactions.ordered_on <= {as_of:Date32}
),

customer_cells as (
    -- one row per dimension, value, period and customer first, as in int_sales_cells.sql
    select 'region' as dimension, region as value, period, customer_id, countIf(amount >= 0) > 0 as bought,
           uniqExactIf(order_id, amount >= 0) as customer_orders, sum(amount) as customer_revenue,
           min(first_purchase_period) as first_period
    from lines group by period, customer_id, region
    union all
    select 'sales_rep', line_sales_rep, period, customer_id, countIf(amount >= 0) > 0,
           uniqExactIf(order_id, amount >= 0), sum(amount), min(first_purchase_period)
    from lines group by period, customer_id, line_sales_rep
    union all
    select 'category', category, period, customer_id, countIf(amount >= 0) > 0,
           uniqExactIf(order_id, amount >= 0), sum(amount), min(first_purchase_period)
    from lines group by period, customer_id, category
),

cells as (
    select
        dimension,
        value,
        period,
        countIf(bought) as cell_customers,
        countIf(bought and coalesce(first_period = period, false)) as cell_new,
        countIf(bought and coalesce(first_period < period, false)) as cell_returning,
        sum(customer_orders) as cell_orders,
        sum(customer_revenue) as cell_revenue
    from customer_cells
    group by dimension, value, period
)

select
    dimension,
    value,
    period,
    toInt32(cell_customers) as customers,
    toInt32(cell_new) as new_customers,
    toInt32(cell_orders) as orders,
    toFloat64(cell_revenue) as revenue,
    toFloat64(cell_returning / nullIf(cell_customers, 0)) as repeat_rate
from cells
