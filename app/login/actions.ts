"use server";
import { AuthError } from "next-auth";
import { signIn } from "@/lib/auth/auth";
import { isDatabaseUnavailable } from "@/lib/api/errors";
import { INVALID_CREDENTIALS_MESSAGE } from "@/lib/auth/sign-in";

const DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable at the moment. Try again in a few seconds.";

export type SignInState = { message?: string; username?: string };

/** Only console paths are followed after sign-in, never an address from elsewhere. */
function safeCallback(raw: FormDataEntryValue | null): string {
  const v = typeof raw === "string" ? raw : "";
  return v.startsWith("/console") && !v.startsWith("//") ? v : "/console";
}

export async function signInAction(_prev: SignInState, form: FormData): Promise<SignInState> {
  const username = String(form.get("username") ?? "");
  try {
    await signIn("credentials", {
      username,
      password: String(form.get("password") ?? ""),
      redirectTo: safeCallback(form.get("callbackUrl")),
    });
    return {};
  } catch (err) {
    // Auth.js wraps what authorize() threw as { cause: { err } }.
    if (isDatabaseUnavailable(err) || isDatabaseUnavailable((err as { cause?: { err?: unknown } }).cause?.err)) {
      return { username, message: DATABASE_UNAVAILABLE_MESSAGE };
    }
    if (err instanceof AuthError) {
      const code = (err as AuthError & { code?: string }).code;
      return {
        username,
        message:
          code === "throttled"
            ? "Too many failed attempts. Wait a moment, then try again."
            : code === "unavailable"
              ? "Sign-in is busy right now. Try again in a few seconds."
              : INVALID_CREDENTIALS_MESSAGE,
      };
    }
    // NEXT_REDIRECT on success, and anything unexpected.
    throw err;
  }
}
