/** Scripted objectives for the optimiser's trace tests (optimizeTraces, optimizeWork). */

/** f from a table of points ("x,y" keys) with `other` elsewhere, and the list of points it was asked for. */
export function scripted(values: Record<string, number>, other = 100) {
  const seen: number[][] = [];
  const f = (x: number[]) => {
    seen.push([...x]);
    return values[x.join(",")] ?? other;
  };
  return { f, seen };
}
