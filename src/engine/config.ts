/**
 * The `engine` key of kehu.config.json: where the transaction-sized models run. `duckdb` (the default) runs every
 * model in the local DuckDB file; `clickhouse` (a server or cluster, through @clickhouse/client) and `chdb` (ClickHouse
 * in-process on a local data directory) run the models that have a `<model>.clickhouse.sql` variant there and pull
 * their results into the local database (src/engine/pushdown.ts). Only zod here: config.ts imports it.
 */
import { z } from "zod";

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a ClickHouse identifier (letters, digits, _)");

export const DEFAULT_PASSWORD_ENV = "KEHU_CLICKHOUSE_PASSWORD";

export const engineSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("duckdb") }).strict(),
    z
      .object({
        kind: z.literal("clickhouse"),
        /** The server's HTTP(S) interface, e.g. https://ch.example.com:8443 (no user or password in it). */
        url: z.url().refine((u) => {
          const parsed = new URL(u);
          return !parsed.username && !parsed.password;
        }, "the url must not hold a user or password: set user, and the password in the environment variable named by passwordEnv"),
        database: identifier.default("kehu"),
        user: z.string().min(1).default("default"),
        /** The environment variable holding the password (never the password itself). */
        passwordEnv: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
          .default(DEFAULT_PASSWORD_ENV),
      })
      .strict(),
    z
      .object({
        kind: z.literal("chdb"),
        /** The ClickHouse data directory (created if missing), relative to the config file. */
        path: z.string().min(1),
        database: identifier.default("kehu"),
      })
      .strict(),
  ])
  .default({ kind: "duckdb" });

export type EngineConfig = z.infer<typeof engineSchema>;
