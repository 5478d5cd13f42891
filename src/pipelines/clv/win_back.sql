-- win_back: one row per customer_id who is almost surely gone and was worth a lot: P(alive) < 0.1 (without a
-- fitted model: no purchase for more than 365 days) and net revenue to date in the top quarter of all customers
-- with a purchase (>= the 75th percentile, quantile_cont), and not on today's churn list (those get a retention
-- call instead).
-- Purpose: lost customers of high past value get their own list (a win-back offer), instead of being filed under
-- "develop" in the value matrix, whose growth potential is weighted by P(alive). rank 1 = the highest revenue.
with

summary as (select * from customer_summary),

clv as (select * from customer_clv),

churn as (select * from churn_risk),

threshold as (
    select quantile_cont(revenue, 0.75) as revenue_q75 from summary
),

candidates as (
    select
        summary.customer_id,
        summary.revenue,
        summary.orders,
        summary.first_purchase,
        summary.last_purchase,
        (getvariable('as_of') - summary.last_purchase) as days_silent,
        clv.p_alive
    from summary
    left join clv using (customer_id)
    cross join threshold
    where summary.revenue >= threshold.revenue_q75
      and summary.revenue > 0
      and coalesce(clv.p_alive < 0.1, getvariable('as_of') - summary.last_purchase > 365)
      and summary.customer_id not in (select customer_id from churn)
),

final as (
    select
        customer_id,
        revenue::double as revenue,
        orders::integer as orders,
        first_purchase,
        last_purchase,
        days_silent::integer as days_silent,
        p_alive::double as p_alive,
        (row_number() over (order by revenue desc, customer_id))::integer as rank
    from candidates
)

select * from final
