-- value_matrix_backtest: one row per quadrant (I-IV) of the value matrix the calibration data would have produced
-- (int_calibration_value_matrix: the same rules as value_matrix, on customer_clv as of holdout_start - 1); no rows
-- without analysis.holdoutStart.
-- Purpose: do the quadrants mean something? What the customers of each quadrant then did in the holdout
-- (holdout_start .. as_of): customers, share who bought again (active_share), holdout purchases and net revenue per
-- customer, and the mean P(alive) the model gave them at calibration_end.
with

quadrants as (select * from int_calibration_value_matrix),

outcomes as (select * from int_calibration_summary),

joined as (
    select quadrants.quadrant, quadrants.p_alive, outcomes.holdout_purchases, outcomes.holdout_revenue
    from quadrants
    inner join outcomes using (customer_id)
),

final as (
    select
        quadrant,
        count(*)::integer as customers,
        avg((holdout_purchases > 0)::integer)::double as active_share,
        avg(holdout_purchases)::double as holdout_purchases_per_customer,
        avg(holdout_revenue)::double as holdout_revenue_per_customer,
        avg(p_alive)::double as mean_p_alive
    from joined
    group by quadrant
)

select * from final
order by quadrant
