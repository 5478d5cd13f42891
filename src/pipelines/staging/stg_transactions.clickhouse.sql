-- stg_transactions (ClickHouse): stg_transactions.sql on the engine, a view over the engine's `transactions`
-- (ordered_at is DateTime64(6, 'UTC') holding the local business time as written, so its date is the local day).
select
    order_id,
    customer_id,
    ordered_at,
    toDate32(ordered_at) as ordered_on,
    amount,
    quantity,
    product,
    category,
    channel,
    sales_rep,
    source_file,
    source_line
from transactions
