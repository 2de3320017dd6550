import { expect, test } from "./fixtures";
import { codeFor, newEmail, open, sendCode } from "./helpers";

test("register by email, sign out, sign in by password and by code", async ({ page, javaScriptEnabled }, info) => {
  const email = newEmail(info.project.name);
  const company = `E2E Company ${info.project.name}`;

  await sendCode(page, "/register", email, javaScriptEnabled);
  await expect(page).toHaveURL(/\/register\?address=/);
  await page.getByLabel("Verification code").fill(await codeFor(page, email));
  await page.getByLabel("Company name").fill(company);
  await page.locator("#field-site_code").selectOption("US1");
  await page.getByLabel("Password (optional)").fill("e2e correct horse");
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator(".account-name")).toHaveText(company);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.locator(".account-name")).toHaveCount(0);

  await page.getByLabel("Email or mobile number").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("e2e correct horse");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".account-name")).toHaveText(company);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await sendCode(page, "/sign-in/code", email, javaScriptEnabled);
  await page.getByLabel("Verification code").fill(await codeFor(page, email));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".account-name")).toHaveText(company);
});

test("a wrong password is reported beside the field", async ({ page, javaScriptEnabled }, info) => {
  await open(page, "/sign-in", javaScriptEnabled);
  await page.getByLabel("Email or mobile number").fill(newEmail(info.project.name));
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#field-password-error")).toHaveText("The address or password is not correct");
  await expect(page.locator(".account-name")).toHaveCount(0);
});

test("a bad address is reported beside the field", async ({ page, javaScriptEnabled }) => {
  await open(page, "/register", javaScriptEnabled);
  await page.getByLabel("Email or mobile number").fill("not an address");
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.locator("#field-address-error")).toContainText("Enter a mobile number");
});

test("a form post from another site is refused", async ({ request }) => {
  const response = await request.post("/api/accounts/sign-out", {
    headers: { Origin: "https://evil.example" },
  });
  expect(response.status()).toBe(403);
});

test("profile and security pages save and list", async ({ page, javaScriptEnabled }, info) => {
  const email = newEmail(info.project.name);
  await sendCode(page, "/register", email, javaScriptEnabled);
  await page.getByLabel("Verification code").fill(await codeFor(page, email));
  await page.getByLabel("Company name").fill("Profile Co");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".account-name")).toHaveText("Profile Co");

  await open(page, "/account", javaScriptEnabled);
  await expect(page.locator("#profile-email")).toContainText(email);
  await page.getByLabel("Industry").fill("Observability");
  await page.getByLabel("Company name").fill("Profile Co Renamed");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".note[role=status]")).toHaveText("Saved.");
  await expect(page.getByLabel("Industry")).toHaveValue("Observability");
  await expect(page.locator(".account-name")).toHaveText("Profile Co Renamed");

  // Registered without a password: the Security page offers to set one, with a fresh code.
  await open(page, "/account/security", javaScriptEnabled);
  await expect(page.getByLabel("Current password")).toHaveCount(0);
  await page.getByRole("button", { name: "Send a code to my address" }).click();
  await expect(page.getByRole("status").filter({ hasText: "a code is on its way" })).toBeVisible();
  const code = await codeFor(page, email);
  await page.getByLabel("Verification code").fill(code);
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.locator("#field-new_password-error")).toHaveText("Use at least 8 characters");
  await page.getByLabel("Verification code").fill(code);
  await page.getByLabel("New password").fill("a good new password");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.locator(".note[role=status]")).toContainText("Password saved");
  await expect(page.locator("#sessions")).toContainText("This browser");
  await expect(page.locator("#security-log tr[data-kind=password_changed]")).toHaveCount(1);
  await expect(page.locator("#security-log tr[data-kind=registered]")).toHaveCount(1);
});
