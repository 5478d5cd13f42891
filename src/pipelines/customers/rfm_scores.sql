-- rfm_scores: one row per customer_id of customer_summary.
-- Purpose: RFM quintile scores and named segments.
--   recency_days = as_of - last_purchase; orders and revenue (net) from customer_summary.
--   r_score, f_score, m_score: ntile(5) over recency_days DESC (recent = 5), orders, revenue; every customer of a tie
--   group takes the group's LOWEST tile (the tile ntile gives the group's first row, whatever the order inside it),
--   so equal values always get equal scores (with many one-order customers f_score skips values rather than
--   splitting them at random).
--   fm_score = (f_score + m_score) / 2.
-- Segments, first rule that matches:
--   champions            r >= 4 and fm >= 4
--   loyal                r >= 3 and fm >= 3
--   new                  r >= 4 and orders = 1
--   potential_loyalists  r >= 3 (recent, not yet valuable)
--   cant_lose            r <= 2 and fm >= 4 (were among the best, gone quiet)
--   at_risk              r <= 2 and fm >= 3
--   hibernating          r = 2 (and fm < 3)
--   lost                 r = 1 (and fm < 3)
with

customer_summary as not materialized (select * from customer_summary),

measures as (
    select
        customer_id,
        getvariable('as_of') - last_purchase as recency_days,
        orders,
        revenue
    from customer_summary
),

ranks as (
    -- a tie group's lowest tile is the tile of its first position, rank() - 1: one sort per measure, on the measure
    -- alone (no customer_id tie-break, no second window over each tie group)
    select
        *,
        rank() over (order by recency_days desc) - 1 as r_position,
        rank() over (order by orders) - 1 as f_position,
        rank() over (order by revenue) - 1 as m_position
    from measures
),

tile_sizes as (
    -- ntile(5)'s arithmetic (DuckDB's, as SQLite's): n rows in min(5, n) tiles of n_size rows, the first n_large of
    -- them one row larger; the row at 0-based position p is in tile 1 + p // (n_size + 1) while p < i_small
    select
        n_size,
        n_large,
        n_large * (n_size + 1) as i_small
    from (
        select n // least(5, n) as n_size, n - least(5, n) * (n // least(5, n)) as n_large
        from (select count(*) as n from customer_summary)
        where n > 0
    )
),

scores as (
    select
        ranks.customer_id,
        ranks.recency_days,
        ranks.orders,
        ranks.revenue,
        case when r_position < i_small then 1 + r_position // (n_size + 1)
            else 1 + n_large + (r_position - i_small) // n_size end as r_score,
        case when f_position < i_small then 1 + f_position // (n_size + 1)
            else 1 + n_large + (f_position - i_small) // n_size end as f_score,
        case when m_position < i_small then 1 + m_position // (n_size + 1)
            else 1 + n_large + (m_position - i_small) // n_size end as m_score
    from ranks
    cross join tile_sizes
),

segmented as (
    select
        *,
        (f_score + m_score) / 2.0 as fm_score,
        case
            when r_score >= 4 and (f_score + m_score) / 2.0 >= 4 then 'champions'
            when r_score >= 3 and (f_score + m_score) / 2.0 >= 3 then 'loyal'
            when r_score >= 4 and orders = 1 then 'new'
            when r_score >= 3 then 'potential_loyalists'
            when (f_score + m_score) / 2.0 >= 4 then 'cant_lose'
            when (f_score + m_score) / 2.0 >= 3 then 'at_risk'
            when r_score = 2 then 'hibernating'
            else 'lost'
        end as rfm_segment
    from scores
),

final as (
    select
        customer_id,
        recency_days::integer as recency_days,
        orders::integer as orders,
        revenue::double as revenue,
        r_score::integer as r_score,
        f_score::integer as f_score,
        m_score::integer as m_score,
        fm_score::double as fm_score,
        (100 * r_score + 10 * f_score + m_score)::varchar as rfm_cell,
        rfm_segment
    from segmented
)

select * from final
