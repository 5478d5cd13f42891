-- churn_risk: one row per customer_id at risk of churning: P(alive) below getvariable('p_alive_threshold'), or overdue
-- against their own purchase rhythm (purchase_frequency.is_overdue).
-- Purpose: who to call first. Ranked by value_at_risk = the customer's CLV forecast (customer_clv.clv): what the
-- business stands to lose if this customer is let go. (CLV already weighs in P(alive), so customers who are almost
-- certainly gone rank low: effort goes where there is still value to save.)
-- reasons (codes, every one that applies):
--   long_silence     no purchase for more than twice the customer's median gap between purchases (one-purchase
--                    customers: twice the median gap of all repeat customers, or 180 days when nobody repeated)
--   overdue_rhythm   past the expected next purchase (purchase_frequency.is_overdue)
--   low_p_alive      p_alive < p_alive_threshold (NULL p_alive - no fitted model - never counts)
--   open_complaint   a complaint opened on or before as_of and not resolved by as_of
--   overdue_invoice  an invoice due before as_of, not fully paid by as_of
--   fewer_visits     fewer visits in the last 90 days (as_of-89 .. as_of) than in the 90 days before
with

customer_clv as (select * from customer_clv),

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
        customer_clv.customer_id,
        customer_clv.p_alive,
        customer_clv.clv,
        coalesce(purchase_frequency.days_since_last_purchase > 2 * coalesce(purchase_frequency.median_gap_days, population_gap.median_gap_days), false) as long_silence,
        coalesce(purchase_frequency.is_overdue, false) as overdue_rhythm,
        coalesce(customer_clv.p_alive < getvariable('p_alive_threshold'), false) as low_p_alive,
        open_complaints.customer_id is not null as open_complaint,
        overdue_invoices.customer_id is not null as overdue_invoice,
        coalesce(visit_trend.recent_visits < visit_trend.earlier_visits, false) as fewer_visits
    from customer_clv
    left join purchase_frequency using (customer_id)
    cross join population_gap
    left join open_complaints using (customer_id)
    left join overdue_invoices using (customer_id)
    left join visit_trend using (customer_id)
),

at_risk as (
    select
        *,
        coalesce(clv, 0) as value_at_risk,
        list_filter(
            [
                case when long_silence then 'long_silence' end,
                case when overdue_rhythm then 'overdue_rhythm' end,
                case when low_p_alive then 'low_p_alive' end,
                case when open_complaint then 'open_complaint' end,
                case when overdue_invoice then 'overdue_invoice' end,
                case when fewer_visits then 'fewer_visits' end
            ],
            code -> code is not null
        ) as reasons
    from signals
    where low_p_alive or overdue_rhythm
),

final as (
    select
        customer_id,
        p_alive::double as p_alive,
        clv::double as clv,
        value_at_risk::double as value_at_risk,
        reasons::varchar[] as reasons,
        (row_number() over (order by value_at_risk desc, customer_id))::integer as rank
    from at_risk
)

select * from final
