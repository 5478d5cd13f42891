-- sales_by_region: one row per period and region. Purpose: 客户区域分析表.
-- Definitions (customers, new_customers, orders, revenue, repeat_rate) are in int_sales_cells.sql.
with

cells as (select * from int_sales_cells),

final as (
    select
        period,
        value as region,
        customers,
        new_customers,
        orders,
        revenue,
        repeat_rate
    from cells
    where dimension = 'region'
    order by period, region
)

select * from final
