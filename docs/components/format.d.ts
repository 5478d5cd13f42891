// Types for the TypeScript side (tests) of format.js.
type Formatter = (value: unknown) => string;
export interface I18n {
  locale: "zh-CN" | "en";
  currency: string;
  na: string;
  t(key: string, params?: Record<string, unknown>): string;
  integer: Formatter;
  number: Formatter;
  money: Formatter;
  moneyFine: Formatter;
  percent: Formatter;
  change: Formatter;
  date: Formatter;
  month: Formatter;
  dateTime: Formatter;
}
export function makeI18n(locale: string | null | undefined, currency?: string): I18n;
export function parseDate(value: unknown): Date | null;
export function relativeChange(current: number | null, previous: number | null): number | null;
