// Types for the TypeScript side (tests) of cards-data.js.
export function unpackCards(packed: unknown): Record<string, unknown>[];
export function shardOf(id: string, shards: number): number;
