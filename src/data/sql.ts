/** SQL text helpers shared by the ingest modules. */

/** A SQL string literal. */
export const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** A quoted SQL identifier. */
export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** The cleaned raw column c_<name> of a canonical column in the ingest views. */
export const col = (name: string) => ident(`c_${name}`);

/** A JS Date as a DuckDB TIMESTAMP literal value (UTC, no zone). */
export function sqlTimestamp(d: Date): string {
  return d.toISOString().replace("T", " ").replace("Z", "");
}
