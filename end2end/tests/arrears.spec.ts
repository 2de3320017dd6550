import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "./fixtures";
import { bindNewWorkspace, codeFor, open, registerNewAccount, sendCode } from "./helpers";

// Runs on servers of its own with the development clock (playwright.config.ts): moving the
// time ends every session of the server.

/** Moves the server's time forward by `days` at the development clock (every timer runs). */
async function moveClock(page: Page, days: string, javaScriptEnabled: boolean | undefined) {
  await open(page, "/dev/clock", javaScriptEnabled);
  const before = Number(await page.locator("#dev-clock").getAttribute("data-lead-days"));
  await page.getByLabel("Days").fill(days);
  await page.getByRole("button", { name: "Move forward" }).click();
  await expect(page.locator("#dev-clock")).toHaveAttribute("data-lead-days", String(before + Number(days)));
}

async function signInByCode(page: Page, email: string, javaScriptEnabled: boolean | undefined) {
  await sendCode(page, "/sign-in/code", email, javaScriptEnabled);
  await page.getByLabel("Verification code").fill(await codeFor(page, email));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".account-name")).toBeVisible();
}

test("a workspace locked for arrears unlocks when the account recharges", async ({ page, javaScriptEnabled }, info) => {
  test.setTimeout(150_000);
  const email = await registerNewAccount(page, info.project.name, javaScriptEnabled);
  const uuid = await bindNewWorkspace(page, info.project.name, javaScriptEnabled);
  const workspacePage = new URL(page.url()).pathname;

  // The site reports two days of usage through the usage API, signed with its key (the usage
  // simulator, as a site would).
  const reported = execFileSync(process.env.E2E_SERVER_BIN ?? "../target/release/server", ["usage", "CN1", uuid, "2"], {
    env: { ...process.env, ...(info.project.metadata.env as Record<string, string>) },
  }).toString();
  expect(reported).toMatch(/ 0 refused/);

  // A day later the usage is rated and deducted from an empty account: it owes, and the
  // settlement period before the lock starts.
  await moveClock(page, "1", javaScriptEnabled);
  await signInByCode(page, email, javaScriptEnabled);
  await open(page, workspacePage, javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toHaveAttribute("data-state", "in_arrears");
  // The period opens on the arrears run the move started (or, should the rating timer's own
  // turn have rated the day meanwhile, on the next one).
  await expect(async () => {
    await open(page, "/", javaScriptEnabled);
    await expect(page.locator("#arrears-lock")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 45_000, intervals: [2_000] });
  await expect(page.locator("#arrears-lock").getByRole("link", { name: "Recharge" })).toBeVisible();

  // At the end of the period (14 days) the workspace locks.
  await moveClock(page, "15", javaScriptEnabled);
  await signInByCode(page, email, javaScriptEnabled);
  await open(page, workspacePage, javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toHaveAttribute("data-state", "locked");

  // A recharge pays the arrears first, and the payment runs the arrears job at once: the
  // workspace unlocks long before the job's next turn (30 seconds).
  await open(page, "/recharge", javaScriptEnabled);
  await page.getByLabel("Amount").fill("100000");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: "Pay", exact: true }).click();
  await expect(page.locator("#recharge-orders-table tbody tr").first()).toContainText("Paid");
  await expect(async () => {
    await open(page, workspacePage, javaScriptEnabled);
    await expect(page.locator("#workspace-facts")).toHaveAttribute("data-state", "normal", { timeout: 1_000 });
  }).toPass({ timeout: 10_000, intervals: [1_000] });
  await open(page, "/", javaScriptEnabled);
  await expect(page.locator("#arrears-lock")).toHaveCount(0);
});
