-- sales_by_rep: one row per period and sales_rep. Purpose: 客户销售分析表 by sales rep.
-- Definitions (customers, new_customers, orders, revenue, repeat_rate) are in int_sales_cells.sql.
with

cells as (select * from int_sales_cells),

final as (
    select
        period,
        value as sales_rep,
        customers,
        new_customers,
        orders,
        revenue,
        repeat_rate
    from cells
    where dimension = 'sales_rep'
    order by period, sales_rep
)

select * from final
