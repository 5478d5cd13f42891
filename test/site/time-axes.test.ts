import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JS module of the site
import { localiseAxes, grainOf, axisNumber } from "../../docs/components/time-axes.js";

describe("localiseAxes", () => {
  const spec = {
    data: {
      values: [
        { month: "2024-05-01", day: "2024-05-03", revenue: 1 },
        { month: "2024-06-01", day: "2024-06-04", revenue: 2 },
      ],
    },
    layer: [
      {
        encoding: {
          x: { field: "month", type: "temporal", timeUnit: "yearmonth" },
          y: { field: "revenue", type: "quantitative" },
          tooltip: [
            { field: "month", type: "temporal", timeUnit: "yearmonth" },
            { field: "day", type: "temporal" },
          ],
        },
      },
    ],
  };

  it("gives month axes and tooltips the locale's month format, days its date format (as format.js)", () => {
    const zh = localiseAxes(spec, "zh-CN");
    expect(zh.layer[0].encoding.x.axis).toEqual({ format: "%Y年%-m月" });
    expect(zh.layer[0].encoding.tooltip[0].format).toBe("%Y年%-m月");
    expect(zh.layer[0].encoding.tooltip[1].format).toBe("%Y/%m/%d");
    const en = localiseAxes(spec, "en");
    expect(en.layer[0].encoding.x.axis).toEqual({ format: "%b %Y" });
    expect(en.layer[0].encoding.tooltip[1].format).toBe("%m/%d/%Y");
    expect(spec.layer[0].encoding.x).not.toHaveProperty("axis"); // the input is not mutated
  });

  it("shows monthly periods as months even without a time unit, and replaces ISO formats", () => {
    const out = localiseAxes(
      {
        data: { values: spec.data.values },
        encoding: { x: { field: "month", type: "temporal", axis: { format: "%Y-%m-%d" } } },
      },
      "zh-CN",
    );
    expect(out.encoding.x.timeUnit).toBe("yearmonth");
    expect(out.encoding.x.axis.format).toBe("%Y年%-m月");
  });

  it("keeps other explicit formats; plain number axes get the locale's number format", () => {
    const explicit = {
      encoding: {
        x: { field: "d", type: "temporal", timeUnit: "yearmonth", axis: { format: "%m" } },
        y: { field: "r", type: "quantitative", axis: { format: ".0%" } },
      },
    };
    const out = localiseAxes(explicit, "zh-CN");
    expect(out.encoding.x.axis.format).toBe("%m");
    expect(out.encoding.y.axis).toEqual({ format: ".0%" });
    expect(localiseAxes(spec, "zh-CN").layer[0].encoding.y.axis).toEqual({ formatType: "kehuNumber" });
    expect(localiseAxes(spec, "zh-CN").config.customFormatTypes).toBe(true);
  });

  it("tells months, weeks and days apart", () => {
    expect(grainOf(["2024-01-01", "2024-02-01"])).toBe("month");
    expect(grainOf(["2024-01-01", "2024-01-08", "2024-01-22"])).toBe("week");
    expect(grainOf(["2024-01-01", "2024-01-03"])).toBe("day");
  });

  it("formats axis numbers with 万/亿 in Chinese and K/M in English", () => {
    expect(axisNumber("zh-CN")(60000)).toBe("6万");
    expect(axisNumber("zh-CN")(250000000)).toBe("2.5亿");
    expect(axisNumber("zh-CN")(5000)).toBe("5,000");
    expect(axisNumber("en")(2500000)).toBe("2.5M");
    expect(axisNumber("en")(60000)).toBe("60,000");
  });
});

describe("date categories", () => {
  it("labels ordinal date fields (cohorts) by month in the locale, tooltips too", () => {
    const values = [
      { cohort: "2024-06-01", n: 1 },
      { cohort: "2024-07-01", n: 2 },
    ];
    const out = localiseAxes(
      {
        data: { values },
        mark: "rect",
        encoding: {
          y: { field: "cohort", type: "ordinal" },
          color: { field: "cohort", type: "ordinal" },
          tooltip: [{ field: "cohort", type: "ordinal" }],
        },
      },
      "zh-CN",
    );
    expect(out.encoding.y.axis.labelExpr).toBe('utcFormat(toDate(datum.value), "%Y年%-m月")');
    expect(out.encoding.color.legend.labelExpr).toContain("%Y年%-m月");
    expect(out.encoding.tooltip[0]).toEqual({ field: "cohort", type: "temporal", format: "%Y年%-m月" });
  });
});
