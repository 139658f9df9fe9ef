"use server";
import { AuthError } from "next-auth";
import { signIn } from "@/lib/auth/auth";
import { INVALID_CREDENTIALS_MESSAGE } from "@/lib/auth/sign-in";

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
