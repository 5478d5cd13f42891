-- customer_grades: one row per customer_id of customer_summary.
-- Purpose: the A/B/C/D customer grade (客户分级) from five standards, each scored 0..1:
--   frequency_score  percent_rank of orders
--   credit_score     on-time payment share: invoices issued and due on or before as_of (amount > 0) that were paid
--                    in full (paid_amount NULL counts as full) on or before due_at; NULL for a customer without such
--                    invoices (so with no invoices file it is NULL for everyone)
--   influence_score  percent_rank of referrals made (customers whose referred_by = this customer); NULL for everyone
--                    when no customers row has referred_by (no customers file, or the column is not exported)
--   prospects_score  percent_rank of the revenue trend: net revenue in the last cohort period before as_of
--                    (as_of - 1 period, as_of] minus the one before it (as_of - 2 periods, as_of - 1 period]
--   loyalty_score    0.5 * percent_rank of tenure days (as_of - first_purchase) + 0.5 * share of the cohort periods
--                    from the first purchase's period to as_of's period in which the customer bought
-- grade_score = weighted mean (getvariable('w_frequency'), 'w_credit', 'w_influence', 'w_prospects', 'w_loyalty') of
-- the criteria that are not NULL: a missing criterion drops out and the weights renormalise (0 if all weights are 0).
-- Grade by rank of grade_score (rank(), ties share the better grade), n = customers:
--   A when rank - 1 < 0.2 n (top 20%), B when < 0.5 n (next 30%), C when < 0.8 n (next 30%), else D (last 20%).
with

customer_summary as (select * from customer_summary),

customer_periods as (select * from int_customer_periods),

transactions as (select * from stg_transactions),

customers as (select * from stg_customers),

invoices as (select * from stg_invoices),

settings as (
    select
        getvariable('as_of') as as_of,
        getvariable('cohort_period') as cohort_period,
        date_trunc(getvariable('cohort_period'), getvariable('as_of'))::date as last_period_start
),

credit as (
    select
        invoices.customer_id,
        avg(case
            when invoices.paid_at is not null
                and invoices.paid_at <= invoices.due_at
                and coalesce(invoices.paid_amount, invoices.amount) >= invoices.amount
            then 1.0 else 0.0
        end) as on_time_share
    from invoices
    cross join settings
    where invoices.due_at <= settings.as_of
        and invoices.issued_at <= settings.as_of
        and invoices.amount > 0
    group by invoices.customer_id
),

referral_data as (
    select count(referred_by) > 0 as has_referrals
    from customers
),

referrals as (
    select
        referred_by as customer_id,
        count(distinct customer_id) as referrals
    from customers
    where referred_by is not null
    group by referred_by
),

trend_windows as (
    -- from the variables alone, not from settings (read by several CTEs, so materialized): constants, and the filter
    -- on the window applies to the lines as they are scanned instead of in a join of every line with settings
    select
        (as_of - 2 * period_step)::date as previous_start,
        (as_of - period_step)::date as last_start,
        as_of
    from (
        select
            getvariable('as_of') as as_of,
            case getvariable('cohort_period')
                when 'week' then interval 7 day
                when 'quarter' then interval 3 month
                else interval 1 month
            end as period_step
    )
),

trend as (
    select
        transactions.customer_id,
        coalesce(sum(transactions.amount) filter (where transactions.ordered_on > trend_windows.last_start), 0)
            as revenue_last_period,
        coalesce(sum(transactions.amount) filter (where transactions.ordered_on <= trend_windows.last_start), 0)
            as revenue_previous_period
    from transactions
    cross join trend_windows
    where transactions.ordered_on > trend_windows.previous_start
        and transactions.ordered_on <= trend_windows.as_of
    group by transactions.customer_id
),

active_periods as (
    select
        customer_id,
        count(*) filter (where is_active) as active_periods
    from customer_periods
    group by customer_id
),

measures as (
    select
        customer_summary.customer_id,
        customer_summary.orders,
        credit.on_time_share,
        case when referral_data.has_referrals then coalesce(referrals.referrals, 0) end as referrals,
        coalesce(trend.revenue_last_period, 0) as revenue_last_period,
        coalesce(trend.revenue_previous_period, 0) as revenue_previous_period,
        coalesce(trend.revenue_last_period, 0) - coalesce(trend.revenue_previous_period, 0) as revenue_trend,
        settings.as_of - customer_summary.first_purchase as tenure_days,
        active_periods.active_periods,
        -- cohort periods from the first purchase's period to as_of's period, both included
        case settings.cohort_period
            when 'week' then (settings.last_period_start - date_trunc('week', customer_summary.first_purchase)::date) // 7
            when 'quarter' then date_diff('month', date_trunc('quarter', customer_summary.first_purchase)::date, settings.last_period_start) // 3
            else date_diff('month', date_trunc('month', customer_summary.first_purchase)::date, settings.last_period_start)
        end + 1 as observed_periods
    from customer_summary
    cross join settings
    cross join referral_data
    left join credit using (customer_id)
    left join referrals using (customer_id)
    left join trend using (customer_id)
    left join active_periods using (customer_id)
),

scored as (
    select
        *,
        percent_rank() over (order by orders) as frequency_score,
        on_time_share as credit_score,
        case when referrals is not null then percent_rank() over (order by referrals) end as influence_score,
        percent_rank() over (order by revenue_trend) as prospects_score,
        0.5 * percent_rank() over (order by tenure_days) + 0.5 * (active_periods / observed_periods) as loyalty_score
    from measures
),

weighted as (
    select
        *,
        coalesce(getvariable('w_frequency') * frequency_score, 0)
            + coalesce(getvariable('w_credit') * credit_score, 0)
            + coalesce(getvariable('w_influence') * influence_score, 0)
            + coalesce(getvariable('w_prospects') * prospects_score, 0)
            + coalesce(getvariable('w_loyalty') * loyalty_score, 0) as weighted_sum,
        case when frequency_score is not null then getvariable('w_frequency') else 0 end
            + case when credit_score is not null then getvariable('w_credit') else 0 end
            + case when influence_score is not null then getvariable('w_influence') else 0 end
            + case when prospects_score is not null then getvariable('w_prospects') else 0 end
            + case when loyalty_score is not null then getvariable('w_loyalty') else 0 end as weight_total
    from scored
),

ranked as (
    select
        *,
        coalesce(weighted_sum / nullif(weight_total, 0), 0) as grade_score,
        rank() over (order by coalesce(weighted_sum / nullif(weight_total, 0), 0) desc) as grade_rank,
        count(*) over () as customers
    from weighted
),

final as (
    select
        customer_id,
        case
            when grade_rank - 1 < 0.2 * customers then 'A'
            when grade_rank - 1 < 0.5 * customers then 'B'
            when grade_rank - 1 < 0.8 * customers then 'C'
            else 'D'
        end as grade,
        grade_score::double as grade_score,
        grade_rank::integer as grade_rank,
        frequency_score::double as frequency_score,
        credit_score::double as credit_score,
        influence_score::double as influence_score,
        prospects_score::double as prospects_score,
        loyalty_score::double as loyalty_score,
        orders::integer as orders,
        on_time_share::double as on_time_share,
        referrals::integer as referrals,
        revenue_last_period::double as revenue_last_period,
        revenue_previous_period::double as revenue_previous_period,
        tenure_days::integer as tenure_days,
        active_periods::integer as active_periods,
        observed_periods::integer as observed_periods
    from ranked
)

select * from final
