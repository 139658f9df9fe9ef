import "server-only";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getTableColumns } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type postgres from "postgres";
import { databaseDriver, type Executor } from "./index";

/**
 * Rows written with COPY FROM STDIN (text format), on the postgres driver: for a bulk batch of
 * users, PostgreSQL's part is about a third cheaper than an INSERT ... SELECT from
 * json_to_recordset (no JSON to parse and cast per row), and building the COPY text costs Node
 * no more than the JSON did. The columns and their encodings come from db/schema.ts
 * (getTableColumns), as recordset's do, so the statement follows the schema by construction.
 *
 * Same semantics as the recordset insert it replaces: a key left undefined is written as NULL
 * (not the column's default), constraints and triggers fire as for an INSERT, and a violation
 * (23505 for a username taken since the batch's decision) fails the COPY, and with it the
 * transaction, with the server's error. postgres-js 3.4.9 never settled a rejected COPY's
 * stream (porsager/postgres#1173): patched in patches/postgres+3.4.9.patch.
 */
export function canCopy(): boolean {
  return databaseDriver() === "postgres";
}

type Encoder = (value: unknown) => string;

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
/** COPY text format: backslash, newline, carriage return and tab are escaped; the rest is as is. */
const escaped = (s: string) => (SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s);

/** A timestamp as ISO 8601. A batch's rows share a few instants (created, updated, password changed): the last one is kept, since toISOString is a third of a row's text. */
let lastTime = NaN;
let lastIso = "";
function isoOf(d: Date): string {
  const t = d.getTime();
  if (t !== lastTime) {
    lastIso = d.toISOString();
    lastTime = t;
  }
  return lastIso;
}

function encoderOf(columnType: string): Encoder {
  switch (columnType) {
    case "PgBoolean":
      return (v) => (v ? "t" : "f");
    case "PgJsonb":
    case "PgJson":
      return (v) => escaped(JSON.stringify(v));
    case "PgTimestamp":
    case "PgTimestampString":
    case "PgDate":
      return (v) => (v instanceof Date ? isoOf(v) : escaped(String(v)));
    default:
      return (v) => escaped(String(v));
  }
}

type Plan = { statement: string; keys: string[]; encoders: Encoder[] };
const plans = new WeakMap<PgTable, Map<string, Plan>>();

function planOf(table: PgTable, keys: readonly string[] | undefined): Plan {
  const byKeys = plans.get(table) ?? new Map<string, Plan>();
  plans.set(table, byKeys);
  const id = keys?.join(",") ?? "*";
  let plan = byKeys.get(id);
  if (!plan) {
    // Generated columns are the database's to write: never in a COPY.
    const all = Object.entries(getTableColumns(table)).filter(([, c]) => !c.generated);
    const columns = keys ? all.filter(([key]) => keys.includes(key)) : all;
    const name = (table as unknown as Record<symbol, string>)[Symbol.for("drizzle:Name")];
    plan = {
      statement: `copy "${name}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) from stdin`,
      keys: columns.map(([key]) => key),
      encoders: columns.map(([, c]) => encoderOf(c.columnType)),
    };
    byKeys.set(id, plan);
  }
  return plan;
}

/** The COPY text of the rows (one line per row, ending in a newline). */
export function copyText(table: PgTable, rows: readonly Record<string, unknown>[], keys?: readonly string[]): string {
  const { keys: ks, encoders } = planOf(table, keys);
  const n = ks.length;
  const lines = new Array<string>(rows.length + 1);
  const cells = new Array<string>(n);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i < n; i++) {
      const v = row[ks[i]!];
      cells[i] = v === null || v === undefined ? "\\N" : encoders[i]!(v);
    }
    lines[r] = cells.join("\t");
  }
  lines[rows.length] = "";
  return lines.join("\n");
}

/** The postgres-js client under a Drizzle executor: the transaction's (or savepoint's) own, or the pool. */
function clientOf(db: Executor): postgres.Sql {
  const client = (db as unknown as { session?: { client?: postgres.Sql } }).session?.client;
  if (!client) throw new Error("COPY needs the postgres driver");
  return client;
}

/** COPYs the rows into the table, inside `db` (a transaction, as every batch writer is). */
export async function copyRows<T extends PgTable, K extends keyof T["$inferSelect"] & string = keyof T["$inferSelect"] & string>(
  db: Executor,
  table: T,
  rows: readonly Pick<T["$inferSelect"], K>[],
  keys?: readonly K[],
): Promise<void> {
  if (!rows.length) return;
  const text = copyText(table, rows as readonly Record<string, unknown>[], keys);
  const writable = await clientOf(db).unsafe(planOf(table, keys).statement).writable();
  await pipeline(Readable.from([text]), writable);
}
