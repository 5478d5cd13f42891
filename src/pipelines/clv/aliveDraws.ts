/**
 * P(alive) of many histories under many parameter draws, for customer_clv_interval (clvInterval.ts): the models'
 * pAlive with every factor shared by histories computed once per draw, so a draw costs one exp per history.
 */
import { logHyp2f1Pareto, type PurchaseModelName } from "./models.ts";
import type { Params } from "./uncertainty.ts";

/** Distinct values of key(item) and each item's index into them (the first item with each key represents it). */
export function distinct<T>(
  items: ArrayLike<T>,
  key: (item: T) => string,
): { index: Int32Array; representatives: T[] } {
  const at = new Map<string, number>();
  const representatives: T[] = [];
  const index = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const k = key(item);
    let j = at.get(k);
    if (j === undefined) {
      j = representatives.length;
      at.set(k, j);
      representatives.push(item);
    }
    index[i] = j;
  }
  return { index, representatives };
}

/** Distinct values of `values` and the index of each entry into them. */
export function indexValues(values: Float64Array): { values: number[]; index: Int32Array } {
  const at = new Map<number, number>();
  const distinctValues: number[] = [];
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let k = at.get(values[i]);
    if (k === undefined) {
      k = distinctValues.length;
      at.set(values[i], k);
      distinctValues.push(values[i]);
    }
    index[i] = k;
  }
  return { values: distinctValues, index };
}

/**
 * Pareto/NBD's P(alive | x, t_x, T) comes from two 2F1 terms, one per (x, t_x) and one per (x, T), which far fewer
 * histories share (CDNOW: 3,688 and 1,431 for 11,104 histories): paretoLogTerms computes every term at one parameter
 * vector, paretoPAliveOf combines two of them (paretoNbdPAlive's expression: Fader & Hardie's note, eq. 18 with A0 of
 * eq. 19-22).
 */
function paretoLogTerms({ r, alpha, s, beta }: Params, terms: { x: number; u: number }[]): Float64Array {
  const alphaSmaller = alpha < beta;
  const maxAB = alphaSmaller ? beta : alpha;
  const diff = Math.abs(alpha - beta);
  // log(2F1(r+s+x, t; r+s+x+1; diff/(maxAB+u)) / (maxAB+u)^(r+s+x)) for u = t_x or T.
  return Float64Array.from(
    terms,
    ({ x, u }) =>
      logHyp2f1Pareto(r + s + x, alphaSmaller ? r + x : s + 1, diff / (maxAB + u)) - (r + s + x) * Math.log(maxAB + u),
  );
}

function paretoPAliveOf({ r, alpha, s, beta }: Params, x: number, T: number, a: number, b: number): number {
  if (!(a > b)) return 1; // t_x = T: A0 = 0, the last purchase was at the end of the window
  const logA0 = a + Math.log(-Math.expm1(b - a));
  const logOdds = Math.log(s) - Math.log(r + s + x) + (r + x) * Math.log(alpha + T) + s * Math.log(beta + T) + logA0;
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * P(alive) of every history under every draw, history h and draw k at [(h - h0) * draws + k] for h in [h0, h1).
 * BG/NBD and MBG/NBD: their pAlive expressions (models.ts) with every logarithm looked up per draw and distinct x, t_x
 * or T instead of computed per history (the same doubles: tested bit for bit). Pareto/NBD: two 2F1 terms per history.
 */
export type AliveBlock = (h0: number, h1: number, out: Float64Array) => void;

export function aliveBlocks(
  purchase: PurchaseModelName,
  draws: Params[],
  hx: Float64Array,
  htx: Float64Array,
  hT: Float64Array,
): AliveBlock {
  const n = draws.length;
  if (purchase === "pnbd") {
    const historyList = Array.from(hx, (x, h) => ({ x, tx: htx[h], T: hT[h] }));
    const terms = distinct(
      [...historyList.map((h) => ({ x: h.x, u: h.tx })), ...historyList.map((h) => ({ x: h.x, u: h.T }))],
      (t) => `${t.x}|${t.u}`,
    );
    const atTx = terms.index.subarray(0, historyList.length);
    const atT = terms.index.subarray(historyList.length);
    const logTerms = draws.map((draw) => paretoLogTerms(draw, terms.representatives));
    return (h0, h1, out) => {
      for (let k = 0; k < n; k++) {
        const draw = draws[k];
        const lt = logTerms[k];
        for (let h = h0; h < h1; h++)
          out[(h - h0) * n + k] = paretoPAliveOf(draw, hx[h], hT[h], lt[atTx[h]], lt[atT[h]]);
      }
    };
  }
  // logOdds = (log a - log(b + x - 1)) + (r + x) (log(alpha + T) - log(alpha + t_x)); MBG/NBD: b + x, and x = 0 too
  const bg = purchase === "bgnbd";
  const xs = indexValues(hx);
  const txs = indexValues(htx);
  const Ts = indexValues(hT);
  const drop = draws.map(({ a, b }) =>
    Float64Array.from(xs.values, (x) => Math.log(a) - Math.log(bg ? b + x - 1 : b + x)),
  );
  const rx = draws.map(({ r }) => Float64Array.from(xs.values, (x) => r + x));
  const logT = draws.map(({ alpha }) => Float64Array.from(Ts.values, (T) => Math.log(alpha + T)));
  const logTx = draws.map(({ alpha }) => Float64Array.from(txs.values, (tx) => Math.log(alpha + tx)));
  return (h0, h1, out) => {
    for (let k = 0; k < n; k++) {
      const [d, r, lT, lTx] = [drop[k], rx[k], logT[k], logTx[k]];
      for (let h = h0; h < h1; h++) {
        const xi = xs.index[h];
        out[(h - h0) * n + k] =
          bg && hx[h] === 0 ? 1 : 1 / (1 + Math.exp(d[xi] + r[xi] * (lT[Ts.index[h]] - lTx[txs.index[h]])));
      }
    }
  };
}
