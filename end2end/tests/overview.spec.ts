import { expect, test } from "./fixtures";
import { isSameDocument, markDocument, open } from "./helpers";

test("the overview arrives complete from the server", async ({ request }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  const html = await response.text();
  // The data is in the document itself, not in a streamed <template> that needs a script.
  expect(html).toContain('id="sites"');
  expect(html).toContain("Hangzhou");
  expect(html).toMatch(/id="site-count"[^>]*>8(<!>)? sites/);
});

test("the overview lists every site", async ({ page, javaScriptEnabled }) => {
  await open(page, "/", javaScriptEnabled);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
  await expect(page.locator("#sites tbody tr")).toHaveCount(8);
  await expect(page.locator("#site-count")).toHaveText("8 sites");
});

test("the currency filter narrows the list", async ({ page, javaScriptEnabled }) => {
  await open(page, "/", javaScriptEnabled);
  await markDocument(page);
  await page.getByRole("link", { name: "International (USD)" }).click();
  await expect(page).toHaveURL(/\?currency=USD$/);
  await expect(page.locator("#sites tbody tr")).toHaveCount(3);
  await expect(page.locator("#site-count")).toHaveText("3 sites");
  await expect(page.getByRole("link", { name: "International (USD)" })).toHaveAttribute("aria-current", "true");
  // Hydrated, the filter updates the page in place; without JavaScript it is a plain link.
  expect(await isSameDocument(page)).toBe(javaScriptEnabled !== false);

  await page.getByRole("link", { name: "Domestic (CNY)" }).click();
  await expect(page.locator("#sites tbody tr")).toHaveCount(5);
});

test("health check reports the database", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", database: "ok" });
});
