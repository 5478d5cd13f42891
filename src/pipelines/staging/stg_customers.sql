-- stg_customers: one row per customers-file row, 1:1 with the canonical `customers` table (empty when no customers
-- file was given; every model must cope).
select
    customer_id,
    name,
    phone,
    email,
    address,
    region,
    industry,
    sales_rep,
    signup_date,
    birthday,
    credit_limit,
    referred_by,
    decision_maker,
    notes,
    source_file,
    source_line
from customers
