-- problem_accounts (问题客户对策表): one row per customer_id with at least one problem at as_of, and what to do.
-- problems (VARCHAR[], in this order):
--   overdue_invoice      money still open past the due date (int_crm_invoices)
--   repeated_complaints  2 or more complaints opened up to as_of
--   falling_purchases    net revenue in the last 90 days below half of the 90 days before (which was > 0)
-- action_zh / action_en: one suggested action per problem, joined in the same order. value = customer_clv.clv, else
-- net revenue to date. value_at_stake = the money each problem puts at stake, added up: the overdue amount; for
-- repeated complaints the customer's value (the relationship); for falling purchases the revenue lost in the last
-- 90 days against the 90 before (revenue_prev_90d - revenue_last_90d). priority 1 = handle first: the largest
-- value_at_stake, then higher value, then customer_id.
with

accounts as (
    select * from int_crm_accounts
),

clv as (
    select * from customer_clv
),

complaints as (
    select * from int_crm_complaints
),


overdue as (select * from int_crm_overdue),

complaint_counts as (
    select customer_id, count(*) as complaints, count(*) filter (where is_open) as open_complaints
    from complaints
    group by customer_id
),

flags as (
    select
        accounts.customer_id,
        accounts.name,
        accounts.sales_rep,
        accounts.revenue_last_90d,
        accounts.revenue_prev_90d,
        coalesce(clv.clv, accounts.revenue) as value,
        coalesce(overdue.overdue_amount, 0) as overdue_amount,
        coalesce(overdue.max_days_overdue, 0) as max_days_overdue,
        coalesce(complaint_counts.complaints, 0) as complaints,
        coalesce(complaint_counts.open_complaints, 0) as open_complaints,
        overdue.customer_id is not null as has_overdue,
        coalesce(complaint_counts.complaints, 0) >= 2 as has_repeated_complaints,
        accounts.revenue_prev_90d > 0 and accounts.revenue_last_90d < 0.5 * accounts.revenue_prev_90d as has_falling
    from accounts
    left join clv using (customer_id)
    left join overdue using (customer_id)
    left join complaint_counts using (customer_id)
),

with_actions as (
    select
        *,
        list_filter([
            case when has_overdue then 'overdue_invoice' end,
            case when has_repeated_complaints then 'repeated_complaints' end,
            case when has_falling then 'falling_purchases' end
        ], p -> p is not null) as problems,
        concat_ws('；',
            case when has_overdue then '催收逾期账款，结清前暂停赊销' end,
            case when has_repeated_complaints then '主管回访，查明投诉根因并跟进整改' end,
            case when has_falling then '拜访了解需求变化，提供针对性方案' end
        ) as action_zh,
        concat_ws('; ',
            case when has_overdue then 'Collect the overdue invoices; hold credit sales until settled' end,
            case when has_repeated_complaints then 'Manager call-back: find the root cause of the complaints and follow up the fix' end,
            case when has_falling then 'Visit to learn what changed and offer a tailored proposal' end
        ) as action_en
    from flags
    where has_overdue or has_repeated_complaints or has_falling
),

staked as (
    select
        *,
        overdue_amount
            + case when has_repeated_complaints then greatest(value, 0) else 0 end
            + case when has_falling then revenue_prev_90d - revenue_last_90d else 0 end as value_at_stake
    from with_actions
),

final as (
    select
        customer_id,
        name,
        sales_rep,
        problems::varchar[] as problems,
        overdue_amount::double as overdue_amount,
        max_days_overdue::integer as max_days_overdue,
        complaints::integer as complaints,
        open_complaints::integer as open_complaints,
        revenue_last_90d::double as revenue_last_90d,
        revenue_prev_90d::double as revenue_prev_90d,
        value::double as value,
        value_at_stake::double as value_at_stake,
        action_zh,
        action_en,
        row_number() over (order by value_at_stake desc, value desc, customer_id)::integer as priority
    from staked
)

select * from final
order by priority
