/**
 * The masked build's last check: no file of dist/ may hold a raw phone number, email, name or customer id of any
 * customer. The raw values are read unmasked from every table copied out of the database and every mart. Messages
 * name the file and the kind of value, never the value (the publish workflow's log is public enough).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isCustomerIdColumn, openReportSource, piiKind, type ReportEnv } from "./marts.ts";

export type LeakKind = "phone" | "email" | "name" | "customer_id";

export interface PiiLeak {
  file: string;
  kind: LeakKind;
}

const digitsOf = (s: string) => s.replace(/\D/g, "");

/** A phone's digits, also without a leading country code (+86 139... is published as 139... just as well). */
function phoneVariants(phone: string): string[] {
  const digits = digitsOf(phone);
  if (digits.length < 6) return [];
  const variants = [digits];
  for (let cut = 1; cut <= 3 && digits.length - cut >= 10; ++cut) variants.push(digits.slice(cut));
  return variants;
}

// Names and ids are looked for as text: at word boundaries (customer "Ann" is not in "Annual"), except in CJK
// script, which has none. Plain numbers are not looked for (an id 17 is in every file; phones are found above),
// nor strings too short to be anyone's.
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}_]/u.test(ch) && !CJK.test(ch);

/** The forms a value takes in dist/: as is, inside a JSON string, HTML-escaped. */
function textForms(value: string): string[] {
  const v = value.trim();
  if (/^\d+$/.test(v) || v.length < (CJK.test(v) ? 2 : 3)) return [];
  const json = JSON.stringify(v).slice(1, -1);
  const html = v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return [...new Set([v, json, html])];
}

/** Strings to find in any text, indexed by their first two characters. */
class Needles {
  private byStart = new Map<number, { text: string; kind: LeakKind }[]>();
  size = 0;
  /** Values published by design (sales reps' names): a contact who shares a rep's name is not found by it. */
  constructor(private published: Set<string>) {}
  add(value: string, kind: LeakKind): void {
    if (this.published.has(value.trim())) return;
    for (const text of textForms(value)) {
      const key = (text.charCodeAt(0) << 16) | text.charCodeAt(1);
      const list = this.byStart.get(key) ?? [];
      if (!list.some((n) => n.text === text)) {
        list.push({ text, kind });
        this.size++;
      }
      this.byStart.set(key, list);
    }
  }
  /** The kinds of needle found in `text`. */
  find(text: string): Set<LeakKind> {
    const found = new Set<LeakKind>();
    for (let i = 0; i < text.length - 1; i++) {
      const list = this.byStart.get((text.charCodeAt(i) << 16) | text.charCodeAt(i + 1));
      if (!list) continue;
      for (const n of list) {
        if (found.has(n.kind) || !text.startsWith(n.text, i)) continue;
        if (isWordChar(n.text[0]) && isWordChar(text[i - 1])) continue;
        if (isWordChar(n.text[n.text.length - 1]) && isWordChar(text[i + n.text.length])) continue;
        found.add(n.kind);
      }
    }
    return found;
  }
}

/** Every raw phone (as digits), email, name and customer id in the marts and tables of `env`. */
async function rawValues(env: ReportEnv): Promise<{ phones: Set<string>; emails: Set<string>; needles: Needles }> {
  const phones = new Set<string>();
  const emails = new Set<string>();
  const source = await openReportSource({ ...env, maskPii: false });
  try {
    const names = [...source.marts, ...source.tables];
    const columns = new Map<string, { column_name: string; column_type: string }[]>();
    for (const name of names) {
      columns.set(
        name,
        await source.query<{ column_name: string; column_type: string }>(
          `select column_name, data_type as column_type from information_schema.columns where table_name = '${name}'`,
        ),
      );
    }
    const reps = names.flatMap((name) =>
      columns.get(name)!.some((c) => c.column_name === "sales_rep")
        ? [`select distinct sales_rep::varchar as v from "${name}"`]
        : [],
    );
    const published = reps.length
      ? (await source.query<{ v: string | null }>(reps.join(" union "))).map((r) => r.v?.trim() ?? "")
      : [];
    const needles = new Needles(new Set(published));
    for (const name of names) {
      const cols = columns.get(name)!;
      for (const c of cols) {
        const id = isCustomerIdColumn(c.column_name);
        const kind = c.column_type === "VARCHAR" ? piiKind(c.column_name) : null;
        if (!id && kind !== "phone" && kind !== "email" && kind !== "name" && kind !== "contact") continue;
        const rows = await source.query<{ v: string }>(
          `select distinct "${c.column_name}"::varchar as v from "${name}" where "${c.column_name}" is not null`,
        );
        for (const { v } of rows) {
          if (id) needles.add(v, "customer_id");
          else if (kind === "email" && v.includes("@")) emails.add(v.trim().toLowerCase());
          else if (kind === "phone") for (const variant of phoneVariants(v)) phones.add(variant);
          else if (kind === "name" || kind === "contact") needles.add(v, "name");
        }
      }
    }
    return { phones, emails, needles };
  } finally {
    await source.close();
  }
}

/** Files under `dir` (every file, bundled libraries included) holding a raw phone, email, name or customer id. */
export async function findPiiLeaks(dir: string, unmaskedEnv: ReportEnv): Promise<PiiLeak[]> {
  const { phones, emails, needles } = await rawValues(unmaskedEnv);
  const leaks: PiiLeak[] = [];
  if (!phones.size && !emails.size && !needles.size) return leaks;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        walk(p);
        continue;
      }
      const text = readFileSync(p, "utf8");
      const file = p.slice(dir.length + 1);
      const kinds = needles.find(text);
      for (const m of text.matchAll(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g)) {
        if (emails.has(m[0].toLowerCase())) {
          kinds.add("email");
          break;
        }
      }
      for (const m of text.matchAll(/\+?\d[\d ().-]{4,}\d/g)) {
        if (phones.has(digitsOf(m[0]))) {
          kinds.add("phone");
          break;
        }
      }
      for (const kind of ["phone", "email", "name", "customer_id"] as const)
        if (kinds.has(kind)) leaks.push({ file, kind });
    }
  };
  walk(dir);
  return leaks;
}
