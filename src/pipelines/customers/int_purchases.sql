-- int_purchases: one row per customer_id and purchase (a calendar day, or an order when
-- getvariable('purchase_grain') = 'order'), on or before as_of.
-- Purpose: the purchase events of the lifetimes/BTYD definitions. Same-day orders are one purchase at the 'day'
-- grain (this reproduces the CDNOW reference summaries). A day (order) whose NET amount is < 0 - refund only, or
-- refunds larger than that day's purchases - is NOT a purchase: it counts for neither frequency, recency, first or
-- last purchase nor monetary_value (its amount still nets into revenue). A day netting exactly 0 IS a purchase of
-- value 0: CDNOW has $0.00 orders and lifetimes counts them (so spend models must still skip monetary_value = 0).
-- Only lines ordered on or before as_of count (later lines are the future / holdout).
with

transactions as (select * from stg_transactions),

transactions_as_of as (
    select *
    from transactions
    where ordered_on <= getvariable('as_of')
),

purchase_units as (
    -- grouping keys by grain: (customer, day) or (customer, order); an order line without order_id falls back to its
    -- day. No string keys: this runs over every transaction line.
    select
        customer_id,
        case when getvariable('purchase_grain') = 'order' then order_id end as order_id,
        case when getvariable('purchase_grain') = 'order' and order_id is not null then null else ordered_on end as purchase_day,
        min(ordered_on) as purchased_on,
        sum(amount) as amount
    from transactions_as_of
    group by all
),

purchases as (
    select *
    from purchase_units
    where amount >= 0
),

numbered as (
    select
        *,
        row_number() over customer_purchases as purchase_number,
        lag(purchased_on) over customer_purchases as previous_purchased_on
    from purchases
    window customer_purchases as (partition by customer_id order by purchased_on, order_id)
),

final as (
    -- no order_id: no reader needs it, and at the day grain it is a NULL column of every purchase (the run keeps
    -- this table in memory: ~160 MB at 10M purchases)
    select
        customer_id,
        purchased_on,
        amount::double as amount,
        purchase_number::integer as purchase_number,
        (purchased_on - previous_purchased_on)::integer as gap_days
    from numbered
)

select * from final
