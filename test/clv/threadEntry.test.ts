/**
 * threadEntry.ts, the module a worker of threads.ts runs, in this thread with node:worker_threads mocked: it calls
 * the named export of the module with the arguments, awaits it, and posts the result with the buffers of its typed
 * arrays (at any depth; not a SharedArrayBuffer, which is shared, not moved) as the transfer list. In a real worker
 * (fitThreads, clvIntervalThreads tests) no mutant of it can be observed: Stryker activates mutants in this thread.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const worker = vi.hoisted(() => ({
  workerData: {} as { moduleUrl: string; name: string; args: unknown[] },
  posted: [] as [unknown, unknown[]][],
}));
vi.mock("node:worker_threads", () => ({
  get workerData() {
    return worker.workerData;
  },
  parentPort: { postMessage: (value: unknown, transfer: unknown[]) => worker.posted.push([value, transfer]) },
}));

const target = new URL("../helpers/threadTarget.ts", import.meta.url).href;
const run = async (name: string, args: unknown[]) => {
  worker.workerData = { moduleUrl: target, name, args };
  worker.posted = [];
  vi.resetModules();
  await import("../../src/pipelines/clv/threadEntry.ts");
  expect(worker.posted).toHaveLength(1);
  return worker.posted[0];
};

describe("threadEntry", () => {
  beforeEach(() => {
    worker.posted = [];
  });

  it("posts the awaited result of the named export, its typed arrays' buffers moved", async () => {
    const [value, transfer] = await run("columnsLater", [3]);
    const result = value as Awaited<ReturnType<typeof import("../helpers/threadTarget.ts").columnsLater>>;
    expect(result.label).toBe("columns");
    expect(result.missing).toBeNull();
    expect([...result.a]).toEqual([0, 0.5, 1]);
    expect([...result.nested.b]).toEqual([0, -1, -2]);
    expect([...result.nested.list[0]]).toEqual([3]);
    // three ArrayBuffers, each once; the SharedArrayBuffer is not in the list
    expect(transfer).toHaveLength(3);
    expect(new Set(transfer)).toEqual(new Set([result.a.buffer, result.nested.b.buffer, result.nested.list[0].buffer]));
    expect(transfer).not.toContain(result.shared.buffer);
  });

  it("posts a plain value with nothing to transfer", async () => {
    expect(await run("sum", [2, 5])).toEqual([7, []]);
  });
});
