-- int_customer_periods (ClickHouse): int_customer_periods.sql on the engine; one row per customer and cohort period
-- with a transaction on or before as_of (dateTrunc: week periods start on Monday, as in DuckDB).
with

period_revenue as (
    select
        customer_id,
        toDate32(dateTrunc({cohort_period:String}, ordered_on)) as revenue_period,
        sum(amount) as period_amount
    from stg_transactions
    where ordered_on <= {as_of:Date32}
    group by customer_id, revenue_period
),

period_purchases as (
    select
        customer_id,
        toDate32(dateTrunc({cohort_period:String}, purchased_on)) as purchase_period,
        count() as period_count
    from int_purchases
    group by customer_id, purchase_period
)

select
    period_revenue.customer_id as customer_id,
    period_revenue.revenue_period as period_start,
    toFloat64(period_revenue.period_amount) as revenue,
    toInt32(coalesce(period_purchases.period_count, 0)) as purchases,
    toBool(coalesce(period_purchases.period_count, 0) > 0) as is_active
from period_revenue
left join period_purchases
    on period_purchases.customer_id = period_revenue.customer_id and period_purchases.purchase_period = period_revenue.revenue_period
