// Types for the TypeScript side (tests) of cards-data.js.
export function unpackCards(packed: unknown): Record<string, unknown>[];
export const CARD_SHARDS: number;
export function shardOf(id: string, shards?: number): number;
