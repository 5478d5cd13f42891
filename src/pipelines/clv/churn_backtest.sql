-- churn_backtest: one row per method ('churn_list', 'naive_rule'); no rows without analysis.holdoutStart.
-- Purpose: would the churn list have named the right customers? The list the calibration data (up to
-- calibration_end = holdout_start - 1) would have produced - int_churn_scores, scope 'calibration': the same rule and
-- size as churn_risk - is scored against what the customers did in the holdout (holdout_start .. as_of):
--   lapsed                     a calibration customer with no purchase in the holdout
--   base_lapse_rate            lapsed / all calibration customers: the precision of a list drawn at random
--   precision                  listed customers who lapsed / listed customers
--   lapsed_revenue_captured    calibration revenue of the listed lapsers / calibration revenue of all lapsers
-- naive_rule: the same number of customers, chosen as a manager would without a model: the highest calibration
-- revenue among customers silent for 90 days or more at calibration_end.
with

scores as (
    select * from int_churn_scores
    where scope = 'calibration'
),

outcomes as (select * from int_calibration_summary),

customers as (
    select
        scores.customer_id,
        scores.on_list,
        scores.list_size,
        scores.days_silent,
        scores.scope_as_of,
        outcomes.revenue,
        outcomes.holdout_purchases = 0 as lapsed
    from scores
    inner join outcomes using (customer_id)
),

naive as (
    select
        customer_id,
        row_number() over (order by revenue desc, customer_id) <= any_value(list_size) over () as on_naive_list
    from customers
    where days_silent >= 90
),

flagged as (
    select customers.*, coalesce(naive.on_naive_list, false) as on_naive_list
    from customers
    left join naive using (customer_id)
),

totals as (
    select
        count(*) as customers,
        count(*) filter (where lapsed) as lapsed_customers,
        sum(revenue) filter (where lapsed) as lapsed_revenue,
        any_value(list_size) as list_size,
        any_value(scope_as_of) as calibration_end
    from flagged
),

listings as (
    unpivot (select lapsed, revenue, on_list as churn_list, on_naive_list as naive_rule from flagged)
    on churn_list, naive_rule
    into name method value listed
),

methods as (
    select
        method,
        count(*) filter (where listed) as listed,
        count(*) filter (where listed and lapsed) as listed_lapsed,
        coalesce(sum(revenue) filter (where listed and lapsed), 0) as captured_revenue
    from listings
    group by method
),

final as (
    select
        methods.method,
        totals.calibration_end::date as calibration_end,
        getvariable('as_of')::date as holdout_end,
        totals.customers::integer as customers,
        totals.list_size::integer as list_size,
        methods.listed::integer as listed,
        methods.listed_lapsed::integer as listed_lapsed,
        (methods.listed_lapsed / nullif(methods.listed, 0))::double as "precision",
        totals.lapsed_customers::integer as lapsed_customers,
        (totals.lapsed_customers / nullif(totals.customers, 0))::double as base_lapse_rate,
        methods.captured_revenue::double as captured_revenue,
        (methods.captured_revenue / nullif(totals.lapsed_revenue, 0))::double as lapsed_revenue_captured
    from methods
    cross join totals
    where totals.customers > 0
    order by methods.method
)

select * from final
