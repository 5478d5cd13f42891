-- customer_changes: one row per (customer_id, change) between the previous snapshot (the latest as_of in
-- customer_snapshots before this run's as_of) and this run's; no rows when there is no earlier snapshot.
-- Purpose: "what changed since the last report?" - the first question a manager asks.
-- change (code), from_value -> to_value (as text):
--   quadrant_changed     value-matrix quadrant moved (from and to set; a customer new to the matrix is not a move)
--   grade_changed        grade moved, e.g. B -> A (upgraded: to < from) or A -> B
--   joined_churn_list    on this run's churn list, not on the previous one (to_value = the rank)
--   left_churn_list      on the previous list, not on this one (bought again, or gone for good)
--   new_overdue_invoice  more invoices overdue than at the previous snapshot (from/to = counts)
--   new_complaint        more complaints opened than at the previous snapshot (from/to = counts)
--   new_customer         first purchase since the previous snapshot
-- clv = this run's CLV (the previous one for left_churn_list when the customer has no row now); value_rank 1 = the
-- most valuable change, across changes, by clv then customer_id then change.
with

snapshots as (select * from customer_snapshots),

current_snapshot as (
    select * from snapshots
    where as_of = getvariable('as_of')
),

previous_as_of as (
    select max(as_of) as as_of from snapshots
    where as_of < getvariable('as_of')
),

previous_snapshot as (
    select snapshots.*
    from snapshots
    inner join previous_as_of using (as_of)
),

paired as (
    select
        coalesce(cur.customer_id, prev.customer_id) as customer_id,
        previous_as_of.as_of as previous_as_of,
        cur.customer_id is not null as has_current,
        prev.customer_id is not null as has_previous,
        prev.quadrant as prev_quadrant, cur.quadrant as cur_quadrant,
        prev.grade as prev_grade, cur.grade as cur_grade,
        coalesce(prev.on_churn_list, false) as prev_listed, coalesce(cur.on_churn_list, false) as cur_listed,
        cur.churn_rank,
        coalesce(prev.overdue_invoices, 0) as prev_overdue, coalesce(cur.overdue_invoices, 0) as cur_overdue,
        coalesce(prev.complaints, 0) as prev_complaints, coalesce(cur.complaints, 0) as cur_complaints,
        coalesce(cur.clv, prev.clv) as clv
    from current_snapshot as cur
    full outer join previous_snapshot as prev using (customer_id)
    cross join previous_as_of
    where previous_as_of.as_of is not null
),

changes as (
    select customer_id, previous_as_of, clv, 'quadrant_changed' as change, prev_quadrant as from_value, cur_quadrant as to_value
    from paired where has_current and has_previous and prev_quadrant is distinct from cur_quadrant
        and prev_quadrant is not null and cur_quadrant is not null
    union all
    select customer_id, previous_as_of, clv, 'grade_changed', prev_grade, cur_grade
    from paired where has_current and has_previous and prev_grade is distinct from cur_grade
        and prev_grade is not null and cur_grade is not null
    union all
    select customer_id, previous_as_of, clv, 'joined_churn_list', null, churn_rank::varchar
    from paired where cur_listed and not prev_listed
    union all
    select customer_id, previous_as_of, clv, 'left_churn_list', null, null
    from paired where prev_listed and not cur_listed
    union all
    select customer_id, previous_as_of, clv, 'new_overdue_invoice', prev_overdue::varchar, cur_overdue::varchar
    from paired where has_current and cur_overdue > prev_overdue
    union all
    select customer_id, previous_as_of, clv, 'new_complaint', prev_complaints::varchar, cur_complaints::varchar
    from paired where has_current and cur_complaints > prev_complaints
    union all
    select customer_id, previous_as_of, clv, 'new_customer', null, null
    from paired where has_current and not has_previous
),

final as (
    select
        getvariable('as_of')::date as as_of,
        previous_as_of::date as previous_as_of,
        customer_id,
        change,
        from_value::varchar as from_value,
        to_value::varchar as to_value,
        clv::double as clv,
        row_number() over (order by clv desc nulls last, customer_id, change)::integer as value_rank
    from changes
)

select * from final
