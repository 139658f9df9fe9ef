import "server-only";
import { RateLimiterDrizzle, RateLimiterRedis, RateLimiterRes, type RateLimiterStoreAbstract } from "rate-limiter-flexible";
import { getDb } from "@/db";
import { rateLimits } from "@/db/schema";
import { ApiError } from "@/lib/api/errors";
import { log, safeError } from "@/lib/log";

/**
 * Rate limits as PingOne applies them: per worker application and per source IP on the API,
 * tighter on the token endpoint and on console sign-in. Counters live where every instance
 * sees them: the database (rate-limiter-flexible's RateLimiterDrizzle over our one client,
 * PostgreSQL or PGlite), or Redis when REDIS_URL is set (RateLimiterRedis over ioredis).
 *
 * Small limits (token, sign-in) count every hit in the shared store before answering. The
 * API's large per-second limits would then cost a database round trip per request, so they
 * count locally and add their hits to the shared counter in one write per key every
 * RATE_LIMIT_SYNC_MS (default 100 ms), deciding on the last shared total plus the local hits
 * since. Across N instances a window can overshoot by at most what N instances serve in one
 * sync interval; the limit is still shared, which is what stops a client that spreads over
 * instances.
 */
export type LimitName = "apiPerIp" | "apiPerApplication" | "token";

type LimitConfig = { points: number; seconds: number };

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

/** Limits in force, read from the environment (0 points turns a limit off). */
export function limitConfig(): Record<LimitName, LimitConfig> {
  return {
    apiPerIp: { points: envInt("RATE_LIMIT_API_PER_IP", 5000), seconds: envInt("RATE_LIMIT_API_WINDOW_SECONDS", 1) || 1 },
    apiPerApplication: { points: envInt("RATE_LIMIT_API_PER_APPLICATION", 5000), seconds: envInt("RATE_LIMIT_API_WINDOW_SECONDS", 1) || 1 },
    token: { points: envInt("RATE_LIMIT_TOKEN_PER_IP", 120), seconds: envInt("RATE_LIMIT_TOKEN_WINDOW_SECONDS", 60) || 60 },
  };
}

/** Below this many points per window, every hit goes to the shared store before the answer. */
const EXACT_BELOW = 1000;

export type LimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Hits not yet sent, hits being sent, and the shared total the store last returned. */
type LocalCount = { pending: number; inFlight: number; known: number; resetAt: number };

class Limit {
  private store: Promise<RateLimiterStoreAbstract> | undefined;
  private readonly local = new Map<string, LocalCount>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    readonly name: LimitName,
    readonly points: number,
    readonly seconds: number,
  ) {}

  private limiter(): Promise<RateLimiterStoreAbstract> {
    // Counting hits only; the decision is ours, so the store's own limit is never reached.
    if (!this.store) {
      const store = createStore(`rl:${this.name}`, this.exact ? this.points : Number.MAX_SAFE_INTEGER, this.seconds);
      // A store that could not be opened (the database down) is opened again next time, not never.
      store.catch(() => {
        if (this.store === store) this.store = undefined;
      });
      this.store = store;
    }
    return this.store;
  }

  private get exact() {
    return this.points < EXACT_BELOW;
  }

  async hit(key: string): Promise<LimitResult> {
    if (this.points === 0) return { allowed: true };
    if (this.exact) return this.hitExact(key);
    return this.hitBatched(key);
  }

  private async hitExact(key: string): Promise<LimitResult> {
    try {
      await (await this.limiter()).consume(key, 1);
      return { allowed: true };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
      // A store that cannot be reached must not take the product down with it.
      log.warn("rate limit store unavailable", { limit: this.name, ...safeError(err) });
      return { allowed: true };
    }
  }

  private hitBatched(key: string): LimitResult {
    const now = Date.now();
    let c = this.local.get(key);
    if (!c) {
      c = { pending: 0, inFlight: 0, known: 0, resetAt: now + this.seconds * 1000 };
      this.local.set(key, c);
    } else if (now >= c.resetAt) {
      c.known = 0;
      c.resetAt = now + this.seconds * 1000;
    }
    if (c.known + c.inFlight + c.pending >= this.points) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((c.resetAt - now) / 1000)) };
    }
    c.pending++;
    this.scheduleFlush();
    return { allowed: true };
  }

  private scheduleFlush() {
    if (this.flushTimer || this.flushing) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // A store that cannot be opened must not become an unhandled rejection (which ends the process).
      this.flush().catch((err) => log.warn("rate limit store unavailable", { limit: this.name, ...safeError(err) }));
    }, syncMs());
    this.flushTimer.unref();
  }

  /** Adds each key's local hits to its shared counter and learns the shared total back. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      const limiter = await this.limiter();
      const now = Date.now();
      const work: Promise<void>[] = [];
      for (const [key, c] of this.local) {
        if (c.pending === 0) {
          if (now >= c.resetAt && c.inFlight === 0) this.local.delete(key);
          continue;
        }
        const n = c.pending;
        c.pending = 0;
        c.inFlight += n;
        work.push(
          limiter.penalty(key, n).then(
            (res) => {
              c.inFlight -= n;
              c.known = res.consumedPoints;
              if (res.msBeforeNext >= 0) c.resetAt = Date.now() + res.msBeforeNext;
            },
            (err) => {
              c.inFlight -= n;
              c.known += n;
              log.warn("rate limit store unavailable", { limit: this.name, ...safeError(err) });
            },
          ),
        );
      }
      await Promise.all(work);
    } finally {
      this.flushing = false;
      if ([...this.local.values()].some((c) => c.pending > 0)) this.scheduleFlush();
    }
  }
}

function syncMs(): number {
  return envInt("RATE_LIMIT_SYNC_MS", 100) || 100;
}

async function createStore(keyPrefix: string, points: number, duration: number, blockDuration = 0): Promise<RateLimiterStoreAbstract> {
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    const { default: Redis } = await import("ioredis");
    globalForLimits.__identityImportRedis ??= new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1, lazyConnect: false });
    return new RateLimiterRedis({ storeClient: globalForLimits.__identityImportRedis, keyPrefix, points, duration, blockDuration });
  }
  return new RateLimiterDrizzle({ storeClient: await getDb(), schema: rateLimits, keyPrefix, points, duration, blockDuration });
}

const globalForLimits = globalThis as unknown as {
  __identityImportLimits?: Map<string, Limit>;
  __identityImportRedis?: import("ioredis").default;
};

function limit(name: LimitName): Limit {
  const cfg = limitConfig()[name];
  const id = `${name}:${cfg.points}/${cfg.seconds}`;
  const all = (globalForLimits.__identityImportLimits ??= new Map());
  let l = all.get(id);
  if (!l) {
    l = new Limit(name, cfg.points, cfg.seconds);
    all.set(id, l);
  }
  return l;
}

/** Counts one request against a limit for `key` (an IP address, an application id, ...). */
export function hitLimit(name: LimitName, key: string): Promise<LimitResult> {
  return limit(name).hit(key);
}

