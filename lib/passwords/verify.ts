// Runs a family's verification; shared by the inline path (index.ts) and the check worker.
// Never throws: a value that cannot be checked simply does not match.

import type { ResolvedPasswordValue } from "./classify";
import { nodePrimitives } from "./node-primitives";

export async function verifyResolved(resolved: ResolvedPasswordValue, candidate: string): Promise<boolean> {
  if (resolved.kind !== "encoded" || typeof candidate !== "string") return false;
  try {
    return (await resolved.family.verify(resolved.hash, candidate, nodePrimitives)) === true;
  } catch {
    return false;
  }
}
