-- rfm_scores: one row per customer_id of customer_summary.
-- Purpose: RFM quintile scores and named segments.
--   recency_days = as_of - last_purchase; orders and revenue (net) from customer_summary.
--   r_score, f_score, m_score: ntile(5) over recency_days DESC (recent = 5), orders, revenue; ties are ordered by
--   customer_id for ntile, then every customer of a tie group takes the group's LOWEST tile, so equal values always
--   get equal scores (with many one-order customers f_score skips values rather than splitting them at random).
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

customer_summary as (select * from customer_summary),

measures as (
    select
        customer_id,
        getvariable('as_of') - last_purchase as recency_days,
        orders,
        revenue
    from customer_summary
),

tiles as (
    select
        *,
        ntile(5) over (order by recency_days desc, customer_id) as r_tile,
        ntile(5) over (order by orders, customer_id) as f_tile,
        ntile(5) over (order by revenue, customer_id) as m_tile
    from measures
),

scores as (
    select
        customer_id,
        recency_days,
        orders,
        revenue,
        min(r_tile) over (partition by recency_days) as r_score,
        min(f_tile) over (partition by orders) as f_score,
        min(m_tile) over (partition by revenue) as m_score
    from tiles
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
        r_score::varchar || f_score::varchar || m_score::varchar as rfm_cell,
        rfm_segment
    from segmented
)

select * from final
