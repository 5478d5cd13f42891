-- int_sales_cells: one row per dimension ('region', 'sales_rep', 'category'), dimension value and period
-- (period = date_trunc(getvariable('cohort_period'), order day); only periods and values with transactions on or
-- before as_of appear; the period holding as_of may be partial).
-- Purpose: the one body of the 客户区域分析表 / 客户销售分析表 marts (sales_by_region, sales_by_rep, sales_by_category),
-- which only pick their dimension from it.
--   region         = customers.region (int_customer_attributes), 'unknown' when missing
--   sales_rep      = the line's sales_rep, else the customer's (customers.sales_rep), else 'unknown'
--   category       = transactions.category, 'unknown' when missing or blank
--   customers      = distinct customers with a non-refund line (amount >= 0) in the cell
--   new_customers  = those of them whose first purchase (customer_summary) falls in this period
--   orders         = distinct order_ids with a non-refund line in the cell
--   revenue        = net amount, refunds included (can be <= 0)
--   repeat_rate    = share of the cell's customers whose first purchase is before this period (NULL if no customers)
-- A customer without any purchase day (refunds only) adds revenue but is neither new nor returning.
with

-- read three times (the values, orders, and mixed_lines for the rare mixed cells): NOT MATERIALIZED scans the table
-- again instead of copying every transaction line into a CTE; the customer periods are read once (period_cells)
transactions as not materialized (select * from stg_transactions),

customer_attributes as (select * from int_customer_attributes),

customer_summary as (
    select customer_id, date_trunc(getvariable('cohort_period'), first_purchase)::date as first_purchase_period
    from customer_summary
),

lines as not materialized (
    select
        customer_id,
        order_id,
        amount,
        date_trunc(getvariable('cohort_period'), ordered_on)::date as period,
        nullif(trim(sales_rep), '') as line_sales_rep,
        coalesce(nullif(trim(category), ''), 'unknown') as category
    from transactions
    where ordered_on <= getvariable('as_of')
),

line_values as (
    -- the distinct (sales_rep, category) pairs of the lines: a handful
    select distinct line_sales_rep, category
    from lines
),

sales_rep_codes as (
    -- every sales_rep gets a code 1, 2, ... below 2^30 and every category one below 2^32; a line's two codes go into
    -- one BIGINT with a bit for a non-refund line (2^62 * bought + sales_rep_code * 2^32 + category_code, a NULL
    -- sales_rep is 0). The lines of an order or customer period share a value in a dimension iff bit_or and bit_and of
    -- their codes agree on its bits, and one of them bought iff bit_or has the 2^62 bit: two integer aggregates instead
    -- of a min, max and count per dimension on strings (most of this model's time and memory) and a bool_or
    select line_sales_rep, row_number() over (order by line_sales_rep) as sales_rep_code
    from (select distinct line_sales_rep from line_values where line_sales_rep is not null)
),

category_codes as (
    select category, row_number() over (order by category) as category_code
    from (select distinct category from line_values)
),

coded_lines as (
    select
        lines.customer_id,
        lines.period,
        lines.order_id,
        lines.amount,
        case when lines.amount >= 0 then 4611686018427387904 else 0 end
            + coalesce(sales_rep_codes.sales_rep_code, 0) * 4294967296
            + category_codes.category_code as value_code
    from lines
    left join sales_rep_codes using (line_sales_rep)
    left join category_codes using (category)
),

orders as (
    -- one row per customer, period and order (lines without an order_id share one): the distinct count of orders
    -- becomes a plain count below
    select
        customer_id,
        period,
        order_id,
        sum(amount) as revenue,
        bit_or(value_code) as any_code_bits,
        bit_and(value_code) as all_code_bits
    from coded_lines
    group by customer_id, period, order_id
),

customer_periods as (
    -- one row per customer and period: the customer cell of every dimension at once (region is per customer;
    -- sales_rep and category when all the customer's lines of the period share one, else flagged mixed and split
    -- by value in mixed_lines)
    select
        customer_id,
        period,
        count(*) filter (where any_code_bits >= 4611686018427387904 and order_id is not null) as orders,
        sum(revenue) as revenue,
        bit_or(any_code_bits) as any_code_bits,
        bit_and(all_code_bits) as all_code_bits
    from orders
    group by customer_id, period
),

coded_customer_periods as (
    select
        customer_id,
        period,
        any_code_bits >= 4611686018427387904 as bought,
        orders,
        revenue,
        all_code_bits % 4611686018427387904 // 4294967296 as sales_rep_code,
        any_code_bits % 4611686018427387904 // 4294967296 <> all_code_bits % 4611686018427387904 // 4294967296
            as mixed_sales_rep,
        all_code_bits % 4294967296 as category_code,
        any_code_bits % 4294967296 <> all_code_bits % 4294967296 as mixed_category
    from customer_periods
),

customer_period_groups as (
    -- the customer periods counted by what the cells read of them, in one pass (they are never stored): a handful of
    -- groups per period, and one per mixed customer period (mixed_customer_id, for mixed_lines). The keys: period;
    -- status (0 no non-refund line, 1 new: first purchase in this period, 2 returning: first purchase before it,
    -- 3 bought but neither); region; the sales_rep and category codes where one covers the customer's period (NULL
    -- where mixed); the customer's sales_rep where the lines name none. The strings of the codes join in after.
    select
        customer_periods.period,
        case
            when not customer_periods.bought then 0
            when customer_summary.first_purchase_period = customer_periods.period then 1
            when customer_summary.first_purchase_period < customer_periods.period then 2
            else 3
        end as status,
        coalesce(customer_attributes.region, 'unknown') as region,
        case when not customer_periods.mixed_sales_rep then customer_periods.sales_rep_code end as sales_rep_code,
        case
            when not customer_periods.mixed_sales_rep and customer_periods.sales_rep_code = 0
            then customer_attributes.sales_rep
        end as fallback_sales_rep,
        case when not customer_periods.mixed_category then customer_periods.category_code end as category_code,
        case
            when customer_periods.mixed_sales_rep or customer_periods.mixed_category then customer_periods.customer_id
        end as mixed_customer_id,
        count(*) as customer_periods,
        sum(customer_periods.orders) as orders,
        sum(customer_periods.revenue) as revenue,
        bool_or(customer_periods.mixed_sales_rep) as mixed_sales_rep,
        bool_or(customer_periods.mixed_category) as mixed_category,
        any_value(customer_attributes.sales_rep) as customer_sales_rep,
        any_value(customer_summary.first_purchase_period) as first_purchase_period
    from coded_customer_periods as customer_periods
    left join customer_attributes using (customer_id)
    left join customer_summary using (customer_id)
    group by all
),

