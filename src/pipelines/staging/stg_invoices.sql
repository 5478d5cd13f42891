-- stg_invoices: one row per invoice, 1:1 with the canonical `invoices` table (may be empty).
-- An invoice without paid_at is unpaid.
select
    invoice_id,
    customer_id,
    issued_at,
    due_at,
    amount,
    paid_at,
    paid_amount,
    source_file,
    source_line
from invoices
