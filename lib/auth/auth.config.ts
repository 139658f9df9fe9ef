import type { NextAuthConfig } from "next-auth";
import type { Assignment } from "@/lib/access";

/**
 * The part of the Auth.js configuration that needs no Node-only module (no argon2, no
 * database): pages, session strategy and the callbacks that copy typed role assignments into
 * the JWT and the session. lib/auth/auth.ts adds the Credentials provider and the secret.
 */

declare module "next-auth" {
  interface User {
    username?: string;
    assignments?: Assignment[];
    /** The server-side session row made at sign-in (lib/auth/sessions.ts). */
    sessionId?: string;
  }
  interface Session {
    user: { id: string; username: string; assignments: Assignment[]; sessionId: string };
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    username?: string;
    assignments?: Assignment[];
    sid?: string;
  }
}

export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

export const authConfig = {
  pages: { signIn: "/login" },
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  trustHost: true,
  providers: [],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.username = user.username;
        token.assignments = user.assignments ?? [];
        token.sid = user.sessionId;
      }
      return token;
    },
    session({ session, token }) {
      return {
        ...session,
        user: { id: token.sub ?? "", username: token.username ?? "", assignments: token.assignments ?? [], sessionId: token.sid ?? "" },
      };
    },
  },
} satisfies NextAuthConfig;
