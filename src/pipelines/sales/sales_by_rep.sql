-- sales_by_rep: one row per period and sales_rep (period = date_trunc(getvariable('cohort_period'), order day); only
-- periods and sales_rep values with transactions on or before as_of appear; the period holding as_of may be partial).
-- Purpose: 客户销售分析表 by sales rep; sales_rep = the line's sales_rep, else the customer's (customers.sales_rep), else 'unknown'.
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
        transactions.customer_id,
        transactions.order_id,
        transactions.amount,
        date_trunc(getvariable('cohort_period'), transactions.ordered_on)::date as period,
        coalesce(nullif(trim(transactions.sales_rep), ''), customer_attributes.sales_rep, 'unknown') as sales_rep
    from transactions
    left join customer_attributes using (customer_id)
    where transactions.ordered_on <= getvariable('as_of')
),

customer_cells as (
    -- one row per period, sales_rep and customer first: the distinct counts below become plain counts
    select
        period,
        sales_rep,
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
        sales_rep,
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
        sales_rep,
        customers::integer as customers,
        new_customers::integer as new_customers,
        orders::integer as orders,
        revenue::double as revenue,
        (returning_customers / nullif(customers, 0))::double as repeat_rate
    from cells
    order by period, sales_rep
)

select * from final
