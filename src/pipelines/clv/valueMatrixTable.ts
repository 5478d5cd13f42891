/**
 * value_matrix (and int_calibration_value_matrix) in SQL: buildValueMatrix's method (valueMatrix.ts, where it is
 * explained) without a JavaScript object per customer. Only the constants are computed here (the flat discount
 * factor, with Math.pow as buildValueMatrix does); the SQL repeats buildValueMatrix's operations in the same order on
 * the same doubles (quantiles interpolated as valueMatrix.ts's quantile does, not as quantile_cont), so both give the same
 * rows (tested against each other). buildValueMatrix stays the reference.
 */
import type { Db } from "../../data/db.ts";
import { MIN_PEERS, STRATEGIES, type ValueMatrixOptions } from "./valueMatrix.ts";
import { VALUE_SQL } from "./steps.ts";

const CONSTANTS = "kehu_value_constants";
const STRATEGY_TABLE = "kehu_value_strategies";

/**
 * valueMatrix.ts's quantile of a sorted list: lo + d x (hi - lo). Not quantile_cont, which interpolates as
 * lo x (1 - d) + hi x d (a different last digit, so a different rank at a threshold).
 */
function quantile(sortedList: string, p: number): string {
  const h = `((len(${sortedList}) - 1)::double * ${p}::double)`;
  const at = (i: string) => `${sortedList}[${i}::bigint + 1]`;
  return `(${at(`floor(${h})`)} + (${h} - floor(${h})) * (${at(`ceil(${h})`)} - ${at(`floor(${h})`)}))`;
}

/** Write `target` (the value_matrix columns) from the predictions in `clvTable`, peers from stg_customers. */
export async function writeValueMatrixTable(
  db: Db,
  clvTable: string,
  target: string,
  options: ValueMatrixOptions,
): Promise<void> {
  const v = 1 / Math.pow(1 + options.discountRateAnnual, 1 / 12);
  let flatDiscount = 0;
  for (let m = 1; m <= options.horizonMonths; m++) flatDiscount += Math.pow(v, m) / options.horizonMonths;
  await db.exec(
    `create or replace table ${CONSTANTS} (margin double, flat_discount double, value_threshold double, growth_threshold double)`,
  );
  await db.insertRows(
    CONSTANTS,
    ["margin", "flat_discount", "value_threshold", "growth_threshold"],
    [
      [
        options.margin,
        flatDiscount,
        options.thresholds?.currentValue ?? null,
        options.thresholds?.growthPotential ?? null,
      ],
    ],
  );
  await db.exec(
    `create or replace table ${STRATEGY_TABLE} (quadrant varchar, strategy_zh varchar, strategy_en varchar)`,
  );
  await db.insertRows(
    STRATEGY_TABLE,
    ["quadrant", "strategy_zh", "strategy_en"],
    Object.entries(STRATEGIES).map(([q, s]) => [q, s.zh, s.en]),
  );

  const peerQuartiles = (key: string) => `
    select ${key} as peer_key, count(*) as members, ${quantile("list_sort(list(purchases_if_alive))", 0.75)} as q_purchases,
           ${quantile("list_sort(list(spend))", 0.75)} as q_spend
    from with_purchases where ${key} is not null and ${key} <> '' group by ${key}`;
  await db.exec(`create or replace table ${target} (${VALUE_SQL})`);
  await db.exec(`insert into ${target}
    with clv as (select * from ${clvTable}),
    customers as (
        select customer_id::varchar as customer_id, any_value(industry) as industry, any_value(region) as region
        from stg_customers group by customer_id
    ),
    k as (select * from ${CONSTANTS}),
    inputs as (
        select clv.customer_id, clv.clv::double as clv, clv.p_alive::double as p_alive, clv.expected_purchases::double as expected_purchases,
               clv.expected_avg_spend::double as spend, customers.industry, customers.region,
               case when clv.p_alive is null or not isfinite(clv.p_alive) then 1 else greatest(0, least(1, clv.p_alive::double)) end as alive
        from clv left join customers using (customer_id)
    ),
    with_purchases as (
        select *, case when alive > 0 then expected_purchases / alive else expected_purchases end as purchases_if_alive
        from inputs
    ),
    industry_peers as (${peerQuartiles("industry")}),
    region_peers as (${peerQuartiles("region")}),
    all_peers as (
        select ${quantile("list_sort(list(purchases_if_alive))", 0.75)} as q_purchases, ${quantile("list_sort(list(spend))", 0.75)} as q_spend
        from with_purchases
    ),
    peered as (
        select
            with_purchases.*,
            case when industry_peers.members >= ${MIN_PEERS} then 'industry:' || with_purchases.industry
                 when region_peers.members >= ${MIN_PEERS} then 'region:' || with_purchases.region
                 else 'all' end as peer_group,
            case when industry_peers.members >= ${MIN_PEERS} then industry_peers.q_purchases
                 when region_peers.members >= ${MIN_PEERS} then region_peers.q_purchases
                 else all_peers.q_purchases end as q_purchases,
            case when industry_peers.members >= ${MIN_PEERS} then industry_peers.q_spend
                 when region_peers.members >= ${MIN_PEERS} then region_peers.q_spend
                 else all_peers.q_spend end as q_spend
        from with_purchases
        left join industry_peers on industry_peers.peer_key = with_purchases.industry
        left join region_peers on region_peers.peer_key = with_purchases.region
        cross join all_peers
    ),
    valued as (
        select
            peered.*,
            case when (k.margin * spend) * expected_purchases > 0 and clv > 0 then clv / ((k.margin * spend) * expected_purchases)
                 else k.flat_discount end as discount
        from peered cross join k
    ),
    potential as (
        select valued.*, (((valued.alive * k.margin) * greatest(spend, q_spend)) * greatest(purchases_if_alive, q_purchases)) * discount as potential_clv
        from valued cross join k
    ),
    growth as (select *, greatest(0, potential_clv - clv) as growth_potential from potential),
    thresholds as (
        select coalesce(any_value(k.value_threshold), ${quantile("list_sort(list(growth.clv))", 0.5)}) as value_threshold,
               coalesce(any_value(k.growth_threshold), ${quantile("list_sort(list(growth.growth_potential))", 0.5)}) as growth_threshold
        from growth cross join k
    ),
    quadrants as (
        select
            growth.*,
            case when growth.clv > thresholds.value_threshold
                 then case when growth.growth_potential > thresholds.growth_threshold then 'IV' else 'III' end
                 else case when growth.growth_potential > thresholds.growth_threshold then 'II' else 'I' end
            end as quadrant
        from growth cross join thresholds
    ),
    final as (
        select quadrants.customer_id, quadrants.clv as current_value, quadrants.growth_potential, quadrants.quadrant,
               strategies.strategy_zh, strategies.strategy_en, quadrants.peer_group, quadrants.potential_clv, quadrants.p_alive
        from quadrants inner join ${STRATEGY_TABLE} as strategies using (quadrant)
    )
    select * from final order by customer_id`);
  await db.exec(`drop table ${CONSTANTS}; drop table ${STRATEGY_TABLE}`);
}
