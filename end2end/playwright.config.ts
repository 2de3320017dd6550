import { defineConfig } from "@playwright/test";

// Started by scripts/test, which builds the release binary and makes fresh databases:
// E2E_SERVER_BIN, E2E_SQLITE_DIR and E2E_POSTGRES_URL come from there.
const server = process.env.E2E_SERVER_BIN ?? "../target/release/server";
const sqliteDir = process.env.E2E_SQLITE_DIR ?? "/tmp";
const postgresUrl = process.env.E2E_POSTGRES_URL;

const SQLITE = "http://127.0.0.1:3100";
const POSTGRES = "http://127.0.0.1:3101";

function billingCenter(addr: string, databaseUrl: string) {
  return {
    command: `${server} --demo`,
    url: `http://${addr}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: { BC_LISTEN_ADDR: addr, DATABASE_URL: databaseUrl, RUST_LOG: "warn" },
  };
}

const chromium = {
  browserName: "chromium" as const,
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  },
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: { locale: "en-US", trace: "off" },
  webServer: [
    billingCenter("127.0.0.1:3100", `sqlite://${sqliteDir}/e2e.db`),
    ...(postgresUrl ? [billingCenter("127.0.0.1:3101", postgresUrl)] : []),
  ],
  projects: [
    { name: "js-on", use: { ...chromium, baseURL: SQLITE, javaScriptEnabled: true } },
    { name: "js-off", use: { ...chromium, baseURL: SQLITE, javaScriptEnabled: false } },
    ...(postgresUrl
      ? [{ name: "postgres-js-on", use: { ...chromium, baseURL: POSTGRES, javaScriptEnabled: true } }]
      : []),
  ],
});
