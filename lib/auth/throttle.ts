import "server-only";
import { exactLimiter, type LimitResult } from "@/lib/rate-limit";

/**
 * Console sign-in throttling (findings F9, F4's unauthenticated variant). Two limits, both
 * counted in the shared store BEFORE the password is checked, atomically, so a burst of
 * concurrent guesses gets no more tries than a sequence would:
 *  - per account and address pair: a few failures, then that pair waits (SIGN_IN_PAIR_*); a
 *    stranger's failures from elsewhere never lock the real administrator out of their own
 *    address;
 *  - per address: a password spray across many accounts from one address waits too
 *    (SIGN_IN_IP_*). A success gives its attempt back.
 */
const envInt = (name: string, fallback: number) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
};

const pair = exactLimiter("signin-pair", () => ({
  points: envInt("SIGN_IN_PAIR_ATTEMPTS", 5),
  seconds: envInt("SIGN_IN_PAIR_WINDOW_SECONDS", 15 * 60) || 1,
  blockSeconds: envInt("SIGN_IN_PAIR_BLOCK_SECONDS", 15 * 60),
}));
const address = exactLimiter("signin-ip", () => ({
  points: envInt("SIGN_IN_IP_ATTEMPTS", 20),
  seconds: envInt("SIGN_IN_IP_WINDOW_SECONDS", 15 * 60) || 1,
  blockSeconds: envInt("SIGN_IN_IP_BLOCK_SECONDS", 15 * 60),
}));

export type ThrottleKeys = { user: string; ip: string | null };

const pairKey = (k: ThrottleKeys) => `${k.user.trim().toLowerCase()}|${k.ip ?? "unknown"}`;

/** Counts the attempt before it is made; refused (with the seconds to wait) when over a limit. */
export async function beginSignInAttempt(k: ThrottleKeys): Promise<LimitResult> {
  const byPair = await pair.consume(pairKey(k));
  if (!byPair.allowed) return byPair;
  if (!k.ip) return byPair;
  const byAddress = await address.consume(k.ip);
  if (!byAddress.allowed) await pair.reward(pairKey(k));
  return byAddress;
}

/** A successful sign-in clears the pair's failures and gives the address its attempt back. */
export async function signInSucceeded(k: ThrottleKeys): Promise<void> {
  await pair.forget(pairKey(k));
  if (k.ip) await address.reward(k.ip);
}

/** An attempt that could not be made (the password checks were busy) does not count. */
export async function giveBackSignInAttempt(k: ThrottleKeys): Promise<void> {
  await pair.reward(pairKey(k));
  if (k.ip) await address.reward(k.ip);
}
