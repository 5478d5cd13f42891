-- int_crm_visits: one row per visit (any contact: store visit, call, email, event) on or before as_of, with the
-- rep who made it (visits.sales_rep, else the customer's owner from int_crm_accounts) and kind ('unknown' if empty).
with

visits_to_date as (
    select * from stg_visits
    where visited_at::date <= getvariable('as_of')
),

accounts as (
    select * from int_crm_accounts
),

final as (
    select
        visits_to_date.visit_id,
        visits_to_date.customer_id,
        visits_to_date.visited_at,
        visits_to_date.visited_at::date as visit_date,
        coalesce(nullif(trim(visits_to_date.kind), ''), 'unknown') as kind,
        coalesce(nullif(trim(visits_to_date.sales_rep), ''), accounts.sales_rep, 'unassigned') as sales_rep,
        visits_to_date.outcome
    from visits_to_date
    left join accounts using (customer_id)
)

select * from final
