/** Chinese dates read year first: vega-lite's own month labels ("%b %Y") would read "7月 2024". */
const ZH_TIME_FORMATS = {yearmonth: "%Y年%-m月", yearmonthdate: "%Y年%-m月%-d日", yearquarter: "%Y年Q%q", year: "%Y年"};

/** A copy of the spec whose x/y time axes without an explicit format get the locale's year-first format. */
export function localiseTimeAxes(spec, loc) {
  if (loc !== "zh-CN") return spec;
  const walk = (node) => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) out[key] = walk(value);
    const enc = out.encoding;
    if (enc && typeof enc === "object") {
      for (const channel of ["x", "y"]) {
        const def = enc[channel];
        const format = def && ZH_TIME_FORMATS[def.timeUnit];
        if (format && def.axis !== null && def.axis?.format === undefined) enc[channel] = {...def, axis: {...def.axis, format}};
      }
    }
    return out;
  };
  return walk(spec);
}
