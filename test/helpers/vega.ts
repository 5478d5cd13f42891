/** Headless vega for chart-spec tests: compile a vega-lite spec, render it to SVG, count mark items. */
import { expect } from "vitest";
import { compile, type TopLevelSpec } from "vega-lite";
import * as vega from "vega";

/** Compile to vega, run a headless view and return its SVG; any vega-lite or vega warning fails the test. */
export async function render(spec: Record<string, unknown>): Promise<string> {
  const warnings: string[] = [];
  const logger = {
    ...vega.logger(vega.Warn),
    warn: (...args: unknown[]) => (warnings.push(args.join(" ")), logger),
  } as never;
  const { spec: vgSpec } = compile({ ...spec, width: 400 } as TopLevelSpec, { logger });
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  expect(warnings).toEqual([]);
  return svg;
}

const ITEM_TAG: Record<string, string> = {
  rect: "<path",
  symbol: "<path",
  line: "<path",
  area: "<path",
  text: "<text",
  rule: "<line",
};

/** Items of a vega mark type in the SVG (an empty mark group is a self-closing <g .../>, holding no items). */
export function countMarks(svg: string, type: string): number {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-${type} role-mark[^"]*"[^>]*?(?:/>|>(.*?)</g>)`, "gs"))];
  const tag = ITEM_TAG[type] ?? "<path";
  return groups.reduce((n, g) => n + ((g[1] ?? "").split(tag).length - 1), 0);
}
