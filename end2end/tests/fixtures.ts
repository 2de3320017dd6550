import { expect, test as base } from "@playwright/test";

/**
 * Playwright's `test`, with a page that fails the test when the page throws: a hydration
 * mismatch panics in the WASM and leaves a page that looks right but no longer reacts.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const thrown: string[] = [];
    page.on("pageerror", (error) => thrown.push(error.message));
    await use(page);
    expect(thrown, "errors thrown in the page").toEqual([]);
  },
});

export { expect };
export type { Page } from "@playwright/test";
