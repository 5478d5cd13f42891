-- cohort_retention: one row per cohort and period_index.
-- Purpose: acquisition-cohort retention. cohort = the cohort period (getvariable('cohort_period'): week (ISO, from
-- Monday), month or quarter) of a customer's first purchase (customer_summary.first_purchase); period_index k = 0 ..
-- the period containing as_of (that last period may be partial). The grid is complete: a period with no activity
-- has active_customers = 0 and revenue = 0, never a missing row.
--   active_customers    = cohort customers with a purchase (int_customer_periods.is_active) in period k; period 0
--                         is everyone
--   retention_rate      = active_customers / cohort_size (1 for k = 0)
--   revenue             = the cohort's net revenue in period k (refunds net in the period they happen)
--   revenue_retention   = revenue / revenue of period 0 (NULL when period-0 revenue is <= 0)
--   cumulative_revenue_per_customer = sum of revenue over periods 0..k / cohort_size
with

customer_summary as (select * from customer_summary),

customer_periods as (select * from int_customer_periods),

settings as (
    select
        getvariable('cohort_period') as cohort_period,
        date_trunc(getvariable('cohort_period'), getvariable('as_of'))::date as last_period_start,
        case getvariable('cohort_period')
            when 'week' then interval 7 day
            when 'quarter' then interval 3 month
            else interval 1 month
        end as period_step
),

cohorts as (
    -- no cross join with settings here: the join below must see this side as no larger than the customer periods
    select
        customer_id,
        date_trunc(getvariable('cohort_period'), first_purchase)::date as cohort
    from customer_summary
),

cohort_sizes as (
    select
        cohort,
        count(*) as cohort_size
    from cohorts
    group by cohort
),

grid as (
    select
        cohort_sizes.cohort,
        cohort_sizes.cohort_size,
        unnest(generate_series(cohort_sizes.cohort::timestamp, settings.last_period_start::timestamp, settings.period_step))::date
            as period_start
    from cohort_sizes
    cross join settings
),

grid_indexed as (
    select
        *,
        row_number() over (partition by cohort order by period_start) - 1 as period_index
    from grid
),

period_activity as (
    select
        cohorts.cohort,
        customer_periods.period_start,
        count(*) filter (where customer_periods.is_active) as active_customers,
        sum(customer_periods.revenue) as revenue
    -- every table made inside the run's transaction is estimated at 0 rows, so the join keeps this order: its hash
    -- table holds the cohorts (a row per customer), not the customer periods (7M rows at 900k customers)
    from customer_periods
    inner join cohorts using (customer_id)
    group by all
),

filled as (
    select
        grid_indexed.cohort,
        grid_indexed.period_index,
        grid_indexed.period_start,
        grid_indexed.cohort_size,
        coalesce(period_activity.active_customers, 0) as active_customers,
        coalesce(period_activity.revenue, 0) as revenue
    from grid_indexed
    left join period_activity using (cohort, period_start)
),

final as (
    select
        cohort,
        period_index::integer as period_index,
        period_start,
        cohort_size::integer as cohort_size,
        active_customers::integer as active_customers,
        (active_customers / cohort_size)::double as retention_rate,
        revenue::double as revenue,
        (revenue / case when first_value(revenue) over cohort_periods > 0 then first_value(revenue) over cohort_periods end)::double
            as revenue_retention,
        (sum(revenue) over (cohort_periods rows between unbounded preceding and current row) / cohort_size)::double
            as cumulative_revenue_per_customer
    from filled
    window cohort_periods as (partition by cohort order by period_index)
    order by cohort, period_index
)

select * from final
