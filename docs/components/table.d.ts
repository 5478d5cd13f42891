// Types for the TypeScript side (tests) of table.js.
export function toCsv(rows: Record<string, unknown>[], columns: string[], header?: Record<string, string>): string;
export function csvButton(
  getRows: () => Record<string, unknown>[],
  columns: string[],
  options?: Record<string, unknown>,
): HTMLButtonElement;
export function table(data: Record<string, unknown>[], options?: Record<string, unknown>): HTMLDivElement;
