// A checker process: verifies one candidate against one stored value at a time, for checks.ts.
// It parses the value again with this process's settings (it inherits the server's
// environment), so a task carries nothing but the two strings. Bundled to
// .next/identity-import/password-checker.mjs for production (lib/server/build.mts); elsewhere
// started through tsx.

import os from "node:os";

import { resolvePasswordValue } from "./classify";
import { serverParseContext } from "./settings";
import { verifyResolved } from "./verify";

export type CheckTask = { stored: string; candidate: string };
export type CheckAnswer = { match: boolean };

// Checks are background work: the kernel gives their CPU to request handling first. Set before
// any thread pool starts, so that libuv's threads (Argon2) inherit it.
try {
  os.setPriority(10);
} catch {
  // Not permitted here: the checker still runs, only not behind request handling.
}

process.on("message", (task: CheckTask) => {
  verifyResolved(resolvePasswordValue(task.stored, serverParseContext()), task.candidate).then((match) => {
    const answer: CheckAnswer = { match };
    process.send?.(answer);
  });
});

// A checker never outlives its server.
process.on("disconnect", () => process.exit(0));
