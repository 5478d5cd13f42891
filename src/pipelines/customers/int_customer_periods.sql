-- int_customer_periods: one row per customer_id and cohort period (date_trunc(getvariable('cohort_period'), day))
-- in which the customer has any transaction on or before as_of.
-- Purpose: the customer x period activity that cohort_retention and customer_grades (loyalty) share, computed once.
--   revenue   = net amount of the customer's lines in the period (refund-only periods included)
--   purchases = purchases (int_purchases: days netting >= 0, or orders) in the period; is_active = purchases > 0
with

transactions as (select * from stg_transactions),

purchases as (select * from int_purchases),

period_revenue as (
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period_start,
        sum(amount) as revenue
    from transactions
    where ordered_on <= getvariable('as_of')
    group by all
),

period_purchases as (
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), purchased_on)::date as period_start,
        count(*) as purchases
    from purchases
    group by all
),

final as (
    select
        period_revenue.customer_id,
        period_revenue.period_start,
        period_revenue.revenue::double as revenue,
        coalesce(period_purchases.purchases, 0)::integer as purchases,
        coalesce(period_purchases.purchases, 0) > 0 as is_active
    from period_revenue
    left join period_purchases using (customer_id, period_start)
)

select * from final
