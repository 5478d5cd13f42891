// Every user-visible string of the site, one dictionary per locale. Pages never hard-code text: they call
// t(key, params) from makeI18n(meta.locale, meta.currency) (see format.js). Keys are grouped by page prefix; the
// pages and CRM helpers add their own keys under their page's prefix (frequency.*, visits.*, ...).
// A key missing in the active locale falls back to English, then to the key itself, so a typo is visible.

export const LOCALES = ["zh-CN", "en"];

import zhCN from "./i18n-zh-CN.js";
import en from "./i18n-en.js";
import { CODE_STRINGS } from "./i18n-codes.js";
import { PORTABLE_STRINGS } from "./i18n-portable.js";
import { UNIT_STRINGS } from "./i18n-units.js";

export const STRINGS = {
  "zh-CN": { ...zhCN, ...CODE_STRINGS["zh-CN"], ...PORTABLE_STRINGS["zh-CN"], ...UNIT_STRINGS["zh-CN"] },
  en: { ...en, ...CODE_STRINGS.en, ...PORTABLE_STRINGS.en, ...UNIT_STRINGS.en },
};

/** The supported locale closest to `locale` (default zh-CN). */
export function resolveLocale(locale) {
  if (!locale) return "zh-CN";
  if (LOCALES.includes(locale)) return locale;
  return String(locale).toLowerCase().startsWith("en") ? "en" : "zh-CN";
}

/** Translate `key` and fill `{name}` placeholders from `params`. */
export function translate(locale, key, params = {}) {
  const dict = STRINGS[resolveLocale(locale)];
  const text = dict[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined ? m : String(params[name])));
}
