/** A number as a CSV/Excel cell: at most 2 decimals (4 below 1, for ratios), no float noise like 0.30000000000000004. */
export function roundNumber(v) {
  if (typeof v !== "number" || !Number.isFinite(v) || Number.isInteger(v)) return v;
  return Number(v.toFixed(Math.abs(v) < 1 ? 4 : 2));
}
