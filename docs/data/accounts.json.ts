// The key & problem accounts page: key_accounts (at most 100 rows by construction) and problem_accounts (top 500
// by priority) with counts per problem.
import { emitJson, withReportSource } from "../../src/report/marts.ts";

await emitJson(
  await withReportSource(async (source) => {
    const has = { key_accounts: source.has("key_accounts"), problem_accounts: source.has("problem_accounts") };
    const key = has.key_accounts ? await source.query("select * from key_accounts order by value_rank") : [];
    const problems = has.problem_accounts
      ? await source.query("select * from problem_accounts order by priority limit 500")
      : [];
    const byProblem = has.problem_accounts
      ? await source.query(
          `select problem, count(*)::integer as customers from (select unnest(problems) as problem from problem_accounts)
           group by problem order by customers desc, problem`,
        )
      : [];
    const problemTotal = has.problem_accounts
      ? ((await source.query<{ n: number }>("select count(*)::integer as n from problem_accounts"))[0]?.n ?? 0)
      : 0;
    // Without invoices or complaints, two of the three problems cannot be detected: the page says so.
    const count = async (table: string) =>
      (await source.query<{ n: number }>(`select count(*)::integer as n from ${table}`))[0]?.n ?? 0;
    const inputs = { invoices: await count("invoices"), complaints: await count("complaints") };
    return { has, inputs, key, problems, byProblem, problemTotal };
  }),
);
