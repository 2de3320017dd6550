import { expect, test } from "./fixtures";
import { bindNewWorkspace, open, registerNewAccount } from "./helpers";
import type { Page } from "@playwright/test";

/** A buyer account on the cloud no other test uses. */
function buyer(): string {
  return `${Date.now()}${Math.floor(Math.random() * 1e4)}`.slice(-12);
}

/** Buys a subscription on `cloud`'s simulated marketplace; returns the subject to act on. */
async function buy(page: Page, cloud: string, who: string, javaScriptEnabled: boolean | undefined) {
  await open(page, "/dev/marketplace-simulator", javaScriptEnabled);
  await page.locator(`#buyer-${cloud}`).fill(who);
  await page.locator(`#buy-${cloud}`).click();
  await expect(page.locator("#simulated-status")).toHaveText("200");
  return (await page.locator("#simulated-subject").textContent())!.trim();
}

/** Sends `action` about `subject` from `cloud`'s simulated marketplace. */
async function act(page: Page, cloud: string, subject: string, action: string, javaScriptEnabled: boolean | undefined) {
  await open(page, "/dev/marketplace-simulator", javaScriptEnabled);
  await page.locator(`#subject-${cloud}`).fill(subject);
  await page.locator(`#action-${cloud}`).selectOption(action);
  await page.locator(`#act-${cloud}`).click();
  await expect(page.locator("#simulated-status")).toHaveText("200");
}

/** Links the subscription the simulator's link names (the link page, then confirm). */
async function linkFromSimulator(page: Page, who: string, javaScriptEnabled: boolean | undefined) {
  const link = await page.locator("#cloud-link").getAttribute("href");
  await open(page, link!, javaScriptEnabled);
  await expect(page.locator("#link-preview")).toContainText(who);
  await page.locator("#confirm-link").click();
  await expect(page).toHaveURL(/\/account\/cloud-accounts\?saved=linked/);
}

/** On the workspace at `url`, moves it to the first other settlement method offered. */
async function changeSettlement(page: Page, url: string, to: string, javaScriptEnabled: boolean | undefined) {
  await open(page, url, javaScriptEnabled);
  await page.locator("#change-settlement-link").click();
  await expect(page.locator("#settlement-now")).toBeVisible();
  if (javaScriptEnabled !== false) await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
  await page.locator(to).check();
  await page.getByLabel("Yes, change how this workspace is paid").check();
  await page.locator("#change-settlement").click();
  await expect(page).toHaveURL(/\/workspaces\/\d+\?saved=settlement/);
}

test("an Alibaba Cloud subscription pays for a workspace, once a month, and falls back when it expires", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled, "Aliyun Co.");
  await bindNewWorkspace(page, info.project.name, javaScriptEnabled, "CN1");
  const workspaceUrl = new URL(page.url()).pathname;
  const who = buyer();
  const instance = await buy(page, "aliyun", who, javaScriptEnabled);
  await linkFromSimulator(page, who, javaScriptEnabled);
  const row = page.locator('#cloud-accounts tr[data-cloud="aliyun"]');
  await expect(row).toContainText(who);
  await expect(row).toContainText("Active");

  await changeSettlement(page, workspaceUrl, 'input[name="to"]:not([value="billing_center"])', javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toContainText("Cloud account");
  await expect(page.locator("#workspace-events")).toContainText("Settlement method changed");
  // A second change this month is refused, and the page says until when.
  await open(page, `${workspaceUrl}/settlement`, javaScriptEnabled);
  await expect(page.locator("#settlement-refused")).toContainText("at most once a calendar month");
  // The cloud accounts page names the workspace it pays for.
  await open(page, "/account/cloud-accounts", javaScriptEnabled);
  await expect(row).toContainText("Production");

  // The subscription expires: the workspace is paid by the Billing Center account again.
  await act(page, "aliyun", instance, "expire", javaScriptEnabled);
  await open(page, workspaceUrl, javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toContainText("Billing Center account");
  await expect(page.locator("#workspace-events")).toContainText("Alibaba Cloud subscription ended");
});

test("a frozen Huawei Cloud subscription locks its workspace until it is switched", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled, "Huawei Co.");
  await bindNewWorkspace(page, info.project.name, javaScriptEnabled, "CN4");
  const workspaceUrl = new URL(page.url()).pathname;
  const who = buyer();
  const instance = await buy(page, "huawei", who, javaScriptEnabled);
  await linkFromSimulator(page, who, javaScriptEnabled);
  await changeSettlement(page, workspaceUrl, 'input[name="to"]:not([value="billing_center"])', javaScriptEnabled);

  await act(page, "huawei", instance, "freeze", javaScriptEnabled);
  await open(page, workspaceUrl, javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toHaveAttribute("data-state", "locked");
  await expect(page.locator("#workspace-facts")).toContainText("its cloud subscription ended");
  // Its method cannot pay: switching is allowed although it changed this month, and unlocks it.
  await changeSettlement(page, workspaceUrl, 'input[value="billing_center"]', javaScriptEnabled);
  await expect(page.locator("#workspace-facts")).toHaveAttribute("data-state", "normal");
  await expect(page.locator("#workspace-facts")).toContainText("Billing Center account");
});

test("an AWS subscription registers through the buyer's browser and waits for subscribe-success", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled, "AWS Co.");
  const who = buyer();
  const customer = await buy(page, "aws", who, javaScriptEnabled);
  // As AWS does: the browser posts the registration token to the seller.
  await page.locator("#aws-register").click();
  await expect(page.locator("#link-preview")).toContainText(who);
  await expect(page.locator("#link-preview")).toContainText("Waiting for the marketplace");
  await page.locator("#confirm-link").click();
  await expect(page).toHaveURL(/\/account\/cloud-accounts\?saved=linked/);
  const row = page.locator('#cloud-accounts tr[data-cloud="aws"]');
  await expect(row).toHaveAttribute("data-status", "pending");
  await act(page, "aws", customer, "subscribe-success", javaScriptEnabled);
  await open(page, "/account/cloud-accounts", javaScriptEnabled);
  await expect(row).toHaveAttribute("data-status", "active");
});
