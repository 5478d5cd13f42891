-- stg_visits: one row per visit / sales contact, 1:1 with the canonical `visits` table (may be empty).
select
    visit_id,
    customer_id,
    visited_at,
    visited_at::date as visited_on,
    kind,
    sales_rep,
    outcome,
    notes,
    source_file,
    source_line
from visits
