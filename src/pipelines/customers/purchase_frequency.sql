-- purchase_frequency: one row per customer_id of customer_summary.
-- Purpose: each customer's buying rhythm, for the 王永庆 rice-shop rule (reach out before they need to buy again).
--   orders_per_period       = orders / greatest(T, 1): tenure shorter than one period counts as one period, so a
--                             brand-new customer is not credited with an extrapolated rate
--   median_gap_days / mean_gap_days = days between consecutive purchases (int_purchases; NULL with one purchase)
--   expected_next_purchase  = last_purchase + median gap, rounded UP to whole days
--   is_overdue              = as_of > expected_next_purchase; false when the rhythm is unknown (one purchase)
with

customer_summary as (select * from customer_summary),

purchases as (select * from int_purchases),

gaps as (
    select
        customer_id,
        median(gap_days) as median_gap_days,
        avg(gap_days) as mean_gap_days
    from purchases
    where gap_days is not null
    group by customer_id
),

rhythm as (
    select
        customer_summary.customer_id,
        customer_summary.orders,
        customer_summary.orders / greatest(customer_summary.T, 1) as orders_per_period,
        gaps.median_gap_days,
        gaps.mean_gap_days,
        getvariable('as_of') - customer_summary.last_purchase as days_since_last_purchase,
        customer_summary.last_purchase + ceil(gaps.median_gap_days)::integer as expected_next_purchase
    from customer_summary
    left join gaps using (customer_id)
),

final as (
    select
        customer_id,
        orders::integer as orders,
        orders_per_period::double as orders_per_period,
        median_gap_days::double as median_gap_days,
        mean_gap_days::double as mean_gap_days,
        days_since_last_purchase::integer as days_since_last_purchase,
        expected_next_purchase::date as expected_next_purchase,
        coalesce(getvariable('as_of') > expected_next_purchase, false) as is_overdue
    from rhythm
)

select * from final
