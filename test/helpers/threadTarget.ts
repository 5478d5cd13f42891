/** Exports for test/clv/threadEntry.test.ts to call through threadEntry.ts (a worker's module). */

/** An async result holding typed arrays at several depths, one over a SharedArrayBuffer, a null and a string. */
export async function columnsLater(n: number) {
  await Promise.resolve();
  return {
    label: "columns",
    missing: null,
    a: Float64Array.from({ length: n }, (_, i) => i / 2),
    nested: { b: Int32Array.from({ length: n }, (_, i) => -i), list: [Uint8Array.of(n)] },
    shared: new Float64Array(new SharedArrayBuffer(8 * n)),
  };
}

/** A plain (not async) export: its value is posted as is. */
export function sum(x: number, y: number): number {
  return x + y;
}

/** Ends the worker thread (process.exit in a worker ends the thread) without posting an answer. */
export function exitNow(): never {
  process.exit(3);
}
