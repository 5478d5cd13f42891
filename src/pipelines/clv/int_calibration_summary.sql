-- int_calibration_summary: one row per customer_id whose first purchase (int_purchases) is before
-- getvariable('holdout_start'); no rows when holdout_start is not set.
-- Purpose: the data of every backtest (model_validation, int_calibration_clv, churn_backtest, value_matrix_backtest):
-- the customer_summary definitions applied to the calibration period, which ends the day before holdout_start
-- (calibration_end), and what the customer then did in the holdout (holdout_start .. as_of).
--   frequency, recency, T, monetary_value, orders, revenue   as in customer_summary, with calibration_end as as_of
--   last_purchase       last calibration purchase
--   first_day           days from the earliest first purchase of any calibration customer to this customer's first
--   holdout_purchases   purchases (int_purchases) in the holdout; 0 = the customer lapsed
--   holdout_revenue     net revenue of the lines ordered in the holdout
with

transactions as (select * from stg_transactions),

purchases as (select * from int_purchases),

calibration_purchases as (
    select *
    from purchases
    where purchased_on < getvariable('holdout_start')
),

history as (
    select
        customer_id,
        min(purchased_on) as first_purchase,
        max(purchased_on) as last_purchase,
        count(*) - 1 as frequency,
        avg(amount) filter (where purchase_number > 1) as repeat_purchase_mean
    from calibration_purchases
    group by customer_id
),

holdout_purchases as (
    select customer_id, count(*) as holdout_purchases
    from purchases
    where purchased_on >= getvariable('holdout_start')
    group by customer_id
),

spend as (
    select
        customer_id,
        count(distinct order_id) filter (where amount >= 0 and ordered_on < getvariable('holdout_start')) as orders,
        coalesce(sum(amount) filter (where ordered_on < getvariable('holdout_start')), 0) as revenue,
        coalesce(sum(amount) filter (where ordered_on >= getvariable('holdout_start')), 0) as holdout_revenue
    from transactions
    where ordered_on <= getvariable('as_of')
    group by customer_id
),

final as (
    select
        history.customer_id,
        (getvariable('holdout_start') - 1)::date as calibration_end,
        history.first_purchase,
        history.last_purchase,
        coalesce(spend.orders, 0)::integer as orders,
        coalesce(spend.revenue, 0)::double as revenue,
        history.frequency::integer as frequency,
        ((history.last_purchase - history.first_purchase) / getvariable('period_days'))::double as recency,
        (((getvariable('holdout_start') - 1) - history.first_purchase) / getvariable('period_days'))::double as T,
        coalesce(history.repeat_purchase_mean, 0)::double as monetary_value,
        (history.first_purchase - min(history.first_purchase) over ())::integer as first_day,
        coalesce(holdout_purchases.holdout_purchases, 0)::integer as holdout_purchases,
        coalesce(spend.holdout_revenue, 0)::double as holdout_revenue
    from history
    left join holdout_purchases using (customer_id)
    left join spend using (customer_id)
)

select * from final
