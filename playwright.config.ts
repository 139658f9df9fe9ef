import { defineConfig, devices } from "@playwright/test";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { E2E } from "./e2e/support/constants";

/**
 * End-to-end tests of the console in a real browser against the built production server
 * (`NEXT_DIST_DIR=<dir> npm run build` first; the same NEXT_DIST_DIR here). The server gets a
 * free port and a fresh PGlite folder. Playwright loads this file in every worker, so the port
 * and folder chosen by the first load are handed down through the environment.
 */
process.env.E2E_PORT ??= execFileSync(process.execPath, [
  "-e",
  "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
])
  .toString()
  .trim();
process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "identity-import-e2e-"));
// Each role's signed-in browser state, saved once by the setup project (e2e/seed.setup.ts).
process.env.E2E_AUTH_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "identity-import-e2e-auth-"));

const distDir = process.env.NEXT_DIST_DIR || ".next";
const baseURL = `http://127.0.0.1:${process.env.E2E_PORT}`;
const chromium = "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  // Separate folders let several runs (e.g. engineers on one machine) keep their own artifacts.
  outputDir: process.env.E2E_OUTPUT_DIR || "./test-results/e2e",
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: process.env.E2E_REPORT_DIR || "playwright-report" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "on",
    launchOptions: {
      ...(fs.existsSync(chromium) ? { executablePath: chromium } : {}),
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    { name: "setup", testMatch: /seed\.setup\.ts/, use: { ...devices["Desktop Chrome"] } },
    { name: "chromium", testMatch: /.*\.spec\.ts/, dependencies: ["setup"], use: { ...devices["Desktop Chrome"] } },
  ],
  webServer: {
    command: `node ${distDir}/identity-import/server.mjs`,
    url: `${baseURL}/login`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: process.env.E2E_PORT,
      HOST: "127.0.0.1",
      DATA_DIR: process.env.E2E_DATA_DIR,
      NEXT_DIST_DIR: distDir,
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: "warn",
      ADMIN_USERNAME: E2E.admin.username,
      ADMIN_PASSWORD: E2E.admin.password,
      ADMIN_ENV_ID: E2E.adminEnvId,
      DEMO_ENV_ID: E2E.demoEnvId,
      WORKER_CLIENT_ID: E2E.workerId,
      WORKER_CLIENT_SECRET: E2E.workerSecret,
    },
  },
});
