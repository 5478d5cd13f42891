// Types for the TypeScript side (src/data/ingest.ts, tests) of csv.js.
export function guardFormula(text: string): string;
export function csvCell(value: unknown): string;
export function csvLines(header: unknown[], rows: unknown[][]): string;
