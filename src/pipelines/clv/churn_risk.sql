-- churn_risk: one row per customer_id on today's churn list: int_churn_scores (scope 'current') with on_list, i.e.
-- customers with something to save (a purchase in the last 730 days, expected_loss > 0), at most
-- ceil(churn_list_share x customers active in the last 365 days) of them.
-- Purpose: whom to win back before they are gone, most money first. rank 1 = the largest expected_loss =
-- P(lapse) x the customer's yearly value (see int_churn_scores for the definitions and why); value_at_risk =
-- expected_loss. The list is backtested in churn_backtest.
-- reasons (codes, every one that is true for the row, in this order):
--   long_silence     a repeat customer silent for more than twice their own median gap between purchases
--   single_purchase  a one-purchase customer silent for more than twice the median gap of all repeat customers
--                    (180 days when nobody repeated)
--   overdue_rhythm   past the expected next purchase (purchase_frequency.is_overdue)
--   low_p_alive      p_alive < p_alive_threshold (NULL p_alive - no fitted model - never counts)
--   open_complaint   a complaint opened on or before as_of and not resolved by as_of
--   overdue_invoice  an invoice due before as_of, not fully paid by as_of
--   fewer_visits     fewer visits in the last 90 days (as_of-89 .. as_of) than in the 90 days before
with

scores as (
    select * from int_churn_scores
    where scope = 'current' and on_list
),

purchase_frequency as (select * from purchase_frequency),

complaints as (select * from stg_complaints),

invoices as (select * from stg_invoices),

visits as (select * from stg_visits),

population_gap as (
    select coalesce(median(median_gap_days), 180) as median_gap_days
    from purchase_frequency
),

open_complaints as (
    select distinct customer_id
    from complaints
    where opened_at::date <= getvariable('as_of')
      and (resolved_at is null or resolved_at::date > getvariable('as_of'))
),

overdue_invoices as (
    select distinct customer_id
    from invoices
    where due_at < getvariable('as_of')
      and issued_at <= getvariable('as_of')
      and (
          paid_at is null
          or paid_at > getvariable('as_of')
          or coalesce(paid_amount, 0) < amount - 0.005
      )
),

visit_trend as (
    select
        customer_id,
        count(*) filter (where visited_on > getvariable('as_of') - 90 and visited_on <= getvariable('as_of')) as recent_visits,
        count(*) filter (where visited_on > getvariable('as_of') - 180 and visited_on <= getvariable('as_of') - 90) as earlier_visits
    from visits
    group by customer_id
),

signals as (
    select
        scores.customer_id,
        scores.p_alive,
        scores.clv,
        scores.p_lapse,
        scores.value_if_retained,
        scores.expected_loss,
        scores.revenue,
        scores.days_silent,
        scores.list_rank,
        coalesce(purchase_frequency.median_gap_days is not null
            and purchase_frequency.days_since_last_purchase > 2 * purchase_frequency.median_gap_days, false) as long_silence,
        coalesce(purchase_frequency.median_gap_days is null
            and purchase_frequency.days_since_last_purchase > 2 * population_gap.median_gap_days, false) as single_purchase,
        coalesce(purchase_frequency.is_overdue, false) as overdue_rhythm,
        coalesce(scores.p_alive < getvariable('p_alive_threshold'), false) as low_p_alive,
        open_complaints.customer_id is not null as open_complaint,
        overdue_invoices.customer_id is not null as overdue_invoice,
        coalesce(visit_trend.recent_visits < visit_trend.earlier_visits, false) as fewer_visits
    from scores
    left join purchase_frequency using (customer_id)
    cross join population_gap
    left join open_complaints using (customer_id)
    left join overdue_invoices using (customer_id)
    left join visit_trend using (customer_id)
),

at_risk as (
    select
        *,
        list_filter(
            [
                case when long_silence then 'long_silence' end,
                case when single_purchase then 'single_purchase' end,
                case when overdue_rhythm then 'overdue_rhythm' end,
                case when low_p_alive then 'low_p_alive' end,
                case when open_complaint then 'open_complaint' end,
                case when overdue_invoice then 'overdue_invoice' end,
                case when fewer_visits then 'fewer_visits' end
            ],
            code -> code is not null
        ) as reasons
    from signals
),

final as (
    select
        customer_id,
        p_alive::double as p_alive,
        clv::double as clv,
        p_lapse::double as p_lapse,
        value_if_retained::double as value_if_retained,
        expected_loss::double as expected_loss,
        expected_loss::double as value_at_risk,
        revenue::double as revenue,
        days_silent::integer as days_silent,
        reasons::varchar[] as reasons,
        list_rank::integer as rank
    from at_risk
)

select * from final
