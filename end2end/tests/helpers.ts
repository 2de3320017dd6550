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

/** An address no other test (or earlier run on the same database) uses. */
export function newEmail(project: string): string {
  return `e2e-${project}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** The newest code the development outbox holds for `address`. */
export async function codeFor(page: Page, address: string): Promise<string> {
  const outbox = await page.context().newPage();
  await outbox.goto("/outbox");
  const body = await outbox.locator(`li[data-address="${address}"] .outbox-body`).first().textContent();
  await outbox.close();
  const code = body?.match(/\b(\d{6})\b/)?.[1];
  expect(code, `a code for ${address} in the outbox`).toBeTruthy();
  return code!;
}

export async function sendCode(page: Page, path: string, address: string, javaScriptEnabled: boolean | undefined) {
  await open(page, path, javaScriptEnabled);
  await page.getByLabel("Email or mobile number").fill(address);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.getByRole("status").filter({ hasText: "a code is on its way" })).toBeVisible();
}


/** Registers a new account (code from the outbox) and stays signed in; returns its email. */
export async function registerNewAccount(page: Page, project: string, javaScriptEnabled: boolean | undefined, company = "E2E Company") {
  const email = newEmail(project);
  await sendCode(page, "/register", email, javaScriptEnabled);
  await page.getByLabel("Verification code").fill(await codeFor(page, email));
  await page.getByLabel("Company name").fill(company);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".account-name")).toHaveText(company);
  return email;
}

/** A workspace ID no other test (or earlier run on the same database) uses. */
export function newWorkspace(project: string): string {
  return `wksp_${project}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/** The site simulator's bind link (a local path) and bind code for a new workspace of `site`. */
export async function mint(page: Page, workspace: string, name: string, javaScriptEnabled: boolean | undefined, site = "CN1") {
  await open(page, "/dev/site-simulator", javaScriptEnabled);
  await page.locator("#site").selectOption(site);
  await page.getByLabel("Workspace ID", { exact: true }).fill(workspace);
  await page.getByLabel("Workspace", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Mint bind link and code" }).click();
  await expect(page.locator("#bind-link")).toBeVisible();
  const link = await page.locator("#bind-link").getAttribute("href");
  const code = await page.locator("#bind-code").textContent();
  expect(link).toContain("/workspaces/bind?token=");
  return { link: link!, code: code!.trim() };
}

/** Binds a new workspace of `site` through its bind link; leaves the page on the workspace. */
export async function bindNewWorkspace(page: Page, project: string, javaScriptEnabled: boolean | undefined, site = "CN1") {
  const workspace = newWorkspace(project);
  const { link } = await mint(page, workspace, "Production", javaScriptEnabled, site);
  await open(page, link, javaScriptEnabled);
  await page.locator("#confirm-bind").click();
  await expect(page.locator("#workspace-facts")).toContainText(workspace);
  return workspace;
}
