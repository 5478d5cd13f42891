-- complaint_stats: one row per (category, severity) of complaints opened up to as_of, plus roll-ups where
-- category and/or severity is '(all)' (so the row ('(all)', '(all)') holds the totals).
--   open_complaints: not resolved at as_of; median/mean_days_to_resolve over complaints resolved by as_of;
--   good_faith / bad_faith / good_faith_unknown: the good_faith flag true / false / missing.
with

complaints as (
    select * from int_crm_complaints
),

grouped as (
    select
        coalesce(category, '(all)') as category,
        coalesce(severity, '(all)') as severity,
        count(*) as complaints,
        count(distinct customer_id) as customers,
        count(*) filter (where is_open) as open_complaints,
        count(*) filter (where not is_open) as resolved_complaints,
        median(days_to_resolve) as median_days_to_resolve,
        avg(days_to_resolve) as mean_days_to_resolve,
        count(*) filter (where good_faith) as good_faith,
        count(*) filter (where not good_faith) as bad_faith,
        count(*) filter (where good_faith is null) as good_faith_unknown
    from complaints
    group by grouping sets ((category, severity), (category), (severity), ())
),

final as (
    select
        category,
        severity,
        complaints::integer as complaints,
        customers::integer as customers,
        open_complaints::integer as open_complaints,
        resolved_complaints::integer as resolved_complaints,
        median_days_to_resolve::double as median_days_to_resolve,
        mean_days_to_resolve::double as mean_days_to_resolve,
        good_faith::integer as good_faith,
        bad_faith::integer as bad_faith,
        good_faith_unknown::integer as good_faith_unknown
    from grouped
    -- grouping sets over an empty table still yield the grand total row; keep it only when there are complaints
    where complaints > 0
)

select * from final
order by category = '(all)', category, severity = '(all)', severity
