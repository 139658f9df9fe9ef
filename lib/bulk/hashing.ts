import "server-only";
import { hashPassword } from "@/lib/passwords";

/**
 * How a bulk job hashes its cleartext rows: argon2id through the argon2 package directly. Its
 * hash runs on libuv's thread pool (UV_THREADPOOL_SIZE threads, 4 by default), so the chunk
 * keeps enough hashes in flight to fill that pool, and nothing more is needed for the work to
 * run in parallel. A worker-thread pool on top (piscina) was measured slower on this machine:
 * its threads queue their hashes on the same process-wide libuv pool (README, "Bulk import").
 */
export function hashForBulk(cleartext: string): Promise<string> {
  return hashPassword(cleartext);
}
