-- int_crm_complaints: one row per complaint opened on or before as_of, with its state at as_of.
--   is_open: not resolved by as_of (resolved_at NULL or later than as_of)
--   days_to_resolve: (resolved_at - opened_at) in fractional days, for complaints resolved by as_of
--   resolution: 'fast' (resolved within 7 days), 'slow' (resolved later, by as_of), 'unresolved'
with

complaints_to_date as (
    select * from stg_complaints
    where opened_at::date <= getvariable('as_of')
),

states as (
    select
        *,
        resolved_at is null or resolved_at::date > getvariable('as_of') as is_open,
        case
            when resolved_at is not null and resolved_at::date <= getvariable('as_of')
            then (epoch(resolved_at) - epoch(opened_at)) / 86400.0
        end as days_to_resolve
    from complaints_to_date
),

final as (
    select
        complaint_id,
        customer_id,
        opened_at,
        resolved_at,
        coalesce(nullif(trim(category), ''), 'unknown') as category,
        coalesce(nullif(trim(severity), ''), 'unknown') as severity,
        good_faith,
        is_open,
        days_to_resolve::double as days_to_resolve,
        case
            when is_open then 'unresolved'
            when days_to_resolve <= 7 then 'fast'
            else 'slow'
        end as resolution
    from states
)

select * from final
