-- pareto_revenue: one row per customer_id of customer_summary, ranked by net revenue (highest first, ties by
-- customer_id).
-- Purpose: the 80/20 view. cumulative_share = cumulative revenue / total revenue (NULL when total revenue <= 0);
-- customer_share = revenue_rank / customers. The top 20% are the first ceil(0.2 * customers) customers;
-- top20_revenue_share (same on every row) is their share of total revenue.
with

customer_summary as (select * from customer_summary),

ranked as (
    select
        customer_id,
        revenue,
        row_number() over (order by revenue desc, customer_id) as revenue_rank,
        count(*) over () as customers,
        sum(revenue) over () as total_revenue
    from customer_summary
),

cumulated as (
    select
        *,
        sum(revenue) over (order by revenue_rank rows between unbounded preceding and current row) as cumulative_revenue,
        revenue_rank <= ceil(0.2 * customers) as in_top_20pct
    from ranked
),

final as (
    select
        customer_id,
        revenue::double as revenue,
        revenue_rank::integer as revenue_rank,
        cumulative_revenue::double as cumulative_revenue,
        (cumulative_revenue / case when total_revenue > 0 then total_revenue end)::double as cumulative_share,
        (revenue_rank / customers)::double as customer_share,
        in_top_20pct,
        (sum(revenue) filter (where in_top_20pct) over () / case when total_revenue > 0 then total_revenue end)::double
            as top20_revenue_share
    from cumulated
    order by revenue_rank
)

select * from final
