-- complaint_retention: one row per group ('resolved_fast', 'resolved_slow', 'unresolved', 'no_complaint'; always
-- all four) comparing how many customers bought again after a complaint with customers who never complained.
--   Complainers: each customer's first complaint opened on or before as_of - 90 (so the 90-day window is complete),
--     reference date = its opened date, group = that complaint's resolution at as_of (int_crm_complaints: fast =
--     resolved within 7 days, slow = resolved later, unresolved = still open).
--   Comparison: customers with no complaint up to as_of, reference date = the median of the complainers'
--     reference dates (one matched date; NULL when nobody complained, then the group is empty).
--   Only customers active at their reference date count: a purchase in the 180 days up to and including it
--   (complainers are engaged customers by definition; long-lapsed customers would drag the comparison down).
--   retained = a purchase (amount > 0) in (reference date, reference date + 90 days]; rate = retained / customers.
with

complaints as (
    select * from int_crm_complaints
),

transactions_to_date as (
    select * from stg_transactions
    where ordered_at::date <= getvariable('as_of')
),

first_purchases as (
    select customer_id, min(ordered_at)::date as first_purchase
    from transactions_to_date
    group by customer_id
),

first_complaints as (
    select
        customer_id,
        opened_at::date as reference_date,
        'resolved_' || resolution as cohort
    from complaints
    where opened_at::date <= getvariable('as_of') - 90
    qualify row_number() over (partition by customer_id order by opened_at, complaint_id) = 1
),

control_date as (
    select (epoch_ms(median(epoch(reference_date) * 1000)::bigint))::date as reference_date
    from first_complaints
),

controls as (
    select first_purchases.customer_id, control_date.reference_date, 'no_complaint' as cohort
    from first_purchases
    cross join control_date
    where control_date.reference_date is not null
      and first_purchases.customer_id not in (select customer_id from complaints)
),

members as (
    select customer_id, reference_date, replace(cohort, 'resolved_unresolved', 'unresolved') as cohort
    from first_complaints
    union all
    select customer_id, reference_date, cohort from controls
),

eligible as (
    select members.*
    from members
    where exists (
        select 1 from transactions_to_date t
        where t.customer_id = members.customer_id
          and t.amount > 0
          and t.ordered_at::date > members.reference_date - 180
          and t.ordered_at::date <= members.reference_date
    )
),

outcomes as (
    select
        eligible.customer_id,
        eligible.cohort,
        exists (
            select 1 from transactions_to_date t
            where t.customer_id = eligible.customer_id
              and t.amount > 0
              and t.ordered_at::date > eligible.reference_date
              and t.ordered_at::date <= eligible.reference_date + 90
        ) as retained
    from eligible
),

cohorts as (
    select * from (values (1, 'resolved_fast'), (2, 'resolved_slow'), (3, 'unresolved'), (4, 'no_complaint'))
        as c(cohort_order, cohort)
),

per_cohort as (
    select cohort, count(*) as customers, count(*) filter (where retained) as retained
    from outcomes
    group by cohort
),

final as (
    select
        cohorts.cohort,
        cohorts.cohort_order::integer as cohort_order,
        coalesce(per_cohort.customers, 0)::integer as customers,
        coalesce(per_cohort.retained, 0)::integer as retained,
        (per_cohort.retained / per_cohort.customers)::double as retention_rate,
        90::integer as window_days,
        case when cohorts.cohort = 'no_complaint' then (select reference_date from control_date) end as reference_date
    from cohorts
    left join per_cohort using (cohort)
)

select * from final
order by cohort_order
