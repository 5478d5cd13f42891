-- customer_summary: one row per customer_id with at least one purchase (a day netting >= 0, see
-- int_purchases) on or before as_of.
-- Purpose: observed history per customer plus the lifetimes/BTYD summary in analysis.period units
-- (getvariable('period_days') days per period, continuous: 12 days = 1.71 weeks):
--   frequency      = purchases - 1 (repeat purchase days, or orders at the 'order' grain)
--   recency        = (last purchase - first purchase) / period_days
--   T              = (as_of - first purchase) / period_days
--   monetary_value = mean net amount of the repeat purchases (the first purchase excluded); 0 when frequency = 0
-- orders counts distinct order_ids with a non-refund line (amount >= 0); revenue is net of every refund up to as_of
-- (it can be <= 0); avg_order_value = revenue / orders.
with

transactions as (select * from stg_transactions),

purchases as (select * from int_purchases),

transactions_as_of as (
    select *
    from transactions
    where ordered_on <= getvariable('as_of')
),

spend as (
    -- an order counts when one of its lines is not a refund: the distinct order_ids of those lines (NULL ones do not
    -- count). DuckDB's grouped count(distinct) measured faster here than grouping every line by order first.
    select
        customer_id,
        count(distinct order_id) filter (where amount >= 0) as orders,
        sum(amount) as revenue
    from transactions_as_of
    group by customer_id
),

purchase_history as (
    select
        customer_id,
        min(purchased_on) as first_purchase,
        max(purchased_on) as last_purchase,
        count(*) - 1 as frequency,
        avg(amount) filter (where purchase_number > 1) as repeat_purchase_mean
    from purchases
    group by customer_id
),

final as (
    select
        purchase_history.customer_id,
        purchase_history.first_purchase,
        purchase_history.last_purchase,
        spend.orders::integer as orders,
        spend.revenue::double as revenue,
        (spend.revenue / nullif(spend.orders, 0))::double as avg_order_value,
        purchase_history.frequency::integer as frequency,
        ((purchase_history.last_purchase - purchase_history.first_purchase) / getvariable('period_days'))::double as recency,
        ((getvariable('as_of') - purchase_history.first_purchase) / getvariable('period_days'))::double as T,
        coalesce(purchase_history.repeat_purchase_mean, 0)::double as monetary_value
    from purchase_history
    inner join spend using (customer_id)
)

select * from final
