-- int_customer_periods: one row per customer_id and cohort period (date_trunc(getvariable('cohort_period'), day))
-- in which the customer has any transaction on or before as_of.
-- Purpose: the customer x period activity that cohort_retention and customer_grades (loyalty) share, computed once.
--   revenue   = net amount of the customer's lines in the period (refund-only periods included)
--   purchases = purchases (int_purchases: days netting >= 0, or orders) in the period; is_active = purchases > 0
with

transactions as (select * from stg_transactions),

purchases as (select * from int_purchases),

period_rows as (
    -- every line (its revenue) and every purchase (a 1) keyed by customer and period, aggregated once below: one hash
    -- aggregation and no join. A purchase's day is one of its lines' days, so it adds no customer period of its own.
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period_start,
        amount as revenue,
        null::integer as purchase
    from transactions
    where ordered_on <= getvariable('as_of')
    union all
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), purchased_on)::date as period_start,
        null as revenue,
        1 as purchase
    from purchases
),

customer_periods as (
    select
        customer_id,
        period_start,
        sum(revenue) as revenue,
        count(purchase) as purchases
    from period_rows
    group by customer_id, period_start
),

final as (
    select
        customer_id,
        period_start,
        revenue::double as revenue,
        purchases::integer as purchases,
        purchases > 0 as is_active
    from customer_periods
)

select * from final
