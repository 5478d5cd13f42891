// Types for the TypeScript side (tests) of format.js.
type Formatter = (value: unknown) => string;
export interface I18n {
  locale: "zh-CN" | "en";
  currency: string;
  currencySymbol: string;
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
  moneyShort: Formatter;
  integerShort: Formatter;
  pp: Formatter;
  days: Formatter;
  code(kind: string, value: unknown): string;
  list(labels: string[] | null | undefined): string;
  modelMessage(text: unknown): string;
  rejectReason(text: unknown): string;
}
export function makeI18n(locale: string | null | undefined, currency?: string): I18n;
export function parseDate(value: unknown): Date | null;
export function relativeChange(current: number | null, previous: number | null): number | null;
