/** d f / d log(p_k) by central differences: a fit's estimate is a stationary point of its likelihood when all are ~0. */
export function logGradient(f: (p: Record<string, number>) => number, params: Record<string, number>): number[] {
  return Object.keys(params).map((k) => {
    const h = 1e-5;
    const up = { ...params, [k]: params[k] * Math.exp(h) };
    const down = { ...params, [k]: params[k] * Math.exp(-h) };
    return (f(up) - f(down)) / (2 * h);
  });
}
