// A check worker (piscina): one candidate against one stored value. It parses the value again
// with this process's settings (the workers read the same environment), so a task carries
// nothing but the two strings. Bundled to .next/identity-import/password-check-worker.mjs for
// production (lib/server/build.mts); check-worker-dev.mjs loads it through tsx elsewhere.

import { resolvePasswordValue } from "./classify";
import { serverParseContext } from "./settings";
import { verifyResolved } from "./verify";

export type CheckTask = { stored: string; candidate: string };

export default function check({ stored, candidate }: CheckTask): Promise<boolean> {
  return verifyResolved(resolvePasswordValue(stored, serverParseContext()), candidate);
}