period_cells as (
    -- the cells of each dimension where one value covers the customer's period (a dimension mixed in it has a NULL
    -- value there, a group dropped below), and one row per mixed customer period (mixed_customer_id; NULL, one
    -- dropped group, when not mixed) for mixed_lines
    select
        case
            when grouping(region) = 0 then 'region'
            when grouping(sales_rep_value) = 0 then 'sales_rep'
            when grouping(category_value) = 0 then 'category'
        end as dimension,
        coalesce(region, sales_rep_value, category_value) as value,
        period,
        mixed_customer_id,
        coalesce(sum(customer_periods) filter (where status > 0), 0)::bigint as customers,
        coalesce(sum(customer_periods) filter (where status = 1), 0)::bigint as new_customers,
        coalesce(sum(customer_periods) filter (where status = 2), 0)::bigint as returning_customers,
        sum(orders)::bigint as orders,
        sum(revenue) as revenue,
        bool_or(mixed_sales_rep) as mixed_sales_rep,
        bool_or(mixed_category) as mixed_category,
        any_value(customer_sales_rep) as customer_sales_rep,
        any_value(first_purchase_period) as first_purchase_period
    from (
        select
            customer_period_groups.*,
            case
                when customer_period_groups.sales_rep_code is not null
                then coalesce(sales_rep_codes.line_sales_rep, customer_period_groups.fallback_sales_rep, 'unknown')
            end as sales_rep_value,
            category_codes.category as category_value
        from customer_period_groups
        left join sales_rep_codes using (sales_rep_code)
        left join category_codes using (category_code)
    )
    group by grouping sets ((region, period), (sales_rep_value, period), (category_value, period), (mixed_customer_id, period))
),

mixed_lines as (
    -- the lines of the customer periods whose sales_rep or category differ between lines (empty for files without
    -- those columns): cut by value, as the cells count them
    select
        lines.customer_id,
        lines.period,
        lines.order_id,
        lines.amount,
        case when mixed.mixed_sales_rep then coalesce(lines.line_sales_rep, mixed.customer_sales_rep, 'unknown') end as sales_rep,
        case when mixed.mixed_category then lines.category end as category,
        mixed.first_purchase_period
    from lines
    inner join (select * from period_cells where mixed_customer_id is not null) as mixed
        on lines.customer_id = mixed.mixed_customer_id and lines.period = mixed.period
),

mixed_orders as (
    -- one row per dimension, value, customer, period and order of the mixed lines (lines without an order_id share
    -- one): the distinct count of orders becomes a plain count below
    select 'sales_rep' as dimension, sales_rep as value, customer_id, period, order_id, bool_or(amount >= 0) as bought,
           sum(amount) as revenue, any_value(first_purchase_period) as first_purchase_period
    from mixed_lines where sales_rep is not null group by customer_id, period, order_id, sales_rep
    union all
    select 'category', category, customer_id, period, order_id, bool_or(amount >= 0), sum(amount), any_value(first_purchase_period)
    from mixed_lines where category is not null group by customer_id, period, order_id, category
),

mixed_customer_cells as (
    -- one row per dimension, value, period and customer of the mixed customer periods
    select dimension, value, period, customer_id, bool_or(bought) as bought,
           count(*) filter (where bought and order_id is not null) as orders, sum(revenue) as revenue,
           any_value(first_purchase_period) as first_purchase_period
    from mixed_orders
    group by dimension, value, period, customer_id
),

cell_parts as (
    -- the cells' counts from the customer periods one value covers, and from the mixed ones (disjoint customers)
    select dimension, value, period, customers, new_customers, returning_customers, orders, revenue
    from period_cells
    where dimension is not null and value is not null
    union all
    select
        dimension,
        value,
        period,
        count(*) filter (where bought),
        count(*) filter (where bought and first_purchase_period = period),
        count(*) filter (where bought and first_purchase_period < period),
        sum(orders),
        sum(revenue)
    from mixed_customer_cells
    group by dimension, value, period
),

cells as (
    select
        dimension,
        value,
        period,
        sum(customers) as customers,
        sum(new_customers) as new_customers,
        sum(returning_customers) as returning_customers,
        sum(orders) as orders,
        sum(revenue) as revenue
    from cell_parts
    group by dimension, value, period
),

final as (
    select
        dimension,
        value,
        period,
        customers::integer as customers,
        new_customers::integer as new_customers,
        orders::integer as orders,
        revenue::double as revenue,
        (returning_customers / nullif(customers, 0))::double as repeat_rate
    from cells
)

select * from final
