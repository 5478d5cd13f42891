/**
 * The canonical input tables: names, columns and DuckDB types are a contract that loaders produce and every
 * pipeline consumes. Only `transactions` is required; the other sources are optional, and their tables always exist
 * (empty when no file was given) so every model binds and degrades to empty output.
 */
export type ColumnType = "VARCHAR" | "TIMESTAMP" | "DATE" | "DOUBLE" | "INTEGER" | "BOOLEAN";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** A row without it is rejected. */
  required?: boolean;
  /** The table's row key; generated deterministically when the export has none. */
  key?: boolean;
}

export interface TableSpec {
  name: SourceName;
  required: boolean;
  columns: ColumnSpec[];
}

export const SOURCE_NAMES = ["transactions", "customers", "visits", "complaints", "invoices"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export const TABLES: Record<SourceName, TableSpec> = {
  transactions: {
    name: "transactions",
    required: true,
    columns: [
      { name: "order_id", type: "VARCHAR", key: true },
      { name: "customer_id", type: "VARCHAR", required: true },
      { name: "ordered_at", type: "TIMESTAMP", required: true },
      { name: "amount", type: "DOUBLE", required: true },
      { name: "quantity", type: "DOUBLE" },
      { name: "product", type: "VARCHAR" },
      { name: "category", type: "VARCHAR" },
      { name: "channel", type: "VARCHAR" },
      { name: "sales_rep", type: "VARCHAR" },
    ],
  },
  customers: {
    name: "customers",
    required: false,
    columns: [
      { name: "customer_id", type: "VARCHAR", required: true, key: true },
      { name: "name", type: "VARCHAR" },
      { name: "phone", type: "VARCHAR" },
      { name: "email", type: "VARCHAR" },
      { name: "address", type: "VARCHAR" },
      { name: "region", type: "VARCHAR" },
      { name: "industry", type: "VARCHAR" },
      { name: "sales_rep", type: "VARCHAR" },
      { name: "signup_date", type: "DATE" },
      { name: "birthday", type: "DATE" },
      { name: "credit_limit", type: "DOUBLE" },
      { name: "referred_by", type: "VARCHAR" },
      { name: "decision_maker", type: "VARCHAR" },
      { name: "notes", type: "VARCHAR" },
    ],
  },
  visits: {
    name: "visits",
    required: false,
    columns: [
      { name: "visit_id", type: "VARCHAR", key: true },
      { name: "customer_id", type: "VARCHAR", required: true },
      { name: "visited_at", type: "TIMESTAMP", required: true },
      { name: "kind", type: "VARCHAR" },
      { name: "sales_rep", type: "VARCHAR" },
      { name: "outcome", type: "VARCHAR" },
      { name: "notes", type: "VARCHAR" },
    ],
  },
  complaints: {
    name: "complaints",
    required: false,
    columns: [
      { name: "complaint_id", type: "VARCHAR", key: true },
      { name: "customer_id", type: "VARCHAR", required: true },
      { name: "opened_at", type: "TIMESTAMP", required: true },
      { name: "resolved_at", type: "TIMESTAMP" },
      { name: "category", type: "VARCHAR" },
      { name: "severity", type: "VARCHAR" },
      { name: "good_faith", type: "BOOLEAN" },
    ],
  },
  invoices: {
    name: "invoices",
    required: false,
    columns: [
      { name: "invoice_id", type: "VARCHAR", key: true },
      { name: "customer_id", type: "VARCHAR", required: true },
      { name: "issued_at", type: "DATE", required: true },
      { name: "due_at", type: "DATE", required: true },
      { name: "amount", type: "DOUBLE", required: true },
      { name: "paid_at", type: "DATE" },
      { name: "paid_amount", type: "DOUBLE" },
    ],
  },
};

/** Provenance columns every canonical table carries (which file and line a row came from). */
export const PROVENANCE_COLUMNS = [
  { name: "source_file", type: "VARCHAR" },
  { name: "source_line", type: "INTEGER" },
] as const;

/** `create table if not exists` for one canonical table (with provenance columns). */
export function createTableSql(spec: TableSpec): string {
  const cols = [...spec.columns, ...PROVENANCE_COLUMNS].map((c) => `${c.name} ${c.type}`).join(",\n  ");
  return `create table if not exists ${spec.name} (\n  ${cols}\n)`;
}

/** Create every canonical table that does not exist yet, plus the ingest bookkeeping tables. */
export function createAllTablesSql(): string {
  const tables = SOURCE_NAMES.map((name) => createTableSql(TABLES[name]));
  tables.push(`create table if not exists ingest_log (
  source VARCHAR, source_file VARCHAR, content_hash VARCHAR, rows_loaded INTEGER, rows_rejected INTEGER,
  loaded_at TIMESTAMP
)`);
  tables.push(`create table if not exists rejected_rows (
  source VARCHAR, source_file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, reason VARCHAR,
  rejected_at TIMESTAMP
)`);
  return tables.join(";\n") + ";";
}
