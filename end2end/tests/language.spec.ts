import { expect, test } from "./fixtures";
import { open } from "./helpers";

test("the language follows Accept-Language until one is picked", async ({ browser, javaScriptEnabled }) => {
  const context = await browser.newContext({ locale: "zh-CN", javaScriptEnabled });
  const page = await context.newPage();
  await open(page, "/", javaScriptEnabled);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("概览");
  await context.close();
});

test("the language switch changes and keeps the language", async ({ page, javaScriptEnabled }) => {
  await open(page, "/?currency=USD", javaScriptEnabled);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");

  await page.getByRole("button", { name: /中文/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("概览");
  await expect(page.locator("#site-count")).toHaveText("共 3 个站点");
  // Back on the page the switch was used on.
  await expect(page).toHaveURL(/\?currency=USD$/);

  // The choice outlives the page: a fresh load renders Chinese from the server.
  await open(page, "/", javaScriptEnabled);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("概览");

  await page.getByRole("button", { name: /English/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
});
