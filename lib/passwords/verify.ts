// Runs a family's verification; shared by the inline path (index.ts) and the check worker.
// Never rejects: a value that cannot be checked simply does not match. Not async, so that a
// synchronous family (a salted digest, a few microseconds) costs no extra microtask.

import type { ResolvedPasswordValue } from "./classify";
import { nodePrimitives } from "./node-primitives";

export function verifyResolved(resolved: ResolvedPasswordValue, candidate: string): Promise<boolean> {
  if (resolved.kind !== "encoded" || typeof candidate !== "string") return Promise.resolve(false);
  try {
    const result = resolved.family.verify(resolved.hash, candidate, nodePrimitives);
    return typeof result === "boolean" ? Promise.resolve(result) : result.then((r) => r === true, () => false);
  } catch {
    return Promise.resolve(false);
  }
}
