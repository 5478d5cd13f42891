-- int_purchases (ClickHouse): int_purchases.sql on the engine; same grain (customer_id and purchase day, or order at
-- the 'order' grain, on or before as_of), columns and types. A group netting < 0 is not a purchase.
with

purchase_units as (
    select
        customer_id,
        if({purchase_grain:String} = 'order', order_id, NULL) as unit_order_id,
        if({purchase_grain:String} = 'order' and order_id is not null, NULL, ordered_on) as unit_day,
        min(ordered_on) as unit_purchased_on,
        sum(amount) as unit_amount
    from stg_transactions
    where ordered_on <= {as_of:Date32}
    group by customer_id, unit_order_id, unit_day
),

numbered as (
    select
        customer_id,
        unit_order_id,
        unit_purchased_on,
        unit_amount,
        row_number() over customer_purchases as unit_number,
        lagInFrame(toNullable(unit_purchased_on), 1, NULL) over customer_purchases as previous_purchased_on
    from purchase_units
    where unit_amount >= 0
    window customer_purchases as (
        partition by customer_id order by unit_purchased_on asc nulls last, unit_order_id asc nulls last
        rows between unbounded preceding and current row
    )
)

select
    customer_id,
    unit_purchased_on as purchased_on,
    toFloat64(unit_amount) as amount,
    toInt32(unit_number) as purchase_number,
    toInt32(dateDiff('day', previous_purchased_on, unit_purchased_on)) as gap_days
from numbered
