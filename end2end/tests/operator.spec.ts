import { expect, test, type Page } from "./fixtures";
import { open, registerNewAccount } from "./helpers";

/** Signs in as the demo account, which the test servers name the first operator. */
async function signInAsOperator(page: Page, javaScriptEnabled: boolean | undefined) {
  await open(page, "/sign-in", javaScriptEnabled);
  await page.getByLabel("Email or mobile number").fill("demo@example.com");
  await page.getByLabel("Password", { exact: true }).fill("demo billing center");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#operator-console")).toBeVisible();
}

/** A day `days` from today as YYYY-MM-DD (UTC). */
function dayFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("an operator funds an account and makes codes; the customer activates one", async ({ browser, page, javaScriptEnabled }, info) => {
  const email = await registerNewAccount(page, info.project.name, javaScriptEnabled, "Code Customer");
  // A customer is not an operator: no console link, and the console refuses them.
  await expect(page.locator("#operator-console")).toHaveCount(0);
  await open(page, "/operator", javaScriptEnabled);
  await expect(page.getByRole("alert")).toContainText("operators only");

  const operatorContext = await browser.newContext({
    baseURL: info.project.use.baseURL,
    javaScriptEnabled,
    locale: "en-US",
  });
  const op = await operatorContext.newPage();
  const thrownInConsole: string[] = [];
  op.on("pageerror", (error) => thrownInConsole.push(error.message));
  await signInAsOperator(op, javaScriptEnabled);

  // Find the account and open it.
  await open(op, "/operator", javaScriptEnabled);
  await op.getByLabel("Account ID, email, phone or company").fill(email);
  await op.getByRole("button", { name: "Find" }).click();
  await expect(op.locator("#accounts tbody tr")).toHaveCount(1);
  await op.locator("#accounts tbody a").click();
  await expect(op.locator("#operator-account-name")).toHaveText("Code Customer");
  await expect(op.locator("#operator-members")).toContainText(email);
  await expect(op.locator("#operator-members")).toContainText("Owner");

  // A bank transfer credits cash once; its reference cannot be credited again.
  const reference = `E2E-${info.project.name}-${Date.now()}`;
  await op.locator("#field-transfer-amount").fill("2,000");
  await op.locator("#field-transfer-bank_reference").fill(reference);
  await op.getByRole("button", { name: "Credit the transfer" }).click();
  await expect(op.locator("#cash-balance")).toHaveText("¥2,000.00");
  await op.locator("#field-transfer-amount").fill("2,000");
  await op.locator("#field-transfer-bank_reference").fill(reference);
  await op.getByRole("button", { name: "Credit the transfer" }).click();
  await expect(op.locator("#field-transfer-bank_reference-error")).toContainText("already recorded");
  await expect(op.locator("#cash-balance")).toHaveText("¥2,000.00");

  // A voucher limited to one billing item, and a prepaid card.
  await op.locator("#field-voucher-amount").fill("300");
  await op.locator("#field-voucher-scope").fill("beer");
  await op.getByRole("button", { name: "Issue voucher" }).click();
  await expect(op.locator("#field-voucher-scope-error")).toContainText("not a billing item");
  await op.locator("#field-voucher-amount").fill("300");
  await op.locator("#field-voucher-scope").fill("logs");
  await op.getByRole("button", { name: "Issue voucher" }).click();
  await expect(op.locator("#voucher-balance")).toHaveText("¥300.00");
  await op.locator("#field-card-amount").fill("500");
  await op.getByRole("button", { name: "Issue card" }).click();
  await expect(op.locator("#card-balance")).toHaveText("¥500.00");
  await expect(op.locator("#movements tbody tr")).toHaveCount(3);

  // A batch of activation codes, downloaded as CSV by the operator only.
  await open(op, "/operator/voucher-codes", javaScriptEnabled);
  await op.getByLabel("Voucher value").fill("88");
  await op.getByLabel("Number of codes").fill("2");
  await op.getByLabel("Codes work until").fill(dayFromNow(30));
  await op.getByRole("button", { name: "Make activation codes" }).click();
  await expect(op.locator("#batch-made")).toBeVisible();
  const href = await op.locator("#batch-made a").getAttribute("href");
  const download = await op.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-type"]).toContain("text/csv");
  const lines = (await download.text()).split("\r\n");
  expect(lines[0]).toContain("code,activated_by_account,activated_at");
  const code = lines[1].split(",")[0];
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  expect((await page.request.get(href!)).status()).toBe(403);
  expect(thrownInConsole, "errors thrown in the operator's page").toEqual([]);
  await operatorContext.close();

  // The customer activates it (typed loosely), once.
  await open(page, "/vouchers", javaScriptEnabled);
  await page.getByLabel("Activation code").fill("0000-0000-0000-0000");
  await page.getByRole("button", { name: "Activate a voucher" }).click();
  await expect(page.locator("#field-code-error")).toContainText("not valid");
  await page.getByLabel("Activation code").fill(code.toLowerCase().replace(/-/g, " "));
  await page.getByRole("button", { name: "Activate a voucher" }).click();
  await expect(page.locator("#vouchers tbody tr")).toHaveCount(2);
  await expect(page.locator("#vouchers")).toContainText("¥88.00");
  await page.getByLabel("Activation code").fill(code);
  await page.getByRole("button", { name: "Activate a voucher" }).click();
  await expect(page.locator("#field-code-error")).toContainText("already been activated");

  // The Overview adds it all up and lists the latest movements.
  await open(page, "/", javaScriptEnabled);
  await expect(page.locator("#cash-balance")).toHaveText("¥2,000.00");
  await expect(page.locator("#voucher-balance")).toHaveText("¥388.00");
  await expect(page.locator("#card-balance")).toHaveText("¥500.00");
  await expect(page.locator("#movements tbody tr")).toHaveCount(4);
});
