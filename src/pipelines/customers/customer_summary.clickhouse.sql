-- customer_summary (ClickHouse): customer_summary.sql on the engine; one row per customer with a purchase on or
-- before as_of, same columns and types (recency and T in analysis.period units of {period_days} days).
with

spend as (
    select
        customer_id,
        uniqExactIf(order_id, amount >= 0) as spend_orders,
        sum(amount) as spend_revenue
    from stg_transactions
    where ordered_on <= {as_of:Date32}
    group by customer_id
),

purchase_history as (
    select
        customer_id,
        min(purchased_on) as first_purchase,
        max(purchased_on) as last_purchase,
        count() - 1 as history_frequency,
        -- DuckDB's avg of no rows is NULL (ClickHouse's avgIf is nan)
        if(countIf(purchase_number > 1) = 0, NULL, sumIf(amount, purchase_number > 1) / countIf(purchase_number > 1)) as repeat_purchase_mean
    from int_purchases
    group by customer_id
)

select
    purchase_history.customer_id as customer_id,
    purchase_history.first_purchase as first_purchase,
    purchase_history.last_purchase as last_purchase,
    toInt32(spend.spend_orders) as orders,
    toFloat64(spend.spend_revenue) as revenue,
    toFloat64(spend.spend_revenue / nullIf(spend.spend_orders, 0)) as avg_order_value,
    toInt32(purchase_history.history_frequency) as frequency,
    toFloat64(dateDiff('day', purchase_history.first_purchase, purchase_history.last_purchase) / {period_days:Float64}) as recency,
    toFloat64(dateDiff('day', purchase_history.first_purchase, {as_of:Date32}) / {period_days:Float64}) as T,
    toFloat64(coalesce(purchase_history.repeat_purchase_mean, 0)) as monetary_value
from purchase_history
inner join spend on spend.customer_id = purchase_history.customer_id
