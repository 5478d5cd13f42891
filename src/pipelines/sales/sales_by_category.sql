-- sales_by_category: one row per period and category. Purpose: 客户销售分析表 by product category.
-- Definitions (customers, new_customers, orders, revenue, repeat_rate) are in int_sales_cells.sql.
with

cells as (select * from int_sales_cells),

final as (
    select
        period,
        value as category,
        customers,
        new_customers,
        orders,
        revenue,
        repeat_rate
    from cells
    where dimension = 'category'
    order by period, category
)

select * from final
