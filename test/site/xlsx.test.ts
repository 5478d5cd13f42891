/** The tables' Excel download: read the file back and check headers, cell types and the formula guard. */
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JS module of the site
import { toXlsx } from "../../docs/components/xlsx.js";

describe("toXlsx", () => {
  it("writes localised headers, numbers as numbers, dates as dates and defused formulas", async () => {
    const rows = [
      {
        customer_id: "C001",
        name: '=HYPERLINK("http://evil.example","x")',
        revenue: 1234.5678999,
        share: 0.123456,
        last: "2024-06-30",
        reasons: ["逾期未联系", "该补货了"],
        vip: true,
      },
      { customer_id: "C002", name: "华东机械", revenue: -12.5, share: null, last: null, reasons: [], vip: false },
    ];
    const columns = ["customer_id", "name", "revenue", "share", "last", "reasons", "vip"];
    const header = {
      customer_id: "客户编号",
      name: "名称",
      revenue: "收入",
      share: "占比",
      last: "上次购买",
      reasons: "原因",
      vip: "VIP",
    };
    const types = { revenue: "number", share: "number", last: "date", vip: "boolean" };
    const bytes: Uint8Array = await toXlsx(rows, columns, { header, types, sheet: "followup-today" });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(bytes) as never);
    const ws = book.getWorksheet("followup-today")!;
    expect(ws.getRow(1).values).toEqual([undefined, "客户编号", "名称", "收入", "占比", "上次购买", "原因", "VIP"]);
    const r2 = ws.getRow(2);
    expect(r2.getCell(2).value).toBe('\'=HYPERLINK("http://evil.example","x")');
    expect(r2.getCell(2).formula).toBeUndefined();
    expect(r2.getCell(3).value).toBe(1234.57);
    expect(r2.getCell(3).type).toBe(ExcelJS.ValueType.Number);
    expect(r2.getCell(4).value).toBe(0.1235);
    expect(r2.getCell(5).value).toEqual(new Date(Date.UTC(2024, 5, 30)));
    expect(r2.getCell(5).numFmt).toBe("yyyy-mm-dd");
    expect(r2.getCell(6).value).toBe("逾期未联系; 该补货了");
    expect(r2.getCell(7).value).toBe(true);
    const r3 = ws.getRow(3);
    expect(r3.getCell(3).value).toBe(-12.5);
    expect(r3.getCell(4).value).toBeNull();
  });
});
