-- int_sales_cells: one row per dimension ('region', 'sales_rep', 'category'), dimension value and period
-- (period = date_trunc(getvariable('cohort_period'), order day); only periods and values with transactions on or
-- before as_of appear; the period holding as_of may be partial).
-- Purpose: the one body of the 客户区域分析表 / 客户销售分析表 marts (sales_by_region, sales_by_rep, sales_by_category),
-- which only pick their dimension from it.
--   region         = customers.region (int_customer_attributes), 'unknown' when missing
--   sales_rep      = the line's sales_rep, else the customer's (customers.sales_rep), else 'unknown'
--   category       = transactions.category, 'unknown' when missing or blank
--   customers      = distinct customers with a non-refund line (amount >= 0) in the cell
--   new_customers  = those of them whose first purchase (customer_summary) falls in this period
--   orders         = distinct order_ids with a non-refund line in the cell
--   revenue        = net amount, refunds included (can be <= 0)
--   repeat_rate    = share of the cell's customers whose first purchase is before this period (NULL if no customers)
-- A customer without any purchase day (refunds only) adds revenue but is neither new nor returning.
with

transactions as (select * from stg_transactions),

customer_attributes as (select * from int_customer_attributes),

customer_summary as (select customer_id, first_purchase from customer_summary),

lines as (
    select
        transactions.customer_id,
        transactions.order_id,
        transactions.amount,
        date_trunc(getvariable('cohort_period'), transactions.ordered_on)::date as period,
        coalesce(customer_attributes.region, 'unknown') as region,
        coalesce(nullif(trim(transactions.sales_rep), ''), customer_attributes.sales_rep, 'unknown') as sales_rep,
        coalesce(nullif(trim(transactions.category), ''), 'unknown') as category,
        date_trunc(getvariable('cohort_period'), customer_summary.first_purchase)::date as first_purchase_period
    from transactions
    left join customer_attributes using (customer_id)
    left join customer_summary using (customer_id)
    where transactions.ordered_on <= getvariable('as_of')
),

customer_cells as (
    -- one row per dimension, value, period and customer first: the distinct counts below become plain counts. Three
    -- plain aggregations, not grouping sets: DuckDB's DISTINCT aggregates over grouping sets are several times slower.
    select 'region' as dimension, region as value, period, customer_id, bool_or(amount >= 0) as bought,
           count(distinct order_id) filter (where amount >= 0) as orders, sum(amount) as revenue,
           any_value(first_purchase_period) as first_purchase_period
    from lines group by period, customer_id, region
    union all
    select 'sales_rep', sales_rep, period, customer_id, bool_or(amount >= 0),
           count(distinct order_id) filter (where amount >= 0), sum(amount), any_value(first_purchase_period)
    from lines group by period, customer_id, sales_rep
    union all
    select 'category', category, period, customer_id, bool_or(amount >= 0),
           count(distinct order_id) filter (where amount >= 0), sum(amount), any_value(first_purchase_period)
    from lines group by period, customer_id, category
),

cells as (
    select
        dimension,
        value,
        period,
        count(*) filter (where bought) as customers,
        count(*) filter (where bought and first_purchase_period = period) as new_customers,
        count(*) filter (where bought and first_purchase_period < period) as returning_customers,
        sum(orders) as orders,
        sum(revenue) as revenue
    from customer_cells
    group by all
),

final as (
    select
        dimension,
        value,
        period,
        customers::integer as customers,
        new_customers::integer as new_customers,
        orders::integer as orders,
        revenue::double as revenue,
        (returning_customers / nullif(customers, 0))::double as repeat_rate
    from cells
)

select * from final
