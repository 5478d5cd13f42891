-- purchase_frequency_distribution: one row per orders bucket ('1', '2', '3-5', '6-10', '11+'), all five always
-- present (0 customers when empty).
-- Purpose: how many customers bought once, twice, ... and the revenue they bring (net, up to as_of).
-- share = customers / all customers, revenue_share = revenue / all revenue (0 / NULL when there is none).
with

customer_summary as (select * from customer_summary),

buckets as (
    select *
    from (values
        (1, '1', 1, 1),
        (2, '2', 2, 2),
        (3, '3-5', 3, 5),
        (4, '6-10', 6, 10),
        (5, '11+', 11, null)
    ) as b (bucket_order, bucket, min_orders, max_orders)
),

bucketed as (
    select
        buckets.bucket_order,
        buckets.bucket,
        buckets.min_orders,
        buckets.max_orders,
        count(customer_summary.customer_id) as customers,
        coalesce(sum(customer_summary.revenue), 0) as revenue
    from buckets
    left join customer_summary
        on customer_summary.orders >= buckets.min_orders
        and (buckets.max_orders is null or customer_summary.orders <= buckets.max_orders)
    group by all
),

final as (
    select
        bucket,
        bucket_order::integer as bucket_order,
        min_orders::integer as min_orders,
        max_orders::integer as max_orders,
        customers::integer as customers,
        coalesce(customers / nullif(sum(customers) over (), 0), 0)::double as share,
        revenue::double as revenue,
        (revenue / nullif(sum(revenue) over (), 0))::double as revenue_share
    from bucketed
    order by bucket_order
)

select * from final
