-- int_customer_periods: one row per customer_id and cohort period (date_trunc(getvariable('cohort_period'), day))
-- in which the customer has any transaction on or before as_of.
-- Purpose: the customer x period activity that cohort_retention and customer_grades (loyalty) share, computed once.
--   revenue   = net amount of the customer's lines in the period (refund-only periods included)
--   purchases = purchases (int_purchases: days netting >= 0, or orders) in the period; is_active = purchases > 0
with

-- read up to three times (refund lines, their days, the order grain's lines): NOT MATERIALIZED scans the table again
-- instead of copying every transaction line into a CTE
transactions as not materialized (select * from stg_transactions),

purchases as (select * from int_purchases),

transactions_as_of as not materialized (
    select *
    from transactions
    where ordered_on <= getvariable('as_of')
),

refund_days as (
    -- day grain: the days netting < 0, which int_purchases leaves out (their amount still counts as revenue). Such a
    -- day has a line < 0, so only the days with one are summed: on data without refunds this is no aggregation.
    select
        customer_id,
        ordered_on,
        sum(amount) as amount
    from transactions_as_of
    semi join (
        select customer_id, ordered_on
        from transactions_as_of
        where getvariable('purchase_grain') = 'day' and amount < 0
    ) as refund_lines using (customer_id, ordered_on)
    group by customer_id, ordered_on
    having sum(amount) < 0
),

period_rows as (
    -- keyed by customer and period, aggregated once below (one hash aggregation, no join). At the day grain a
    -- purchase is a day, and its net amount is the revenue of that day: the purchases and the refund days are every
    -- day with a line, so no transaction line is read again. At the order grain an order's lines can fall in other
    -- periods than its first day: every line gives its revenue and every purchase a 1.
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), purchased_on)::date as period_start,
        case when getvariable('purchase_grain') = 'day' then amount end as revenue,
        1 as purchase
    from purchases
    union all
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period_start,
        amount as revenue,
        null as purchase
    from refund_days
    union all
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period_start,
        amount as revenue,
        null as purchase
    from transactions_as_of
    where getvariable('purchase_grain') = 'order'
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
