/**
 * Starts the production server (`npm run start:only`, after `npm run build`) as a child
 * process, for the tests that need the real thing (first start, restart, several workers) and
 * for the benchmarks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const SERVER_BUNDLE = path.join(ROOT, process.env.NEXT_DIST_DIR || ".next", "identity-import/server.mjs");

export type RunningServer = {
  url: string;
  port: number;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  child: ChildProcess;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function startServer(env: Record<string, string | undefined>, opts: { readyPath?: string; timeoutMs?: number } = {}): Promise<RunningServer> {
  const port = await freePort();
  let out = "";
  const child = spawn(process.execPath, [SERVER_BUNDLE], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), HOST: "127.0.0.1", ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  // "close", not "exit": every line the process wrote has been read by then.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  // Ready once the startup banner says so: migrations and first-start set-up have run.
  while (!/identity-import ready on/.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (opts.readyPath) await fetch(url + opts.readyPath).catch(() => {});
  return {
    url,
    port,
    child,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Starts `next start` itself (no fast path: Next's own routing for everything) on a free port,
 * for comparing it with the production server. One process, stopped by its PID.
 */
export async function startNextServer(env: Record<string, string | undefined>, opts: { timeoutMs?: number } = {}): Promise<RunningServer> {
  const port = await freePort();
  let out = "";
  const child = spawn(path.join(ROOT, "node_modules/.bin/next"), ["start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), HOST: "127.0.0.1", ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  // instrumentation.ts prints the banner once migrations and first-start set-up have run.
  while (!/identity-import ready on/.test(out)) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`next start did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}
