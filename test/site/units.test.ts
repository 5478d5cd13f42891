/** Units in table headers (docs/components/units.js): from the column's format, else declared by column name. */
import { describe, expect, it } from "vitest";
import { makeI18n } from "../../docs/components/format.js";
// @ts-expect-error: a plain JS module of the site
import { columnUnit, withUnit, COLUMN_UNITS, DECLARED } from "../../docs/components/units.js";

describe("column units", () => {
  const zh = makeI18n("zh-CN", "CNY");
  const en = makeI18n("en", "USD");

  it("take the unit of a tagged format, in the format's locale and currency", () => {
    expect(columnUnit("anything", zh.money)).toBe("currency");
    expect(withUnit("zh-CN", "收入", columnUnit("revenue", zh.money), zh.money)).toBe("收入（¥）");
    expect(withUnit("en", "Revenue", "currency", en.moneyFine)).toBe("Revenue ($)");
    expect(withUnit("zh-CN", "流失概率", columnUnit("p_lapse", zh.percent), zh.percent)).toBe("流失概率（%）");
    expect(withUnit("en", "Uplift", columnUnit("uplift", en.pp), en.pp)).toBe("Uplift (pp)");
  });

  it("leave a header that names its unit, and declared counts, ranks and ids, as they are", () => {
    expect(withUnit("zh-CN", "提升（百分点）", "pp", zh.pp)).toBe("提升（百分点）");
    expect(withUnit("zh-CN", "未购买天数", columnUnit("days_silent", zh.integer), zh.integer)).toBe("未购买天数");
    expect(withUnit("en", "Days silent", columnUnit("days_silent", en.integer), en.integer)).toBe("Days silent");
    expect(withUnit("en", "Avg gap", "days", en.number)).toBe("Avg gap (days)");
    for (const [column, label] of [
      ["customers", "客户数"],
      ["priority", "优先级"],
      ["customer_id", "客户编号"],
    ]) {
      expect(DECLARED.has(columnUnit(column, zh.integer))).toBe(true);
      expect(withUnit("zh-CN", label, columnUnit(column, zh.integer), zh.integer)).toBe(label);
    }
  });

  it("are unknown for an undeclared plain number (the browser test fails on such a column)", () => {
    expect(columnUnit("mystery_number", zh.number)).toBeNull();
    expect(columnUnit("mystery_number", undefined)).toBeNull();
    expect(zh.integer).not.toHaveProperty("unit");
    for (const unit of Object.values(COLUMN_UNITS as Record<string, string>))
      expect(["count", "rank", "id", "score", "period", "days", "currency", "percent", "pp"]).toContain(unit);
  });
});
