-- int_crm_accounts: one row per customer_id known at as_of: in the customers file, or with a transaction, visit,
-- complaint or invoice dated up to as_of. The account view every CRM mart starts from: who owns the customer and what they bought.
--   sales_rep: customers.sales_rep, else the rep on the customer's most recent transaction up to as_of, else
--              'unassigned' (a customer belongs to the company, so every customer gets an owner row).
--   revenue, orders: net of refunds, transactions with ordered_at::date <= as_of.
--   revenue_last_90d / revenue_prev_90d: net revenue in (as_of - 90, as_of] and (as_of - 180, as_of - 90] days,
--              the trend windows used by key_accounts and problem_accounts.
with

customers_file as (
    select * from stg_customers
),

transactions_to_date as (
    select * from stg_transactions
    where ordered_at::date <= getvariable('as_of')
),

customer_rows as (
    -- the customers file may repeat an id (one row per re-import); keep the last line
    select *
    from customers_file
    qualify row_number() over (partition by customer_id order by source_file desc, source_line desc) = 1
),

purchases as (
    select
        customer_id,
        min(ordered_at)::date as first_purchase,
        max(ordered_at)::date as last_purchase,
        count(distinct order_id) as orders,
        -- the rep of the most recent transaction that names one (ties on the time: the larger order_id)
        arg_max(nullif(trim(sales_rep), ''), {'at': ordered_at, 'order_id': order_id})
            filter (where nullif(trim(sales_rep), '') is not null) as last_transaction_rep,
        sum(amount) as revenue,
        sum(amount) filter (where ordered_at::date > getvariable('as_of') - 90) as revenue_last_90d,
        sum(amount) filter (
            where ordered_at::date > getvariable('as_of') - 180 and ordered_at::date <= getvariable('as_of') - 90
        ) as revenue_prev_90d
    from transactions_to_date
    group by customer_id
),

other_ids as (
    select customer_id from stg_visits where visited_at::date <= getvariable('as_of')
    union
    select customer_id from stg_complaints where opened_at::date <= getvariable('as_of')
    union
    select customer_id from stg_invoices where issued_at <= getvariable('as_of')
),

all_ids as (
    select customer_id from customer_rows
    union
    select customer_id from purchases
    union
    select customer_id from other_ids
),

final as (
    select
        all_ids.customer_id,
        customer_rows.name,
        coalesce(nullif(trim(customer_rows.sales_rep), ''), purchases.last_transaction_rep, 'unassigned') as sales_rep,
        customer_rows.region,
        customer_rows.industry,
        customer_rows.birthday,
        customer_rows.credit_limit::double as credit_limit,
        purchases.first_purchase,
        purchases.last_purchase,
        coalesce(purchases.orders, 0)::integer as orders,
        coalesce(purchases.revenue, 0)::double as revenue,
        coalesce(purchases.revenue_last_90d, 0)::double as revenue_last_90d,
        coalesce(purchases.revenue_prev_90d, 0)::double as revenue_prev_90d
    from all_ids
    left join customer_rows using (customer_id)
    left join purchases using (customer_id)
)

select * from final
