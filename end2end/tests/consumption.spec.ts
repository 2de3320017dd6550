import { expect, test, type Page } from "./fixtures";
import { open } from "./helpers";

/** Signs in as the demo account, whose two workspaces' usage of 90 days the demo data rated. */
async function signInAsDemo(page: Page, javaScriptEnabled: boolean | undefined) {
  await open(page, "/sign-in", javaScriptEnabled);
  await page.getByLabel("Email or mobile number").fill("demo@example.com");
  await page.getByLabel("Password", { exact: true }).fill("demo billing center");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".account-name")).toBeVisible();
}

test("consumption details filter by item and workspace, drill to the hours, and export as CSV", async ({ page, javaScriptEnabled }) => {
  await signInAsDemo(page, javaScriptEnabled);
  await open(page, "/bills/consumption", javaScriptEnabled);
  const rows = page.locator("#daily-lines tbody tr");
  await expect(rows.first()).toBeVisible();
  // Every line says what paid it.
  await expect(rows.first().locator(".paid-part").first()).toBeVisible();

  // The filters are a plain GET form: the address keeps them.
  await page.locator("#item").selectOption("logs");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/item=logs/);
  await expect(rows.first()).toHaveAttribute("data-item", "logs");
  await expect(page.locator('#daily-lines tbody tr:not([data-item="logs"])')).toHaveCount(0);
  await page.locator("#workspace").selectOption({ label: "Production" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/workspace=\d+/);
  await expect(rows.first()).toContainText("Production");
  await expect(page.locator("#daily-lines tbody tr").filter({ hasText: "Staging" })).toHaveCount(0);

  // A line's hours, with the rule that counted them: logs are the sum of the day's hours.
  await rows.first().getByRole("link").click();
  await expect(page.locator("#counting-rule")).toHaveAttribute("data-counting", "sum");
  await expect(page.locator("#counting-rule")).toContainText("Sum of the day's hourly values");
  await expect(page.locator("#hours tbody tr")).toHaveCount(24);
  await expect(page.locator("#revisions tbody tr")).toHaveCount(1);

  // Time series count the largest hour.
  await open(page, "/bills/consumption?item=time_series", javaScriptEnabled);
  await rows.first().getByRole("link").click();
  await expect(page.locator("#counting-rule")).toHaveAttribute("data-counting", "max");

  // The CSV has the filtered rows only.
  const csv = await page.request.get("/export/consumption.csv?item=logs");
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text).toContain("line_id,day,workspace_id,workspace_name,item");
  expect(text).toContain("wksp_demo_production");
  expect(text).toContain(",logs,30d,");
  expect(text).not.toContain(",time_series,");

});

test("the price list shows the prices of the account's currency", async ({ page, javaScriptEnabled }) => {
  await signInAsDemo(page, javaScriptEnabled);
  await open(page, "/prices", javaScriptEnabled);
  await expect(page.locator('#prices tr[data-item="logs"][data-tier="30d"]')).toContainText("¥2.00");
  await expect(page.locator('#prices tr[data-item="sms"]')).toContainText("cash or prepaid cards");
});
