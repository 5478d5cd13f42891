// Types for the TypeScript side (loader, tests) of search-shards.js.
export function normalise(text: unknown): string;
export function searchTokens(c: { id: string; name?: string | null; phone?: string | null }): string[];
export function splitByPrefix<R>(entries: [string, R][], maxRows: number): { prefixes: string[]; shards: R[][] };
export function shardsFor(prefixes: string[], q: string, maxFetch?: number): { shards: number[]; complete: boolean };
export function tokensMatch(tokens: string[], q: string): boolean;
export function cardShardCount(customers: number, perShard: number): number;
