-- stg_transactions: one row per transaction line, 1:1 with the canonical `transactions` table.
-- Purpose: the single place customer metrics read transactions from. Adds `ordered_on` (the calendar day, the
-- unit of purchase frequency); amounts stay signed (negative = refund). No as_of filtering here: each mart filters
-- `ordered_on <= getvariable('as_of')` itself (no 10M-row intermediate copy).
select
    order_id,
    customer_id,
    ordered_at,
    ordered_at::date as ordered_on,
    amount,
    quantity,
    product,
    category,
    channel,
    sales_rep,
    source_file,
    source_line
from transactions
