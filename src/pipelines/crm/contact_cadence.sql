-- contact_cadence: one row per customer_id of int_crm_accounts (everyone in the customers file or with a purchase
-- up to as_of). When is each customer due for the next contact (visit, call, email, event: every visits row)?
--   grade           customer_grades.grade; 'D' when the customer has no grade (no purchase yet)
--   cadence_days    getvariable('cadence_a' .. 'cadence_d') by grade (defaults A 14, B 30, C 60, D 120 days)
--   contacts        visits up to as_of; contacts_per_period = visits in the last 365 days x period_days / 365
--   next_contact_due  last contact + cadence; never contacted: first purchase + cadence (NULL for a prospect)
--   is_contact_overdue  as_of > next_contact_due; always false when the visits table is empty (contact history
--                   unknown: has_contact_data = false says so), days_overdue = as_of - next_contact_due
--   value           customer_clv.clv, else net revenue to date (value_source says which)
--   overdue_rank    1 = most valuable overdue customer; NULL when not overdue
with

accounts as (
    select * from int_crm_accounts
),

visits as (
    select * from int_crm_visits
),

grades as (
    select * from customer_grades
),

clv as (
    select * from customer_clv
),

contact_data as (
    select count(*) > 0 as has_contact_data from visits
),

contacts as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where visit_date > getvariable('as_of') - 365) as contacts_last_365d,
        max(visit_date) as last_contact
    from visits
    group by customer_id
),

cadences as (
    select
        accounts.customer_id,
        accounts.sales_rep,
        accounts.first_purchase,
        accounts.revenue,
        coalesce(grades.grade, 'D') as grade,
        case coalesce(grades.grade, 'D')
            when 'A' then getvariable('cadence_a')
            when 'B' then getvariable('cadence_b')
            when 'C' then getvariable('cadence_c')
            else getvariable('cadence_d')
        end::integer as cadence_days,
        coalesce(contacts.contacts, 0) as contacts,
        coalesce(contacts.contacts_last_365d, 0) as contacts_last_365d,
        contacts.last_contact,
        clv.clv
    from accounts
    left join grades using (customer_id)
    left join contacts using (customer_id)
    left join clv using (customer_id)
),

due as (
    select
        cadences.*,
        contact_data.has_contact_data,
        case when contact_data.has_contact_data then coalesce(last_contact, first_purchase) + cadence_days end as next_contact_due
    from cadences
    cross join contact_data
),

flagged as (
    select
        *,
        coalesce(getvariable('as_of') > next_contact_due, false) as is_contact_overdue,
        coalesce(clv, revenue) as value
    from due
),

final as (
    select
        customer_id,
        sales_rep,
        grade,
        cadence_days,
        contacts::integer as contacts,
        (contacts_last_365d * getvariable('period_days') / 365)::double as contacts_per_period,
        last_contact,
        (getvariable('as_of') - last_contact)::integer as days_since_last_contact,
        next_contact_due,
        case when is_contact_overdue then getvariable('as_of') - next_contact_due else 0 end::integer as days_overdue,
        is_contact_overdue,
        has_contact_data,
        value::double as value,
        case when clv is not null then 'clv' else 'revenue' end as value_source,
        case when is_contact_overdue then
            row_number() over (partition by is_contact_overdue order by value desc, customer_id)
        end::integer as overdue_rank
    from flagged
)

select * from final
order by overdue_rank nulls last, customer_id
