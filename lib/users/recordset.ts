import "server-only";
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";

/**
 * Rows of a table sent as ONE JSON parameter that PostgreSQL unpacks with json_to_recordset,
 * for the batch writers (a bulk batch is up to 5,000 rows): building and binding a parameter per value
 * cost several times PostgreSQL's own work, and so did Drizzle's insert builder. The column
 * names and types come from db/schema.ts (getTableColumns), so this SQL follows the schema by
 * construction; `keys` limits the columns to those given (the others take their defaults).
 */
export type Recordset = {
  /** `(select ... from json_to_recordset($1::json) as r(key type, ...)) as alias`, for a FROM clause: the columns by their names. */
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
  // The rows are sent as they are, keyed by their TypeScript names (no copy per row keyed by the
  // columns' names: building those cost more than the JSON itself), and renamed to the columns'
  // names in SQL. Keys not listed are ignored by PostgreSQL; an undefined one is left out of the
  // JSON, which json_to_recordset reads as null. JSON.stringify writes a Date as its ISO string,
  // which PostgreSQL reads as timestamptz.
  const payload = JSON.stringify(rows);
  const typed = columns.map(([key, c]) => `"${key}" ${c.getSQLType()}`).join(", ");
  const renamed = columns.map(([key, c]) => `r."${key}" as "${c.name}"`).join(", ");
  return {
    from: sql`(select ${sql.raw(renamed)} from json_to_recordset(${payload}::json) as r(${sql.raw(typed)})) as ${sql.raw(alias)}`,
    columns: sql.raw(columns.map(([, c]) => `"${c.name}"`).join(", ")),
    values: sql.raw(columns.map(([, c]) => `${alias}."${c.name}"`).join(", ")),
  };
}
