import "server-only";
import { cache } from "react";
import { redirect } from "next/navigation";
import type { Actor } from "@/lib/access";
import { auth } from "./auth";
import { currentAdministrator } from "./sign-in";

export type ConsoleActor = Actor & { type: "USER"; via: "CONSOLE"; username: string };

/**
 * The signed-in administrator for a console page or server action, with role assignments
 * re-read from the database (never trusted from the session cookie), so a revoked role or a
 * disabled account stops at once. Redirects to /login when signed out. Every server action
 * must call it (or another check) itself: a server action is a public POST endpoint.
 */
export const requireConsoleActor = cache(async (): Promise<ConsoleActor> => {
  const session = await auth();
  const userId = session?.user?.id;
  const admin = userId ? await currentAdministrator(userId, session.user.sessionId) : null;
  if (!admin) redirect("/login");
  return { type: "USER", id: admin.id, username: admin.username, assignments: admin.assignments, via: "CONSOLE" };
});
