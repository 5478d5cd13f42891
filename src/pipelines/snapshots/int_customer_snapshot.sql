-- int_customer_snapshot: one row per customer_id of customer_summary (a purchase on or before as_of): what this
-- run says about the customer, kept in customer_snapshots so the next run can say what changed.
--   grade (customer_grades), segment (rfm_scores.rfm_segment), quadrant (value_matrix), p_alive and clv
--   (customer_clv), on_churn_list / churn_rank (churn_risk), followup_reasons (followup_queue; empty when not
--   queued), overdue_invoices / overdue_amount (invoices with money open past due at as_of), complaints (opened up
--   to as_of), open_complaints (open at as_of)
with

customers as (select * from customer_summary),

grades as (select * from customer_grades),

segments as (select * from rfm_scores),

quadrants as (select * from value_matrix),

clv as (select * from customer_clv),

churn as (select * from churn_risk),

queue as (select * from followup_queue),


complaints as (select * from int_crm_complaints),

overdue as (select * from int_crm_overdue),

complaint_counts as (
    select customer_id, count(*) as complaints, count(*) filter (where is_open) as open_complaints
    from complaints
    group by customer_id
),

final as (
    select
        getvariable('as_of')::date as as_of,
        customers.customer_id,
        grades.grade,
        segments.rfm_segment as segment,
        quadrants.quadrant,
        clv.p_alive::double as p_alive,
        clv.clv::double as clv,
        churn.customer_id is not null as on_churn_list,
        churn.rank::integer as churn_rank,
        coalesce(queue.reasons, []::varchar[])::varchar[] as followup_reasons,
        coalesce(overdue.overdue_invoices, 0)::integer as overdue_invoices,
        coalesce(overdue.overdue_amount, 0)::double as overdue_amount,
        coalesce(complaint_counts.complaints, 0)::integer as complaints,
        coalesce(complaint_counts.open_complaints, 0)::integer as open_complaints
    from customers
    left join grades using (customer_id)
    left join segments using (customer_id)
    left join quadrants using (customer_id)
    left join clv using (customer_id)
    left join churn using (customer_id)
    left join queue using (customer_id)
    left join overdue using (customer_id)
    left join complaint_counts using (customer_id)
)

select * from final
