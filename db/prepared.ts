import type { Executor } from "./index";

// A Drizzle query built once per executor and key, then run with placeholders: building one
// (its SQL text and result mapping) costs about as much of a server's CPU as the database's
// answer to a lookup by key. Keyed weakly by executor, so that a closed database or a finished
// transaction takes its prepared queries with it.
const cache = new WeakMap<Executor, Map<string, unknown>>();

/** `build(db)` (which ends in `.prepare(name)`), made once for this executor and `key`. */
export function preparedOn<T>(db: Executor, key: string, build: (db: Executor) => T): T {
  let byKey = cache.get(db);
  if (!byKey) cache.set(db, (byKey = new Map()));
  let query = byKey.get(key) as T | undefined;
  if (query === undefined) byKey.set(key, (query = build(db)));
  return query;
}
