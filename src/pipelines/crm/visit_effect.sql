-- visit_effect: one row per (sales_rep, kind) of visits, plus roll-ups where sales_rep and/or kind is '(all)'.
-- Does a purchase follow a visit more often than it follows no visit? With N = getvariable('visit_conversion_days'):
--   Visited: every visit with visit_date <= as_of - N (its window is complete) to a customer who had already
--     bought (first purchase <= visit_date). Converted when the customer buys (amount > 0) on a day in
--     (visit_date, visit_date + N]. Rep = the visit's rep, kind = the visit's kind.
--   Comparison ("not visited in a comparable window"): time before as_of is cut into consecutive N-day windows
--     (start, start + N] with start = as_of - N, as_of - 2N, ... back to the first visit date. Each pair of
--     (customer, window) counts when the customer had already bought (first purchase <= start) and had no visit
--     in (start - N, start + N] (none in the window, none in the N days before it to carry over). Converted when
--     the customer buys in (start, start + N]. Rep = the customer's owner (int_crm_accounts.sales_rep); the
--     comparison does not depend on kind, so every kind row of a rep shows the rep's baseline ('(all)' rep: all).
--   uplift = conversion_rate - baseline_rate (percentage points as a fraction); NULL when either side is empty.
with

visits as (
    select * from int_crm_visits
),

accounts as (
    select * from int_crm_accounts
),

purchase_days as (
    -- only read when there is a visit: without visits every later step is empty (the transactions-only case)
    select distinct customer_id, ordered_at::date as purchase_date
    from stg_transactions
    where ordered_at::date <= getvariable('as_of') and amount > 0
        and exists (select 1 from visits)
),

settings as (
    select getvariable('visit_conversion_days')::integer as n, getvariable('as_of')::date as as_of
),

visited as (
    select
        visits.sales_rep,
        visits.kind,
        exists (
            select 1 from purchase_days p
            where p.customer_id = visits.customer_id
              and p.purchase_date > visits.visit_date
              and p.purchase_date <= visits.visit_date + settings.n
        ) as converted
    from visits
    cross join settings
    join accounts using (customer_id)
    where visits.visit_date <= settings.as_of - settings.n
      and accounts.first_purchase <= visits.visit_date
),

windows as (
    -- window k covers (as_of - (k + 1) N, as_of - k N]; a day d <= as_of falls in window floor((as_of - d) / N)
    select k, (settings.as_of - ((k + 1) * settings.n)::integer)::date as window_start
    from settings
    cross join (
        select unnest(range(0, coalesce(floor((s.as_of - s.n - min(v.visit_date)) / s.n)::bigint + 1, 0))) as k
        from visits v, settings s
        group by s.as_of, s.n
    ) ks
),

purchase_windows as (
    select distinct purchase_days.customer_id, floor((settings.as_of - purchase_days.purchase_date) / settings.n)::bigint as k
    from purchase_days
    cross join settings
),

-- a visit in window k rules out window k and the window after it (k - 1): no visit in (start - N, start + N]
visited_windows as (
    select distinct visits.customer_id, floor((settings.as_of - visits.visit_date) / settings.n)::bigint - shift as k
    from visits
    cross join settings
    cross join (values (0), (1)) as shifts(shift)
),

baseline_pairs as (
    select
        accounts.sales_rep,
        purchase_windows.customer_id is not null as converted
    from windows
    join accounts on accounts.first_purchase <= windows.window_start
    anti join visited_windows on visited_windows.customer_id = accounts.customer_id and visited_windows.k = windows.k
    left join purchase_windows on purchase_windows.customer_id = accounts.customer_id and purchase_windows.k = windows.k
),

visit_rates as (
    select
        coalesce(sales_rep, '(all)') as sales_rep,
        coalesce(kind, '(all)') as kind,
        count(*) as visits,
        count(*) filter (where converted) as visits_converted
    from visited
    group by grouping sets ((sales_rep, kind), (sales_rep), (kind), ())
    having count(*) > 0
),

baseline_rates as (
    select
        coalesce(sales_rep, '(all)') as sales_rep,
        count(*) as baseline_windows,
        count(*) filter (where converted) as baseline_converted
    from baseline_pairs
    group by grouping sets ((sales_rep), ())
    having count(*) > 0
),

final as (
    select
        visit_rates.sales_rep,
        visit_rates.kind,
        visit_rates.visits::integer as visits,
        visit_rates.visits_converted::integer as visits_converted,
        (visit_rates.visits_converted / visit_rates.visits)::double as conversion_rate,
        coalesce(baseline_rates.baseline_windows, 0)::integer as baseline_windows,
        coalesce(baseline_rates.baseline_converted, 0)::integer as baseline_converted,
        (baseline_rates.baseline_converted / baseline_rates.baseline_windows)::double as baseline_rate,
        (visit_rates.visits_converted / visit_rates.visits
            - baseline_rates.baseline_converted / baseline_rates.baseline_windows)::double as uplift,
        (select n from settings)::integer as window_days
    from visit_rates
    left join baseline_rates using (sales_rep)
)

select * from final
order by sales_rep = '(all)', sales_rep, kind = '(all)', kind
