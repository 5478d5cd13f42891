/**
 * The customer value matrix: current value (the CLV forecast) against growth potential, in four quadrants.
 *
 * Growth potential (method): what the right strategy adds if the customer's buying pattern moves up, weighted by the
 * chance that the customer is still there to move. A customer's CLV is P(alive) x margin x spend x (discounted
 * expected purchases if alive), since the models' conditional expectation is P(alive) x E[purchases | alive]. We ask
 * what the CLV would be if the customer, *while alive*, bought as often and spent as much per purchase as the upper
 * quartile (75th percentile, linear interpolation) of their peer group - same industry (from `customers`), else same
 * region, else all customers; a group is used only when it has at least MIN_PEERS customers. Rate and spend are only
 * ever raised, never lowered:
 *   potential CLV = P(alive) x margin x max(spend, Q75 spend) x max(purchases | alive, Q75 purchases | alive) x D
 * where purchases | alive = expected purchases / P(alive) (P(alive) NULL, i.e. no fitted model: 1), the peers'
 * quartiles are taken over the same "if alive" figures, and D is the customer's own discount profile
 * clv / (margin x spend x purchases) (when that is defined) or else the discount factor of purchases spread evenly
 * over the horizon, mean over m = 1..H of 1/(1+d)^m. growth_potential = max(0, potential CLV - current value).
 * So a customer who is almost surely gone (P(alive) 0.03) has almost no potential, however well their peers buy:
 * such customers of high past value go to the win-back list (win_back.sql), not to "develop".
 *
 * Quadrants: "high" means strictly above the threshold of the axis (default: the median across customers, so a
 * mass of zero potentials does not make everyone "high"); thresholds can be set in analysis.quadrantThresholds.
 */

export const MIN_PEERS = 5;

export interface ValueInput {
  customer_id: string;
  clv: number;
  /** P(alive) from the purchase model; NULL without one (taken as 1). */
  p_alive: number | null;
  /** Expected purchases over the horizon (conditional on the history, so already weighted by P(alive)). */
  expected_purchases: number;
  expected_avg_spend: number;
  industry: string | null;
  region: string | null;
}

export interface ValueMatrixRow {
  customer_id: string;
  current_value: number;
  growth_potential: number;
  quadrant: "I" | "II" | "III" | "IV";
  strategy_zh: string;
  strategy_en: string;
  peer_group: string;
  potential_clv: number;
  p_alive: number | null;
}

export const STRATEGIES = {
  I: {
    zh: "低价值低潜力：以最低成本维护（线上/自助服务，减少拜访）",
    en: "Low value, low potential: serve at the lowest cost (self-service, fewer visits)",
  },
  II: {
    zh: "低价值高潜力：重点开发（交叉销售，提高钱包份额）",
    en: "Low value, high potential: develop (cross-sell, win more share of wallet)",
  },
  III: {
    zh: "高价值低潜力：保持维系（忠诚计划，防止流失）",
    en: "High value, low potential: retain (loyalty programme, protect the account)",
  },
  IV: {
    zh: "高价值高潜力：最有价值客户，大客户专人管理",
    en: "High value, high potential: most valuable, key-account treatment",
  },
} as const;

/** Quantile with linear interpolation between order statistics (DuckDB quantile_cont / numpy default). */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface ValueMatrixOptions {
  margin: number;
  discountRateAnnual: number;
  horizonMonths: number;
  thresholds?: { currentValue?: number; growthPotential?: number };
}

export function buildValueMatrix(customers: ValueInput[], options: ValueMatrixOptions): ValueMatrixRow[] {
  const v = 1 / Math.pow(1 + options.discountRateAnnual, 1 / 12);
  let flatDiscount = 0;
  for (let m = 1; m <= options.horizonMonths; m++) flatDiscount += Math.pow(v, m) / options.horizonMonths;

  const groups = new Map<string, ValueInput[]>();
  const add = (key: string, c: ValueInput) => {
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  };
  for (const c of customers) {
    if (c.industry != null && c.industry !== "") add(`industry:${c.industry}`, c);
    if (c.region != null && c.region !== "") add(`region:${c.region}`, c);
  }
  /** Chance the customer is there to grow, and expected purchases if they are. */
  const alive = (c: ValueInput) =>
    c.p_alive == null || !Number.isFinite(c.p_alive) ? 1 : Math.max(0, Math.min(1, c.p_alive));
  const purchasesIfAlive = (c: ValueInput) => (alive(c) > 0 ? c.expected_purchases / alive(c) : c.expected_purchases);
  const quartiles = new Map<string, { purchases: number; spend: number }>();
  const q75 = (key: string, members: ValueInput[]) => {
    let q = quartiles.get(key);
    if (!q) {
      q = {
        purchases: quantile(members.map(purchasesIfAlive), 0.75),
        spend: quantile(
          members.map((m) => m.expected_avg_spend),
          0.75,
        ),
      };
      quartiles.set(key, q);
    }
    return q;
  };

  const partial = customers.map((c) => {
    const industry = c.industry ? groups.get(`industry:${c.industry}`) : undefined;
    const region = c.region ? groups.get(`region:${c.region}`) : undefined;
    const [peerKey, peers] =
      industry && industry.length >= MIN_PEERS
        ? [`industry:${c.industry}`, industry]
        : region && region.length >= MIN_PEERS
          ? [`region:${c.region}`, region]
          : ["all", customers];
    const q = q75(peerKey, peers);
    const purchases = Math.max(purchasesIfAlive(c), q.purchases);
    const spend = Math.max(c.expected_avg_spend, q.spend);
    const base = options.margin * c.expected_avg_spend * c.expected_purchases;
    const discount = base > 0 && c.clv > 0 ? c.clv / base : flatDiscount;
    const potential = alive(c) * options.margin * spend * purchases * discount;
    return { c, peerKey, potential, growth: Math.max(0, potential - c.clv) };
  });

  const currentThreshold =
    options.thresholds?.currentValue ??
    quantile(
      customers.map((c) => c.clv),
      0.5,
    );
  const growthThreshold =
    options.thresholds?.growthPotential ??
    quantile(
      partial.map((p) => p.growth),
      0.5,
    );
  return partial.map(({ c, peerKey, potential, growth }) => {
    const highValue = c.clv > currentThreshold;
    const highGrowth = growth > growthThreshold;
    const quadrant = highValue ? (highGrowth ? "IV" : "III") : highGrowth ? "II" : "I";
    return {
      customer_id: c.customer_id,
      current_value: c.clv,
      growth_potential: growth,
      quadrant,
      strategy_zh: STRATEGIES[quadrant].zh,
      strategy_en: STRATEGIES[quadrant].en,
      peer_group: peerKey,
      potential_clv: potential,
      p_alive: c.p_alive,
    };
  });
}
