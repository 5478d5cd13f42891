/**
 * The module a worker thread of threads.ts runs: import `workerData.moduleUrl`, call its export `workerData.name` with
 * `workerData.args`, post the result back (its typed arrays' buffers moved, not copied).
 */
import { parentPort, workerData } from "node:worker_threads";

const { moduleUrl, name, args } = workerData as { moduleUrl: string; name: string; args: unknown[] };
const module = (await import(moduleUrl)) as Record<string, (...a: unknown[]) => unknown>;
const result = await module[name](...args);
const buffers = new Set<ArrayBuffer>();
const collect = (value: unknown) => {
  if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
  else if (value && typeof value === "object") for (const v of Object.values(value)) collect(v);
};
collect(result);
parentPort!.postMessage(result, [...buffers]);
