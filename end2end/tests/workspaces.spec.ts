import { expect, test } from "./fixtures";
import { mint, newWorkspace, open, registerNewAccount } from "./helpers";

test("a workspace is bound through its site's link once, listed, and unbound after confirming", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled, "Workspace Co.");
  await open(page, "/workspaces", javaScriptEnabled);
  await expect(page.locator(".empty")).toContainText("No workspaces are bound yet");

  const workspace = newWorkspace(info.project.name);
  const { link } = await mint(page, workspace, "Production", javaScriptEnabled);
  await open(page, link, javaScriptEnabled);
  await expect(page.locator("#bind-preview")).toContainText(workspace);
  await expect(page.locator("#bind-preview")).toContainText("Production");
  await page.locator("#confirm-bind").click();
  await expect(page.locator("#workspace-facts")).toContainText(workspace);
  await expect(page.locator("#workspace-facts")).toContainText("Billing Center account");
  await expect(page.locator("#workspace-events")).toContainText("Bound");

  // The same link again binds nothing.
  await open(page, link, javaScriptEnabled);
  await page.locator("#confirm-bind").click();
  await expect(page.locator(".form-error")).toContainText("already been used");

  // Listed, found by a word of its name, and in the CSV.
  await open(page, "/workspaces?q=produc", javaScriptEnabled);
  const row = page.locator(`#workspaces tr[data-workspace="${workspace}"]`);
  await expect(row).toContainText("Normal");
  await expect(row).toContainText("¥0.00");
  const csv = await page.request.get("/export/workspaces.csv");
  expect(await csv.text()).toContain(workspace);

  // Unbinding asks for the box to be ticked.
  await row.getByRole("link").click();
  await expect(page.locator("#workspace-facts")).toContainText(workspace);
  if (javaScriptEnabled !== false) await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
  await page.getByLabel("Yes, unbind this workspace").check();
  await page.locator("#unbind").click();
  await expect(page).toHaveURL(/\/workspaces\?saved=unbound/);
  await expect(page.locator(`#workspaces tr[data-workspace="${workspace}"]`)).toHaveCount(0);
});

test("a bind code binds only the workspace typed beside it", async ({ page, javaScriptEnabled }, info) => {
  await registerNewAccount(page, info.project.name, javaScriptEnabled, "Code Co.");
  const workspace = newWorkspace(info.project.name);
  const { code } = await mint(page, workspace, "Staging", javaScriptEnabled);
  await open(page, "/workspaces", javaScriptEnabled);
  await page.getByLabel("Workspace ID", { exact: true }).fill("wksp_someone_else");
  await page.getByLabel("Bind code").fill(code);
  await page.getByRole("button", { name: "Bind workspace" }).click();
  await expect(page.locator("#field-code-error")).toContainText("does not carry the site's signature");
  await page.getByLabel("Workspace ID", { exact: true }).fill(workspace);
  await page.getByLabel("Bind code").fill(code);
  await page.getByRole("button", { name: "Bind workspace" }).click();
  await expect(page.locator("#workspace-facts")).toContainText(workspace);
});
