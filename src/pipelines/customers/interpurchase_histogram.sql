-- interpurchase_histogram: one row per gap-days bin [bin_start, bin_end) (bin_end NULL = open-ended), all bins
-- always present.
-- Purpose: the distribution of days between a customer's consecutive purchases (int_purchases.gap_days), to pick
-- contact cadences. Bins: 0-7, 7-14, 14-30, 30-60, 60-90, 90-180, 180-365, 365+ days (a 0-day gap only occurs
-- at the 'order' purchase grain: two orders on one day).
with

purchases as (select * from int_purchases),

bins as (
    select *
    from (values
        (1, 0, 7),
        (2, 7, 14),
        (3, 14, 30),
        (4, 30, 60),
        (5, 60, 90),
        (6, 90, 180),
        (7, 180, 365),
        (8, 365, null)
    ) as b (bin_order, bin_start, bin_end)
),

gaps as (
    select gap_days
    from purchases
    where gap_days is not null
),

binned as (
    select
        bins.bin_order,
        bins.bin_start,
        bins.bin_end,
        count(gaps.gap_days) as gaps
    from bins
    left join gaps
        on gaps.gap_days >= bins.bin_start
        and (bins.bin_end is null or gaps.gap_days < bins.bin_end)
    group by all
),

final as (
    select
        bin_start::integer as bin_start,
        bin_end::integer as bin_end,
        gaps::integer as gaps,
        coalesce(gaps / nullif(sum(gaps) over (), 0), 0)::double as share
    from binned
    order by bin_order
)

select * from final