/** PingOne's answer to a limited caller: 429 REQUEST_LIMITED, detail LIMIT_EXCEEDED, Retry-After. */
export function requestLimited(retryAfterSeconds: number, what = "Too many requests"): ApiError {
  const message = `${what}: try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}.`;
  return new ApiError(429, "REQUEST_LIMITED", message, [{ code: "LIMIT_EXCEEDED", message }], {
    "Retry-After": String(retryAfterSeconds),
  });
}

/** Throws 429 when `key` is over the limit. */
export async function enforceLimit(name: LimitName, key: string): Promise<void> {
  const r = await hitLimit(name, key);
  if (!r.allowed) throw requestLimited(r.retryAfterSeconds);
}

/** Per worker application on the API (after its token is verified). */
export function limitApplication(applicationId: string): Promise<void> {
  return enforceLimit("apiPerApplication", applicationId);
}

/** Writes every instance's pending local hits now (tests, shutdown). */
export async function flushLimits(): Promise<void> {
  await Promise.all([...(globalForLimits.__identityImportLimits?.values() ?? [])].map((l) => l.flush()));
}

// ---------------------------------------------------------------------------------------------
// Small, exact limits on sensitive attempts (console sign-in, verification codes): every attempt
// is counted in the shared store BEFORE the work it guards, atomically, so concurrent attempts
// cannot slip through between a check and a record (finding F9). Same stores as above.

export type ExactLimiterConfig = { points: number; seconds: number; blockSeconds?: number };

export type ExactLimiter = {
  /** Counts one attempt for `key`: allowed, or refused with the seconds until the next is. */
  consume: (key: string) => Promise<LimitResult>;
  /** Gives back one counted attempt (a success that should not count). */
  reward: (key: string) => Promise<void>;
  /** Forgets the key (a success that clears its failures). */
  forget: (key: string) => Promise<void>;
};

export function exactLimiter(name: string, config: () => ExactLimiterConfig): ExactLimiter {
  let store: { id: string; store: Promise<RateLimiterStoreAbstract> } | undefined;
  const current = () => {
    const cfg = config();
    const id = `${cfg.points}/${cfg.seconds}/${cfg.blockSeconds ?? 0}`;
    if (store?.id !== id) {
      const made = { id, store: createStore(`rl:${name}`, cfg.points, cfg.seconds, cfg.blockSeconds) };
      // Opened again next time if the database was down, rather than failing from then on.
      made.store.catch(() => {
        if (store === made) store = undefined;
      });
      store = made;
    }
    return store.store;
  };
  return {
    async consume(key) {
      if (config().points === 0) return { allowed: true };
      try {
        await (await current()).consume(key, 1);
        return { allowed: true };
      } catch (err) {
        if (err instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
        // A guard that cannot count refuses rather than lets unlimited attempts through.
        log.warn("rate limit store unavailable", { limit: name, ...safeError(err) });
        throw err;
      }
    },
    async reward(key) {
      await (await current()).reward(key, 1).catch((err) => log.warn("rate limit store unavailable", { limit: name, ...safeError(err) }));
    },
    async forget(key) {
      await (await current()).delete(key).catch((err) => log.warn("rate limit store unavailable", { limit: name, ...safeError(err) }));
    },
  };
}
