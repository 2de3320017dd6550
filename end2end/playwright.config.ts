import { defineConfig } from "@playwright/test";

// Started by scripts/test, which builds the release binary and makes fresh databases:
// E2E_SERVER_BIN, E2E_SQLITE_DIR and E2E_POSTGRES_URL come from there.
const server = process.env.E2E_SERVER_BIN ?? "../target/release/server";
const sqliteDir = process.env.E2E_SQLITE_DIR ?? "/tmp";
const postgresUrl = process.env.E2E_POSTGRES_URL;

const SQLITE = "http://127.0.0.1:3100";
const POSTGRES = "http://127.0.0.1:3101";
const SMS_SECRET = "e2e sms provider secret";

// Servers with real delivery: SMTP and the SMS provider are listeners the tests start. One per
// JavaScript mode, so the two projects never share a listener port.
const delivery = [
  { name: "delivery-js-on", port: 3102, smtpPort: 2525, smsPort: 3198, javaScriptEnabled: true },
  { name: "delivery-js-off", port: 3103, smtpPort: 2526, smsPort: 3199, javaScriptEnabled: false },
];
const deliveryEnv = (d: (typeof delivery)[number]) => ({
  SMTP_HOST: "127.0.0.1",
  SMTP_PORT: String(d.smtpPort),
  SMTP_TLS: "none",
  SMTP_FROM: "billing@example.com",
  SMS_ENDPOINT: `http://127.0.0.1:${d.smsPort}/sms`,
  SMS_SECRET,
});

// Servers with the development clock, for the arrears timeline: moving the time ends every
// session of the server, so no other test shares them. One per JavaScript mode.
const clock = [
  { name: "clock-js-on", port: 3104, javaScriptEnabled: true },
  { name: "clock-js-off", port: 3105, javaScriptEnabled: false },
];
const clockEnv = (c: (typeof clock)[number]) => ({
  DATABASE_URL: `sqlite://${sqliteDir}/${c.name}.db`,
  BC_PUBLIC_ORIGIN: `http://127.0.0.1:${c.port}`,
  BC_DEV_CLOCK: "1",
  RUST_LOG: "warn",
});

function billingCenter(addr: string, databaseUrl: string, extraEnv: Record<string, string> = {}) {
  return {
    command: `${server} --demo`,
    url: `http://${addr}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: {
      BC_LISTEN_ADDR: addr,
      DATABASE_URL: databaseUrl,
      RUST_LOG: "warn",
      BC_BANK_ACCOUNT_NAME: "Billing Center Ltd.",
      BC_BANK_NAME: "Example Bank Hangzhou Branch",
      BC_BANK_ACCOUNT_NUMBER: "6222 0000 1111 2222",
      // The demo account (made by --demo) is the first operator.
      BC_OPERATOR_EMAIL: "demo@example.com",
      // The development conveniences the tests use: sandbox payments and the outbox (the
      // delivery servers send for real, so the outbox is off there).
      BC_PAYMENT_SANDBOX: "1",
      // The site simulator mints bind links and codes as a site would.
      BC_SITE_SIMULATOR: "1",
      // The marketplace simulator signs AWS, Alibaba Cloud and Huawei Cloud calls.
      BC_MARKETPLACE_SIMULATOR: "1",
      BC_DEV_OUTBOX: extraEnv.SMTP_HOST ? "0" : "1",
      // Every test browses from 127.0.0.1: the per-client code limit (20 an hour) would cap
      // how many tests may ask for codes. The limit itself is a unit test.
      BC_CODES_PER_CLIENT_HOUR: "1000",
      BC_CODES_PER_CLIENT_DAY: "5000",
      ...extraEnv,
    },
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
    ...delivery.map((d) => billingCenter(`127.0.0.1:${d.port}`, `sqlite://${sqliteDir}/${d.name}.db`, deliveryEnv(d))),
    ...clock.map((c) => billingCenter(`127.0.0.1:${c.port}`, clockEnv(c).DATABASE_URL, clockEnv(c))),
  ],
  projects: [
    { name: "js-on", testIgnore: /delivery|arrears/, use: { ...chromium, baseURL: SQLITE, javaScriptEnabled: true } },
    { name: "js-off", testIgnore: /delivery|arrears/, use: { ...chromium, baseURL: SQLITE, javaScriptEnabled: false } },
    ...(postgresUrl
      ? [
          {
            name: "postgres-js-on",
            testIgnore: /delivery|arrears/,
            use: { ...chromium, baseURL: POSTGRES, javaScriptEnabled: true },
          },
        ]
      : []),
    ...delivery.map((d) => ({
      name: d.name,
      testMatch: /delivery\.spec\.ts/,
      fullyParallel: false,
      metadata: { smtpPort: d.smtpPort, smsPort: d.smsPort },
      use: { ...chromium, baseURL: `http://127.0.0.1:${d.port}`, javaScriptEnabled: d.javaScriptEnabled },
    })),
    ...clock.map((c) => ({
      name: c.name,
      testMatch: /arrears\.spec\.ts/,
      // The command-line usage simulator reaches the same server and database.
      metadata: { env: clockEnv(c) },
      use: { ...chromium, baseURL: `http://127.0.0.1:${c.port}`, javaScriptEnabled: c.javaScriptEnabled },
    })),
  ],
});
