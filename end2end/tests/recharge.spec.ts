import { expect, test } from "./fixtures";
import { open, registerNewAccount } from "./helpers";

test("recharge through the sandbox provider and see the balance", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled);
  await open(page, "/recharge", javaScriptEnabled);
  await expect(page.locator("#cash-balance")).toHaveText("¥0.00");
  await expect(page.locator("#bank-details")).toContainText("6222 0000 1111 2222");

  await page.getByLabel("Amount").fill("12.345");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page.locator("#field-amount-error")).not.toBeEmpty();

  await page.getByLabel("Amount").fill("123.45");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page).toHaveURL(/\/recharge\/checkout\?order=R/);
  await expect(page.locator("#checkout-amount")).toHaveText("¥123.45");
  await page.getByRole("button", { name: "Pay", exact: true }).click();

  await expect(page).toHaveURL(/\/recharge\?order=R/);
  await expect(page.locator("#cash-balance")).toHaveText("¥123.45");
  await expect(page.locator("#recharge-orders-table tbody tr").first()).toContainText("Paid");

  // A failed payment changes nothing.
  await page.getByLabel("Amount").fill("50");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.getByRole("button", { name: "Payment fails" }).click();
  await expect(page.locator("#recharge-orders-table tbody tr").first()).toContainText("Failed");
  await expect(page.locator("#cash-balance")).toHaveText("¥123.45");

  // Income & expenditure lists the recharge, filters by type, and exports what it lists.
  await open(page, "/income-expenditure", javaScriptEnabled);
  await expect(page.locator("#movements tbody tr")).toHaveCount(1);
  await expect(page.locator("#movements tbody tr").first()).toContainText("+¥123.45");
  await page.locator("#kind").selectOption("daily_charge");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/kind=daily_charge/);
  await expect(page.locator(".empty")).toBeVisible();
  await page.locator("#kind").selectOption("recharge");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.locator("#movements tbody tr")).toHaveCount(1);
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  const text = await csv.text();
  expect(text).toContain("time_utc,type,holding,instrument,amount,reference");
  expect(text).toMatch(/,recharge,cash,0,\+¥123\.45,R[0-9A-F]+\r\n/);

  // A prepaid card is bought from cash, in hundreds.
  await open(page, "/prepaid-cards", javaScriptEnabled);
  await expect(page.locator(".empty")).toBeVisible();
  await page.getByLabel("Amount").fill("150");
  await page.getByRole("button", { name: "Buy a prepaid card" }).click();
  await expect(page.locator("#field-amount-error")).toContainText("multiple of 100");
  await page.getByLabel("Amount").fill("100");
  await page.getByRole("button", { name: "Buy a prepaid card" }).click();
  await expect(page.locator("#prepaid-cards tbody tr")).toHaveCount(1);
  await expect(page.locator("#prepaid-cards tbody tr").first()).toContainText("¥100.00");
  await expect(page.locator("#cash-balance")).toHaveText("¥23.45");
  // The cards list filters by status through the address and exports what it lists.
  await page.locator("#status").selectOption("expired");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/status=expired/);
  await expect(page.locator(".empty")).toBeVisible();
  await page.locator("#status").selectOption("active");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.locator("#prepaid-cards tbody tr")).toHaveCount(1);
  const cardsHref = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  expect(cardsHref).toContain("status=active");
  const cards = await page.request.get(cardsHref!);
  expect(cards.status()).toBe(200);
  const cardsText = await cards.text();
  expect(cardsText).toContain("card_no,denomination,remaining,status,purchased_at_utc,expires_at_utc");
  expect(cardsText).toMatch(/PC[0-9A-F]{16},¥100\.00,¥100\.00,active,/);
  await open(page, "/vouchers", javaScriptEnabled);
  await expect(page.locator(".empty")).toBeVisible();
});

test("the export needs a signed-in account", async ({ request }) => {
  for (const path of ["/export/income-expenditure.csv", "/export/vouchers.csv", "/export/prepaid-cards.csv", "/export/recharge-orders.csv"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(401);
  }
});

test("a callback without a valid signature is refused", async ({ request }) => {
  const response = await request.post("/payments/callback/sandbox", {
    headers: { "x-payment-timestamp": String(Math.floor(Date.now() / 1000)), "x-payment-signature": "00" },
    data: { order_no: "R0", provider_txn_id: "X", amount: "1.00", currency: "CNY", status: "paid" },
  });
  expect(response.status()).toBe(401);
});

test("the recharge page asks visitors to sign in", async ({ page, javaScriptEnabled }) => {
  await open(page, "/recharge", javaScriptEnabled);
  await expect(page.getByRole("link", { name: "Sign in" }).last()).toBeVisible();
  await expect(page.locator("#cash-balance")).toHaveCount(0);
});
