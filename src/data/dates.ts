/**
 * Date formats of kehu.config.json `dateFormat` as DuckDB SQL. Parsing is set-based (try_strptime over the whole
 * column), never row by row in JS. Each format also accepts a time of day after the date.
 */
import type { DATE_FORMATS } from "./config.ts";

export type DateFormat = Exclude<(typeof DATE_FORMATS)[number], "auto">;

const withTimes = (date: string) => [date, `${date} %H:%M:%S`, `${date} %H:%M`, `${date} %H:%M:%S.%f`];

/** strptime patterns per format (DuckDB's %m/%d also accept one digit, so yyyy/m/d matches 2024/1/5). */
export const STRPTIME_PATTERNS: Record<Exclude<DateFormat, "ISO">, string[]> = {
  yyyymmdd: ["%Y%m%d", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S"],
  "yyyy/m/d": withTimes("%Y/%m/%d"),
  "d/m/yyyy": [...withTimes("%d/%m/%Y"), ...withTimes("%d.%m.%Y")],
  "m/d/yyyy": withTimes("%m/%d/%Y"),
  yyyy年m月d日: [...withTimes("%Y年%m月%d日"), "%Y年%m月%d日%H:%M:%S", "%Y年%m月%d日%H:%M"],
};

/**
 * Formats tried by `auto`, in order of preference when several parse the same number of values (DuckDB's ISO reader
 * also accepts 2024/3/5, so the stricter patterns come first to report what the export really uses).
 */
export const AUTO_CANDIDATES: DateFormat[] = ["yyyymmdd", "yyyy/m/d", "yyyy年m月d日", "ISO", "d/m/yyyy", "m/d/yyyy"];

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * `value` with ":00" seconds inserted between a HH:MM time and its offset: DuckDB's reader takes "03:00:00+08" but
 * not "03:00+08". Only used where the plain cast failed (a value that has seconds would get a second pair).
 */
export function withSecondsSql(value: string): string {
  return `regexp_replace(${value}, '(\\d:\\d{2})(\\s*(Z|[+-]\\d{2}(:?\\d{2})?))$', '\\1:00\\2')`;
}

/** SQL turning the VARCHAR expression `value` into a TIMESTAMP, NULL when it does not match `format`. */
export function parseTimestampSql(value: string, format: DateFormat): string {
  // ISO also covers "2024-01-05T10:00:00" and "2024-01-05 10:00:00+08" (the offset is dropped: the wall clock as
  // written, unless analysis.timezone converts it, see values.ts); try_cast is DuckDB's own ISO 8601 reader.
  if (format === "ISO")
    return `coalesce(try_cast(${value} as timestamp), try_cast(${withSecondsSql(value)} as timestamp))`;
  // coalesce of single patterns: much faster than try_strptime with a list, and the first pattern usually matches
  return `coalesce(${STRPTIME_PATTERNS[format].map((f) => `try_strptime(${value}, ${sqlString(f)})`).join(", ")})`;
}

/** Human description used in reject reasons. */
export function describeFormat(format: DateFormat): string {
  return format === "ISO" ? "ISO yyyy-mm-dd" : format;
}
