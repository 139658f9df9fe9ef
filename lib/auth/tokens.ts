import "server-only";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { and, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { applications, type RoleName, type ScopeType } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { loadAssignments } from "@/lib/access/assignments";
import { unauthenticated } from "@/lib/api/errors";
import { randomBytes } from "node:crypto";
import { hashPassword, verifyPassword } from "@/lib/passwords";
import { isUuid } from "@/lib/ids";
import { signingKey } from "./signing-key";
import { noteRequest } from "@/lib/api/request-notes";
import { limitApplication } from "@/lib/rate-limit";

export const TOKEN_TTL_SECONDS = 3600;
const AUDIENCE = "identity-import-api";

type TokenClaims = {
  env: string;
  client_id: string;
  roles: { role: RoleName; scope: { type: ScopeType; id: string }; env: string | null }[];
  /** The application's token version when the token was issued (see applicationState). */
  ver?: number;
};

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: "invalid_request" | "invalid_client" | "unsupported_grant_type" | "unauthorized_client",
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * client_credentials for a worker application of `environmentId`. The client secret is
 * checked against its argon2id hash whether or not the client exists, so that timing does not
 * tell which client ids are real.
 */
export async function issueClientCredentialsToken(
  environmentId: string,
  issuer: string,
  clientId: string,
  clientSecret: string,
): Promise<{ access_token: string; token_type: "Bearer"; expires_in: number }> {
  const db = await getDb();
  const [app] = isUuid(clientId) && isUuid(environmentId)
    ? await db
        .select({ id: applications.id, secretHash: applications.secretHash, enabled: applications.enabled, tokenVersion: applications.tokenVersion })
        .from(applications)
        .where(and(eq(applications.id, clientId), eq(applications.environmentId, environmentId)))
    : [];
  const ok = await verifyPassword(app?.secretHash ?? (await dummyPasswordHash()), clientSecret);
  if (!app || !ok || !app.enabled) {
    throw new OAuthError(401, "invalid_client", "Client authentication failed.");
  }
  const assignments = await loadAssignments({ applicationId: app.id });
  const claims: TokenClaims = {
    env: environmentId,
    client_id: app.id,
    roles: assignments.map((a) => ({ role: a.role, scope: { type: a.scopeType, id: a.scopeId }, env: a.environmentId })),
    ver: app.tokenVersion,
  };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject(app.id)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .setJti(crypto.randomUUID())
    .sign(await signingKey());
  return { access_token: token, token_type: "Bearer", expires_in: TOKEN_TTL_SECONDS };
}

// An argon2id hash of a random value nobody knows: verifying against it costs what a real check costs.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString("base64url"));
  return dummyHash;
}

/**
 * Verified tokens, by their exact text, until they expire. Only a token whose signature has
 * been checked is ever stored, so a hit is as good as a verification; it saves the HMAC, which
 * profiling showed to be a tenth of an import's CPU time. What the token may still do is not
 * cached here: see applicationState.
 */
const verifiedTokens = new Map<string, { claims: VerifiedClaims; exp: number }>();
const MAX_CACHED_TOKENS = 10_000;

/** `seenAt`: when this process first verified the token (it was issued before that). */
type VerifiedClaims = { sub: string; ver: number; seenAt: number };

/**
 * The actor behind an `Authorization: Bearer` header, or a 401; then its application's rate
 * limit (429). The actor is noted for the request's log line.
 */
export async function actorFromBearer(req: Request): Promise<Actor> {
  const claims = await verifiedClaims(req);
  const state = await applicationState(claims.sub, claims.seenAt);
  // Revocation (finding F5): a deleted or disabled application, or one whose secret was rotated
  // since the token was issued, has no valid tokens; roles are the application's current ones.
  if (!state || !state.enabled || state.tokenVersion !== claims.ver) {
    throw unauthenticated("The access token has been revoked: request a new one.");
  }
  const actor: Actor = { type: "APPLICATION", id: claims.sub, via: "API", assignments: state.assignments };
  noteRequest(req, { actor: { type: actor.type, id: actor.id } });
  await limitApplication(actor.id);
  return actor;
}

async function verifiedClaims(req: Request): Promise<VerifiedClaims> {
  const header = req.headers.get("authorization");
  const match = header?.match(/^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i);
  if (!match) throw unauthenticated();
  const token = match[1]!;
  const cached = verifiedTokens.get(token);
  if (cached) {
    if (cached.exp * 1000 > Date.now()) return cached.claims;
    verifiedTokens.delete(token);
  }
  // The key first, outside the try: a database that cannot be read for it (the key is kept
  // there unless AUTH_SECRET is set) is a 503, never a 401 that tells a client its token is bad.
  const key = await signingKey();
  try {
    const { payload } = await jwtVerify<TokenClaims>(token, key, {
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    if (!payload.sub || !Array.isArray(payload.roles) || typeof payload.exp !== "number") throw unauthenticated();
    const claims: VerifiedClaims = { sub: payload.sub, ver: typeof payload.ver === "number" ? payload.ver : 0, seenAt: Date.now() };
    if (verifiedTokens.size >= MAX_CACHED_TOKENS) verifiedTokens.delete(verifiedTokens.keys().next().value!);
    verifiedTokens.set(token, { claims, exp: payload.exp });
    return claims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated("The access token has expired: request a new one.");
    throw unauthenticated("The access token is invalid.");
  }
}

type ApplicationState = { enabled: boolean; tokenVersion: number; assignments: Actor["assignments"] };

/** How long an application's state is reused before it is read again (TOKEN_STATE_TTL_MS). */
const stateTtlMs = () => {
  const n = Number(process.env.TOKEN_STATE_TTL_MS);
  return Number.isFinite(n) && n >= 0 ? n : 2000;
};
/** `at`: when the state was read. */
const states = new Map<string, { at: number; state: Promise<ApplicationState | null> }>();
const MAX_CACHED_STATES = 10_000;

/**
 * Whether an application still exists and is enabled, its token version and its current role
 * assignments, read from the database at most once per TOKEN_STATE_TTL_MS (2 s) per process, so
 * that a revocation bites on every instance within seconds at the cost of one query per
 * application every two seconds. A state read before a token was first seen here is not used
 * for it: a client that was just granted a role and fetched a new token sees the role on its
 * first call (one read per new token and process).
 */
function applicationState(applicationId: string, tokenSeenAt: number): Promise<ApplicationState | null> {
  const now = Date.now();
  const cached = states.get(applicationId);
  if (cached && now - cached.at < stateTtlMs() && cached.at >= tokenSeenAt) return cached.state;
  const state = readApplicationState(applicationId);
  if (states.size >= MAX_CACHED_STATES) states.delete(states.keys().next().value!);
  states.set(applicationId, { at: now, state });
  // A failed read is not remembered: the next request tries again.
  state.catch(() => {
    if (states.get(applicationId)?.state === state) states.delete(applicationId);
  });
  return state;
}

async function readApplicationState(applicationId: string): Promise<ApplicationState | null> {
  if (!isUuid(applicationId)) return null;
  const db = await getDb();
  const [app] = await db
    .select({ enabled: applications.enabled, tokenVersion: applications.tokenVersion })
    .from(applications)
    .where(eq(applications.id, applicationId));
  if (!app) return null;
  return { ...app, assignments: await loadAssignments({ applicationId }, db) };
}
