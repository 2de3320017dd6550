import { expect, test as base } from "@playwright/test";

/**
 * Playwright's `test`, with a page that fails the test when the page throws: a hydration
 * mismatch panics in the WASM and leaves a page that looks right but no longer reacts.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const thrown: string[] = [];
    page.on("pageerror", (error) => thrown.push(error.message));
    // A Rust panic in the WASM is logged to the console (with where) before it throws.
    page.on("console", (message) => {
      if (message.type() === "error" && message.text().includes("panicked")) thrown.push(message.text());
    });
    await use(page);
    expect(thrown, "errors thrown in the page").toEqual([]);
  },
});

export { expect };
export type { Page } from "@playwright/test";
