-- followup_queue: one row per (sales_rep, customer_id) with at least one reason to reach out as of as_of: the list a
-- rep opens every morning (跟进清单). A customer appears once, under its owner (int_crm_accounts.sales_rep:
-- customers.sales_rep, else the rep of the most recent transaction, else 'unassigned').
-- reasons (VARCHAR[], in this order):
--   contact_overdue    contact_cadence.is_contact_overdue (no contact within the grade's cadence)
--   replenishment_due  purchase_frequency.is_overdue (past the expected next purchase: the rice-shop rule)
--   churn_risk         listed in churn_risk
--   open_complaint     a complaint opened by as_of and not resolved by as_of
--   invoice_overdue    an invoice with money still open past its due date at as_of
--   birthday_soon      the next birthday falls in [as_of, as_of + 14 days]; a 29 February birthday is kept on
--                      28 February in other years
-- Ranked by the value of the call (call_value): the money that acting now protects or brings in, the sum of
--   churn_risk         churn_risk.expected_loss (P(lapse) x yearly value)
--   replenishment_due  one expected order: p_alive x margin x expected_avg_spend (customer_clv; no model: margin x
--                      the customer's average order value)
--   invoice_overdue    the overdue amount still open
--   open_complaint     the customer's value (an unresolved complaint puts the relationship at stake)
--   contact_overdue and birthday_soon add nothing of their own (routine care, not money at stake)
-- value = customer_clv.clv, else net revenue to date. priority = 1, 2, ... within a rep by call_value desc, then
-- value desc, then customer_id. is_today = priority <= getvariable('followup_per_rep') (analysis.followupPerRep,
-- default 20): a day's work; the rest of the queue stays reachable.
-- next_action (code) / next_action_zh / next_action_en: one suggested action, for the reason carrying the most
-- money (ties in the order open_complaint, invoice_overdue, churn_risk, replenishment_due); when no reason carries
-- money: routine_contact for contact_overdue, else birthday_greeting.
with

accounts as (
    select * from int_crm_accounts
),

cadence as (
    select * from contact_cadence
),

rhythm as (
    select * from purchase_frequency
),

churn_list as (
    select * from churn_risk
),

complaints as (
    select * from int_crm_complaints
),


grades as (
    select * from customer_grades
),

clv as (
    select * from customer_clv
),

open_complaints as (
    select customer_id, count(*) as open_complaints
    from complaints
    where is_open
    group by customer_id
),

overdue_invoices as (select * from int_crm_overdue),

birthdays as (
    select
        customer_id,
        -- this year's and next year's birthday; last_day() keeps 29 February on the 28th in other years
        least(
            make_date(year(getvariable('as_of'))::bigint, month(birthday), 1) + (day(birthday) - 1)::integer,
            last_day(make_date(year(getvariable('as_of'))::bigint, month(birthday), 1))
        ) as this_year,
        least(
            make_date(year(getvariable('as_of'))::bigint + 1, month(birthday), 1) + (day(birthday) - 1)::integer,
            last_day(make_date(year(getvariable('as_of'))::bigint + 1, month(birthday), 1))
        ) as next_year
    from accounts
    where birthday is not null
),

next_birthdays as (
    select customer_id, case when this_year >= getvariable('as_of') then this_year else next_year end as next_birthday
    from birthdays
),

signals as (
    select
        accounts.customer_id,
        accounts.sales_rep,
        accounts.name,
        grades.grade,
        coalesce(cadence.value, accounts.revenue) as value,
        cadence.last_contact,
        cadence.days_since_last_contact,
        next_birthdays.next_birthday,
        coalesce(open_complaints.open_complaints, 0) as open_complaints,
        coalesce(overdue_invoices.overdue_amount, 0) as overdue_amount,
        coalesce(at_risk.expected_loss, 0) as churn_stake,
        case when rhythm.is_overdue then
            coalesce(clv.p_alive, 1) * getvariable('margin') * greatest(coalesce(clv.expected_avg_spend, accounts.revenue / nullif(accounts.orders, 0), 0), 0)
        else 0 end as replenishment_stake,
        case when open_complaints.customer_id is not null then greatest(coalesce(cadence.value, accounts.revenue), 0) else 0 end as complaint_stake,
        coalesce(cadence.is_contact_overdue, false) as is_contact_overdue,
        list_filter([
            case when cadence.is_contact_overdue then 'contact_overdue' end,
            case when rhythm.is_overdue then 'replenishment_due' end,
            case when at_risk.customer_id is not null then 'churn_risk' end,
            case when open_complaints.customer_id is not null then 'open_complaint' end,
            case when overdue_invoices.customer_id is not null then 'invoice_overdue' end,
            case when next_birthdays.next_birthday <= getvariable('as_of') + 14 then 'birthday_soon' end
        ], r -> r is not null) as reasons
    from accounts
    left join cadence using (customer_id)
    left join rhythm using (customer_id)
    left join (select customer_id, max(expected_loss) as expected_loss from churn_list group by customer_id) as at_risk using (customer_id)
    left join open_complaints using (customer_id)
    left join overdue_invoices using (customer_id)
    left join next_birthdays using (customer_id)
    left join grades using (customer_id)
    left join clv using (customer_id)
),

valued as (
    select
        *,
        complaint_stake + overdue_amount + churn_stake + replenishment_stake as call_value,
        greatest(complaint_stake, overdue_amount, churn_stake, replenishment_stake) as top_stake
    from signals
    where len(reasons) > 0
),

actions as (
    select
        *,
        case
            when top_stake > 0 and complaint_stake = top_stake then 'resolve_complaint'
            when top_stake > 0 and overdue_amount = top_stake then 'collect_invoice'
            when top_stake > 0 and churn_stake = top_stake then 'win_back_call'
            when top_stake > 0 and replenishment_stake = top_stake then 'replenishment_offer'
            when is_contact_overdue then 'routine_contact'
            else 'birthday_greeting'
        end as next_action
    from valued
),

ranked as (
    select
        *,
        row_number() over (partition by sales_rep order by call_value desc, value desc, customer_id) as priority
    from actions
),

final as (
    select
        sales_rep,
        customer_id,
        name,
        grade,
        reasons::varchar[] as reasons,
        len(reasons)::integer as reason_count,
        value::double as value,
        call_value::double as call_value,
        churn_stake::double as churn_stake,
        replenishment_stake::double as replenishment_stake,
        complaint_stake::double as complaint_stake,
        next_action,
        case next_action
            when 'resolve_complaint' then '跟进未结投诉，与客户确认解决方案'
            when 'collect_invoice' then '催收逾期账款，结清前暂停赊销'
            when 'win_back_call' then '致电挽回：了解为何不再购买，给出回购理由'
            when 'replenishment_offer' then '提醒补货：按其常购商品和数量报价'
            when 'routine_contact' then '例行联系：按客户等级的频率拜访或致电'
            else '发送生日问候'
        end as next_action_zh,
        case next_action
            when 'resolve_complaint' then 'Follow up the open complaint and agree the fix with the customer'
            when 'collect_invoice' then 'Collect the overdue invoices; hold credit sales until settled'
            when 'win_back_call' then 'Call to win back: ask why they stopped buying and give a reason to return'
            when 'replenishment_offer' then 'Replenishment reminder: quote their usual items and quantities'
            when 'routine_contact' then 'Routine contact: visit or call at the cadence of their grade'
            else 'Send birthday greetings'
        end as next_action_en,
        last_contact,
        days_since_last_contact::integer as days_since_last_contact,
        next_birthday,
        open_complaints::integer as open_complaints,
        overdue_amount::double as overdue_amount,
        priority::integer as priority,
        priority <= getvariable('followup_per_rep') as is_today
    from ranked
)

select * from final
order by sales_rep, priority
