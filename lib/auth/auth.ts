import "server-only";
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { authConfig } from "./auth.config";
import { consoleSessionSecret } from "./signing-key";
import { authenticateAdministrator } from "./sign-in";
import { log, safeError } from "@/lib/log";
import { CLIENT_IP_HEADER } from "./client-ip";
import { createAdminSession, endAdminSession } from "./sessions";

/** Auth.js refuses a sign-in with this: the one message for unknown user and wrong password. */
export class InvalidCredentials extends CredentialsSignin {
  code = "invalid";
}

export class TooManyAttempts extends CredentialsSignin {
  code = "throttled";
}

export class SignInUnavailable extends CredentialsSignin {
  code = "unavailable";
}

/**
 * The client address as our production server determined it (see CLIENT_IP_HEADER), never
 * X-Forwarded-For as sent, which a client could vary to dodge the per-address throttle. Under
 * `next dev` there is no such server: attempts are then counted per account only.
 */
export function clientIp(headers: Headers): string | null {
  return headers.get(CLIENT_IP_HEADER) || null;
}

export const { handlers, auth, signIn, signOut } = NextAuth(async () => ({
  ...authConfig,
  // Lazily, so that `npm start` works without AUTH_SECRET (see consoleSessionSecret).
  secret: await consoleSessionSecret(),
  // A refused sign-in is an expected answer, not a server error: a short line, no stack.
  logger: {
    error(error: Error) {
      if (error instanceof CredentialsSignin || error.name === "CredentialsSignin") log.info("console sign-in refused", { code: (error as CredentialsSignin).code });
      else log.error("auth error", safeError(error));
    },
    warn(code: string) {
      log.warn("auth warning", { code });
    },
    debug() {},
  },
  events: {
    // The server-side row goes with the cookie: a copy of the cookie kept elsewhere stops working.
    async signOut(message) {
      if ("token" in message && message.token) await endAdminSession(message.token.sid);
    },
  },
  providers: [
    Credentials({
      credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, request) {
        const result = await authenticateAdministrator(credentials?.username, credentials?.password, clientIp(request.headers));
        if (result.ok) {
          const a = result.administrator;
          return { id: a.id, name: a.username, username: a.username, assignments: a.assignments, sessionId: await createAdminSession(a.id) };
        }
        if (result.reason === "throttled") throw new TooManyAttempts();
        if (result.reason === "unavailable") throw new SignInUnavailable();
        throw new InvalidCredentials();
      },
    }),
  ],
}));
