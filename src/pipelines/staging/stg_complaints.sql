-- stg_complaints: one row per complaint, 1:1 with the canonical `complaints` table (may be empty).
-- A complaint without resolved_at is still open.
select
    complaint_id,
    customer_id,
    opened_at,
    resolved_at,
    category,
    severity,
    good_faith,
    source_file,
    source_line
from complaints
