-- key_accounts (重点客户管理表): one row per key account = the top 20% of customers with a purchase up to as_of by
-- value (customer_clv.clv, else net revenue to date), at least 1 and at most 100 customers; value_rank 1 = highest.
--   trend: net revenue in the last 90 days (as_of - 90, as_of] vs the 90 days before; trend_pct = (last - prev) / prev
--          (NULL when prev <= 0); trend = 'up' (>= +10%), 'down' (<= -10%), 'flat', 'new' (nothing before, some now),
--          'none' (nothing in either window)
--   risk:  p_alive from customer_clv, churn_reasons from churn_risk (empty when not at risk), at_risk, open
--          complaints and overdue receivables at as_of
with

accounts as (
    select * from int_crm_accounts
    where orders > 0
),

clv as (
    select * from customer_clv
),

churn_list as (
    select * from churn_risk
),

grades as (
    select * from customer_grades
),

complaints as (
    select * from int_crm_complaints
),


valued as (
    select
        accounts.*,
        coalesce(clv.clv, accounts.revenue) as value,
        clv.p_alive,
        row_number() over (order by coalesce(clv.clv, accounts.revenue) desc, accounts.customer_id) as value_rank,
        count(*) over () as customers
    from accounts
    left join clv using (customer_id)
),

key_set as (
    select * from valued
    where value_rank <= least(100, greatest(1, ceil(0.2 * customers)))
),

churn_reasons as (
    select customer_id, flatten(list(reasons)) as reasons from churn_list group by customer_id
),

open_complaints as (
    select customer_id, count(*) as open_complaints from complaints where is_open group by customer_id
),

overdue as (select * from int_crm_overdue),

final as (
    select
        key_set.value_rank::integer as value_rank,
        key_set.customer_id,
        key_set.name,
        key_set.sales_rep,
        grades.grade,
        key_set.value::double as value,
        key_set.revenue::double as revenue,
        key_set.revenue_last_90d::double as revenue_last_90d,
        key_set.revenue_prev_90d::double as revenue_prev_90d,
        case when key_set.revenue_prev_90d > 0
            then (key_set.revenue_last_90d - key_set.revenue_prev_90d) / key_set.revenue_prev_90d
        end::double as trend_pct,
        case
            when key_set.revenue_prev_90d <= 0 and key_set.revenue_last_90d > 0 then 'new'
            when key_set.revenue_prev_90d <= 0 then 'none'
            when key_set.revenue_last_90d >= 1.1 * key_set.revenue_prev_90d then 'up'
            when key_set.revenue_last_90d <= 0.9 * key_set.revenue_prev_90d then 'down'
            else 'flat'
        end as trend,
        key_set.p_alive::double as p_alive,
        coalesce(churn_reasons.reasons, []::varchar[])::varchar[] as churn_reasons,
        churn_reasons.customer_id is not null as at_risk,
        coalesce(open_complaints.open_complaints, 0)::integer as open_complaints,
        coalesce(overdue.overdue_amount, 0)::double as overdue_amount
    from key_set
    left join grades using (customer_id)
    left join churn_reasons using (customer_id)
    left join open_complaints using (customer_id)
    left join overdue using (customer_id)
)

select * from final
order by value_rank
