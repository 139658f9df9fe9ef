import "server-only";
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";

/**
 * Rows of a table sent as ONE JSON parameter that PostgreSQL unpacks with json_to_recordset,
 * for the batch writers (a bulk batch is 1,000 rows): building and binding a parameter per value
 * cost several times PostgreSQL's own work, and so did Drizzle's insert builder. The column
 * names and types come from db/schema.ts (getTableColumns), so this SQL follows the schema by
 * construction; `keys` limits the columns to those given (the others take their defaults).
 */
export type Recordset = {
  /** `json_to_recordset($1::json) as alias(column type, ...)`, for a FROM clause. */
  from: SQL;
  /** `column, ...` in the same order, for `insert into table (...)`. */
  columns: SQL;
  /** `alias.column, ...` in the same order, for the `select` that feeds such an insert. */
  values: SQL;
};

export function recordset<T extends PgTable, K extends keyof T["$inferSelect"] & string>(
  table: T,
  alias: string,
  rows: readonly Pick<T["$inferSelect"], K>[],
  keys?: readonly K[],
): Recordset {
  // Generated columns (users' gateway ids) are the database's to write: never in an insert.
  const all = Object.entries(getTableColumns(table)).filter(([, c]) => !c.generated);
  const columns = keys ? all.filter(([key]) => keys.includes(key as K)) : all;
  // JSON.stringify writes a Date as its ISO string, which PostgreSQL reads as timestamptz.
  const payload = JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, column] of columns) out[column.name] = (row as Record<string, unknown>)[key] ?? null;
      return out;
    }),
  );
  const typed = columns.map(([, c]) => `"${c.name}" ${c.getSQLType()}`).join(", ");
  return {
    from: sql`json_to_recordset(${payload}::json) as ${sql.raw(alias)}(${sql.raw(typed)})`,
    columns: sql.raw(columns.map(([, c]) => `"${c.name}"`).join(", ")),
    values: sql.raw(columns.map(([, c]) => `${alias}."${c.name}"`).join(", ")),
  };
}
