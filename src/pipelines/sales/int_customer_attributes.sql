-- int_customer_attributes: one row per customer_id of the customers file (empty without one).
-- Purpose: the customer attributes the sales marts group by, blank -> NULL. A customers file with several rows for
-- one id is reduced to one (max of each attribute) so joins can never multiply transaction lines.
with

customers as (select * from stg_customers),

final as (
    select
        customer_id,
        max(nullif(trim(region), '')) as region,
        max(nullif(trim(sales_rep), '')) as sales_rep
    from customers
    group by customer_id
)

select * from final
