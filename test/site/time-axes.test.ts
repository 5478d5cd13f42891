import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JS module of the site
import { localiseTimeAxes } from "../../docs/components/time-axes.js";

describe("localiseTimeAxes", () => {
  const spec = {
    layer: [{ encoding: {
      x: { field: "month", type: "temporal", timeUnit: "yearmonth" },
      y: { field: "revenue", type: "quantitative" },
      tooltip: [{ field: "month", type: "temporal", timeUnit: "yearmonth" }],
    } }],
  };

  it("gives zh-CN month axes a year-first format and leaves the rest alone", () => {
    const out = localiseTimeAxes(spec, "zh-CN");
    expect(out.layer[0].encoding.x.axis).toEqual({ format: "%Y年%-m月" });
    expect(out.layer[0].encoding.y).toEqual(spec.layer[0].encoding.y);
    expect(out.layer[0].encoding.tooltip).toEqual(spec.layer[0].encoding.tooltip);
    expect(spec.layer[0].encoding.x).not.toHaveProperty("axis"); // the input is not mutated
  });

  it("keeps an explicit axis format and English specs as they are", () => {
    const explicit = { encoding: { x: { field: "d", type: "temporal", timeUnit: "yearmonth", axis: { format: "%Y-%m" } } } };
    expect(localiseTimeAxes(explicit, "zh-CN").encoding.x.axis.format).toBe("%Y-%m");
    expect(localiseTimeAxes(spec, "en")).toBe(spec);
  });
});
