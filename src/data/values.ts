/**
 * Typed values of canonical columns as set-based DuckDB SQL over the cleaned raw text c_<name>: numbers (decimal and
 * thousands separators, currency symbols), dates (format, plausible window), yes/no values. Each value comes with
 * the checks that reject a row, each with its reason.
 */
import type { KehuConfig, SourceConfig } from "./config.ts";
import { describeFormat, parseTimestampSql, withSecondsSql, type DateFormat } from "./dates.ts";
import type { ColumnSpec } from "./schemas.ts";
import { col, ident, q } from "./sql.ts";

const CURRENCY_CHARS = "¥￥$€£ \u00a0";
const TRUE_WORDS = ["true", "t", "yes", "y", "1", "是", "对", "真"];
const FALSE_WORDS = ["false", "f", "no", "n", "0", "否", "错", "假"];

/**
 * How dates are read: outside [min, max] they are rejected rows; birthdays use [birthdayMin, today] (ISO yyyy-mm-dd
 * strings). `timezone` (analysis.timezone, an IANA name): a timestamp written with an offset ("2024-03-08 03:00+08",
 * "...Z") is converted to that zone's wall clock before its date is taken; NULL keeps every timestamp as written.
 */
export interface DateWindow {
  min: string;
  max: string;
  birthdayMin: string;
  today: string;
  timezone: string | null;
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The configured window (config `plausibleDates`), with max defaulting to one year after `now`. */
export function dateWindow(config: KehuConfig, now: Date): DateWindow {
  const nextYear = new Date(now);
  nextYear.setUTCFullYear(nextYear.getUTCFullYear() + 1);
  const { min, max, birthdayMin } = config.plausibleDates;
  return {
    min,
    max: max ?? isoDay(nextYear),
    birthdayMin,
    today: isoDay(now),
    timezone: config.analysis.timezone ?? null,
  };
}

export interface ValueCheck {
  /** SQL over c_<name> (raw, non-empty) and p_<name> (typed): true when the value is invalid */
  bad: string;
  reason: string;
}

export interface ValueSql {
  /** SQL for the typed value over c_<name> */
  value: string;
  /** empty for VARCHAR (every non-empty text is valid) */
  checks: ValueCheck[];
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function numberSql(c: ColumnSpec, cfg: SourceConfig): ValueSql {
  const v = col(c.name);
  const p = ident(`p_${c.name}`);
  const sep = cfg.thousandsSeparator && cfg.thousandsSeparator !== cfg.decimalSeparator ? cfg.thousandsSeparator : "";
  const symbols =
    sep === " "
      ? `trim(translate(${v}, ${q([...CURRENCY_CHARS].filter((ch) => ch !== sep).join(""))}, ''))`
      : `translate(${v}, ${q(CURRENCY_CHARS)}, '')`;
  const plain = sep ? `replace(${symbols}, ${q(sep)}, '')` : symbols;
  const example = cfg.decimalSeparator === "," ? "1234,56" : "1234.56";
  const checks: ValueCheck[] = [
    {
      bad: `(${p} is null or not isfinite(${p}))`,
      reason: `not a number (expected e.g. ${example}${sep ? `, thousands separator "${sep}"` : ""})`,
    },
  ];
  // fast path: most values are plain numbers; only the others pay for removing symbols and separators
  let value =
    cfg.decimalSeparator === ","
      ? `try_cast(replace(${plain}, ',', '.') as double)`
      : `coalesce(try_cast(${v} as double), try_cast(${plain} as double))`;
  if (sep) {
    // a separator is one only between groups of three digits: "12,31" or "1.234,51" (with ",") are not numbers
    const grouped = `^[-+]?\\d{1,3}(${escapeRegex(sep)}\\d{3})+(${escapeRegex(cfg.decimalSeparator)}\\d*)?$`;
    const fast = cfg.decimalSeparator === "," ? "true" : `try_cast(${v} as double) is null`;
    checks.push({
      bad: `(${fast} and contains(${symbols}, ${q(sep)}) and not regexp_full_match(${symbols}, ${q(grouped)}))`,
      reason: `thousands separator '${sep}' not between groups of three digits`,
    });
  }
  if (c.type === "INTEGER") value += "::integer";
  return { value, checks };
}

function dateSql(c: ColumnSpec, format: DateFormat, window: DateWindow): ValueSql {
  const p = ident(`p_${c.name}`);
  let t = parseTimestampSql(col(c.name), format);
  if (window.timezone) {
    // a time of day followed by an offset (a bare date like 2024-03-08 ends in "-08" too: the time is required)
    const withOffset = `regexp_matches(${col(c.name)}, '\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*(Z|[+-]\\d{2}(:?\\d{2})?)$')`;
    const instant = `coalesce(try_cast(${col(c.name)} as timestamptz), try_cast(${withSecondsSql(col(c.name))} as timestamptz))`;
    t = `(case when ${withOffset} then timezone(${q(window.timezone)}, ${instant}) else ${t} end)`;
  }
  const [min, max, key] =
    c.name === "birthday"
      ? [window.birthdayMin, window.today, "plausibleDates.birthdayMin"]
      : [window.min, window.max, "plausibleDates"];
  return {
    value: c.type === "DATE" ? `${t}::date` : t,
    checks: [
      { bad: `${p} is null`, reason: `not a date in format ${describeFormat(format)}` },
      {
        bad: `(${p} < date ${q(min)} or ${p} >= date ${q(max)} + interval 1 day)`,
        reason: `date outside the plausible window ${min} to ${max} (${key} in the config)`,
      },
    ],
  };
}

/** The typed value of a canonical column and the checks on a non-empty raw value. */
export function valueSql(
  c: ColumnSpec,
  cfg: SourceConfig,
  formats: Record<string, DateFormat>,
  window: DateWindow,
): ValueSql {
  const v = col(c.name);
  switch (c.type) {
    case "VARCHAR":
      return { value: v, checks: [] };
    case "DOUBLE":
    case "INTEGER":
      return numberSql(c, cfg);
    case "TIMESTAMP":
    case "DATE":
      return dateSql(c, formats[c.name] ?? "ISO", window);
    case "BOOLEAN": {
      const lv = `lower(${v})`;
      const list = (w: string[]) => w.map(q).join(", ");
      return {
        value: `(case when ${lv} in (${list(TRUE_WORDS)}) then true when ${lv} in (${list(FALSE_WORDS)}) then false end)`,
        checks: [
          { bad: `${ident(`p_${c.name}`)} is null`, reason: "not a yes/no value (true/false, yes/no, 1/0, 是/否)" },
        ],
      };
    }
  }
}
