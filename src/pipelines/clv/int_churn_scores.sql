-- int_churn_scores: one row per (scope, customer_id): scope 'current' = every customer of customer_clv as of as_of;
-- scope 'calibration' = every customer of int_calibration_clv as of calibration_end (holdout_start - 1; no rows
-- without a holdout). The one churn-list rule, applied to today's data (churn_risk) and to the data the backtest
-- would have had (churn_backtest), so the list that is backtested is the list that is published.
-- Definitions (per scope, as of its scope_as_of):
--   p_lapse            1 - p_alive: the model's chance that the customer has already stopped buying; without a
--                      fitted model (p_alive NULL) 1 once silent for more than 90 days, else 0
--   value_if_retained  what a year of this customer has been worth: net revenue x 365 / max(tenure, 365) days,
--                      tenure = scope_as_of - first purchase (a customer younger than a year: their revenue so far).
--                      Chosen over CLV-if-alive (clv / p_alive) because it backtested better on both data sets:
--                      share of the lapsers' revenue captured at a 10% list, CDNOW 31.5% vs 25.8% (naive rule 29.7%),
--                      demo 52.9% vs 50.7% (naive 47.9%)
--   expected_loss      p_lapse x value_if_retained: what the business loses in a year if nothing is done
--   is_active          a purchase in the last 365 days (scope_as_of - 364 .. scope_as_of)
--   is_eligible        something to save: a purchase in the last 730 days (not long gone: older customers are
--                      win-back cases, win_back.sql) and expected_loss > 0 (safely active customers have none)
--   list_size          ceil(churn_list_share x active customers of the scope)
--   list_rank          1, 2, ... among eligible customers by expected_loss, then value_if_retained, then customer_id;
--                      on_list = list_rank <= list_size
with

current_clv as (select * from customer_clv),

current_summary as (select * from customer_summary),

calibration_clv as (select * from int_calibration_clv),

calibration_summary as (select * from int_calibration_summary),

scoped as (
    select
        'current' as scope,
        getvariable('as_of') as scope_as_of,
        current_clv.customer_id,
        current_clv.p_alive,
        current_clv.clv,
        current_summary.revenue,
        current_summary.first_purchase,
        current_summary.last_purchase
    from current_clv
    inner join current_summary using (customer_id)
    union all
    select
        'calibration' as scope,
        calibration_summary.calibration_end as scope_as_of,
        calibration_clv.customer_id,
        calibration_clv.p_alive,
        calibration_clv.clv,
        calibration_summary.revenue,
        calibration_summary.first_purchase,
        calibration_summary.last_purchase
    from calibration_clv
    inner join calibration_summary using (customer_id)
),

valued as (
    select
        *,
        (scope_as_of - last_purchase)::integer as days_silent,
        scope_as_of - last_purchase < 365 as is_active,
        greatest(revenue, 0) * 365 / greatest(scope_as_of - first_purchase, 365) as value_if_retained,
        coalesce(1 - p_alive, case when scope_as_of - last_purchase > 90 then 1 else 0 end) as p_lapse
    from scoped
),

scored as (
    select
        *,
        p_lapse * value_if_retained as expected_loss,
        days_silent < 730 and p_lapse * value_if_retained > 0 as is_eligible
    from valued
),

active_counts as (
    -- a grouped count joined back, not count(*) filter (...) over (partition by scope): DuckDB evaluates that
    -- filtered window aggregate row by row over the whole partition (quadratic: minutes at 1M customers)
    select
        scope,
        count(*) filter (where is_active) as active_customers
    from scored
    group by scope
),

ranked as (
    select
        scored.*,
        ceil(getvariable('churn_list_share') * active_counts.active_customers) as list_size,
        case when is_eligible then
            row_number() over (
                partition by scope, is_eligible
                order by expected_loss desc, value_if_retained desc, customer_id
            )
        end as list_rank
    from scored
    inner join active_counts using (scope)
),

final as (
    select
        scope,
        scope_as_of::date as scope_as_of,
        customer_id,
        p_alive::double as p_alive,
        clv::double as clv,
        value_if_retained::double as value_if_retained,
        p_lapse::double as p_lapse,
        expected_loss::double as expected_loss,
        revenue::double as revenue,
        first_purchase::date as first_purchase,
        last_purchase::date as last_purchase,
        days_silent,
        is_active,
        is_eligible,
        list_size::integer as list_size,
        list_rank::integer as list_rank,
        coalesce(list_rank <= list_size, false) as on_list
    from ranked
)

select * from final
