-- single_contact_customers: one row per customer_id whose every contact with the company went through one sales
-- rep (人走客不走: the customer belongs to the company, so these relationships need a second contact before that
-- rep leaves). Contacts are the reps named on the customer's visits and transactions up to as_of (rows without a
-- rep are ignored); exactly one distinct rep qualifies. value = customer_clv.clv, else net revenue to date;
-- value_rank 1 = the most valuable such customer.
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from stg_visits
    where visited_at::date <= getvariable('as_of')
),

transactions as (
    select * from stg_transactions
    where ordered_at::date <= getvariable('as_of')
),

clv as (
    select * from customer_clv
),

touches as (
    select customer_id, trim(sales_rep) as rep, visited_at::date as touched_on, 'visit' as via from visits
    where nullif(trim(sales_rep), '') is not null
    union all
    select customer_id, trim(sales_rep) as rep, ordered_at::date as touched_on, 'order' as via from transactions
    where nullif(trim(sales_rep), '') is not null
),

per_customer as (
    select
        customer_id,
        min(rep) as only_rep,
        count(*) filter (where via = 'visit') as visits,
        count(*) filter (where via = 'order') as order_lines,
        max(touched_on) as last_touch
    from touches
    group by customer_id
    having count(distinct rep) = 1
),

final as (
    select
        per_customer.customer_id,
        per_customer.only_rep as sales_rep,
        accounts.name,
        per_customer.visits::integer as visits,
        accounts.orders::integer as orders,
        accounts.revenue::double as revenue,
        coalesce(clv.clv, accounts.revenue)::double as value,
        per_customer.last_touch,
        row_number() over (order by coalesce(clv.clv, accounts.revenue) desc nulls last, per_customer.customer_id)::integer as value_rank
    from per_customer
    left join accounts using (customer_id)
    left join clv using (customer_id)
)

select * from final
order by value_rank
