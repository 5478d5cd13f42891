-- int_customer_periods (ClickHouse): int_customer_periods.sql on the engine; one row per customer and cohort period
-- with a transaction on or before as_of (dateTrunc: week periods start on Monday, as in DuckDB). At the day grain
-- the revenue comes from int_purchases' days and the days netting < 0; at the order grain from every line.
with

refund_days as (
    select
        customer_id,
        ordered_on,
        sum(amount) as day_amount
    from stg_transactions
    where ordered_on <= {as_of:Date32}
        and {purchase_grain:String} = 'day'
        and (customer_id, ordered_on) in (
            select customer_id, ordered_on
            from stg_transactions
            where ordered_on <= {as_of:Date32} and amount < 0
        )
    group by customer_id, ordered_on
    having day_amount < 0
),

period_rows as (
    select
        customer_id,
        toDate32(dateTrunc({cohort_period:String}, purchased_on)) as row_period,
        if({purchase_grain:String} = 'day', amount, 0) as row_revenue,
        1 as row_purchase
    from int_purchases
    union all
    select
        customer_id,
        toDate32(dateTrunc({cohort_period:String}, ordered_on)) as row_period,
        day_amount as row_revenue,
        0 as row_purchase
    from refund_days
    union all
    select
        customer_id,
        toDate32(dateTrunc({cohort_period:String}, ordered_on)) as row_period,
        amount as row_revenue,
        0 as row_purchase
    from stg_transactions
    where ordered_on <= {as_of:Date32} and {purchase_grain:String} = 'order'
)

select
    customer_id,
    row_period as period_start,
    toFloat64(sum(row_revenue)) as revenue,
    toInt32(sum(row_purchase)) as purchases,
    toBool(sum(row_purchase) > 0) as is_active
from period_rows
group by customer_id, row_period
