-- rep_workload: one row per sales_rep that owns at least one customer (int_crm_accounts.sales_rep, including
-- 'unassigned'). How much each rep carries: customers owned, those who bought in the last 365 days, net revenue to
-- date and in the last 90 days of the owned customers, open follow-ups (followup_queue rows), overdue contacts
-- (contact_cadence.is_contact_overdue), visits made in the last 90 days (by the visit's rep), and customers only
-- this rep has ever dealt with (single_contact_customers).
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from int_crm_visits
),

queue as (
    select * from followup_queue
),

cadence as (
    select * from contact_cadence
),

single_contact as (
    select * from single_contact_customers
),

owned as (
    select
        sales_rep,
        count(*) as customers,
        count(*) filter (where last_purchase > getvariable('as_of') - 365) as active_customers,
        sum(revenue) as revenue,
        sum(revenue_last_90d) as revenue_last_90d
    from accounts
    group by sales_rep
),

followups as (
    select sales_rep, count(*) as followups from queue group by sales_rep
),

overdue_contacts as (
    select sales_rep, count(*) as overdue_contacts from cadence where is_contact_overdue group by sales_rep
),

recent_visits as (
    select sales_rep, count(*) as visits_last_90d
    from visits
    where visit_date > getvariable('as_of') - 90
    group by sales_rep
),

single_contacts as (
    select sales_rep, count(*) as single_contact_customers from single_contact group by sales_rep
),

final as (
    select
        owned.sales_rep,
        owned.customers::integer as customers,
        owned.active_customers::integer as active_customers,
        owned.revenue::double as revenue,
        owned.revenue_last_90d::double as revenue_last_90d,
        coalesce(followups.followups, 0)::integer as followups,
        coalesce(overdue_contacts.overdue_contacts, 0)::integer as overdue_contacts,
        coalesce(recent_visits.visits_last_90d, 0)::integer as visits_last_90d,
        coalesce(single_contacts.single_contact_customers, 0)::integer as single_contact_customers
    from owned
    left join followups using (sales_rep)
    left join overdue_contacts using (sales_rep)
    left join recent_visits using (sales_rep)
    left join single_contacts using (sales_rep)
)

select * from final
order by revenue desc, sales_rep
