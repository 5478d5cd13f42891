// Types for the TypeScript side (config, tests) of i18n.js.
export type Locale = "zh-CN" | "en";
export const LOCALES: Locale[];
export const STRINGS: Record<Locale, Record<string, string>>;
export function resolveLocale(locale: string | null | undefined): Locale;
export function translate(locale: string | null | undefined, key: string, params?: Record<string, unknown>): string;
