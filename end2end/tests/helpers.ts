import { expect, type Page } from "@playwright/test";

/** Opens `path`; with JavaScript on, waits until the WASM has hydrated the page. */
export async function open(page: Page, path: string, javaScriptEnabled: boolean | undefined) {
  await page.goto(path);
  if (javaScriptEnabled !== false) {
    await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
  }
}

/** Marks the current document, to tell a client-side navigation (mark kept) from a reload. */
export async function markDocument(page: Page) {
  await page.evaluate(() => ((window as any).__sameDocument = true));
}

export async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).__sameDocument === true);
}
