import { expect, test, type Page } from "./fixtures";
import { open } from "./helpers";
import { codeFrom, smsListener, smtpListener, type Received } from "./listeners";

// These run against a server configured with real delivery: SMTP to a listener this file
// starts, SMS to an HTTP listener posing as the provider (ports from the project's metadata).
const SMS_SECRET = "e2e sms provider secret";

function unique(prefix: string): string {
  return `${prefix}${Date.now()}${Math.floor(Math.random() * 1000)}`;
}

/** The index a new message to `to` will have, to wait for it after an action. */
function mark(messages: Received[], to: string): number {
  return messages.filter((m) => m.to === to).length;
}

async function sendCodeTo(page: Page, address: string) {
  await page.getByLabel("Email or mobile number").fill(address);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(page.getByRole("status").filter({ hasText: "a code is on its way" })).toBeVisible();
}

async function register(page: Page, address: string, messages: Received[], to: string, js: boolean | undefined) {
  await open(page, "/register", js);
  const before = mark(messages, to);
  await sendCodeTo(page, address);
  await page.getByLabel("Verification code").fill(await codeFrom(messages, to, before));
  await page.getByLabel("Company name").fill(`Delivery Co ${address}`);
  await page.getByLabel("Password (optional)").fill("e2e correct horse");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".account-name")).toHaveCount(1);
}

/** The four steps of changing the sign-in address on `path`, reading codes from `messages`. */
async function changeAddress(page: Page, path: string, current: string, next: string, nextInput: string, messages: Received[], newLabel: string) {
  await page.goto(path);
  let before = mark(messages, current);
  await page.getByRole("button", { name: "Send code to my current address" }).click();
  await page.getByLabel("Verification code").fill(await codeFrom(messages, current, before));
  await page.getByRole("button", { name: "Confirm" }).click();
  before = mark(messages, next);
  await page.getByLabel(newLabel).fill(nextInput);
  await page.getByRole("button", { name: "Send code" }).click();
  await page.getByLabel("Verification code").fill(await codeFrom(messages, next, before));
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.locator(".note[role=status]")).toContainText("Your sign-in address was changed");
}

test("change email with codes by SMTP; the old email no longer signs in", async ({ page, javaScriptEnabled }, info) => {
  const smtp = await smtpListener(info.project.metadata.smtpPort);
  try {
    const old = `${unique("old")}@example.com`;
    const next = `${unique("new")}@example.com`;
    await register(page, old, smtp.messages, old, javaScriptEnabled);
    await changeAddress(page, "/account/email", old, next, next, smtp.messages, "New email");
    await expect(page.locator("#profile-email")).toContainText(next);
    // The old address was told.
    expect(smtp.messages.some((m) => m.to === old && m.text.includes("was changed"))).toBe(true);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Email or mobile number").fill(old);
    await page.getByLabel("Password", { exact: true }).fill("e2e correct horse");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("#field-password-error")).toHaveText("The address or password is not correct");

    await page.getByLabel("Email or mobile number").fill(next);
    await page.getByLabel("Password", { exact: true }).fill("e2e correct horse");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator(".account-name")).toHaveCount(1);
  } finally {
    await smtp.close();
  }
});

test("change phone with codes from the SMS provider", async ({ page, javaScriptEnabled }, info) => {
  const sms = await smsListener(info.project.metadata.smsPort, SMS_SECRET);
  try {
    const digits = () => `139${String(Date.now()).slice(-4)}${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
    const old = digits();
    const next = digits();
    await register(page, old, sms.messages, `+86${old}`, javaScriptEnabled);
    await changeAddress(page, "/account/phone", `+86${old}`, `+86${next}`, next, sms.messages, "New mobile number");
    await expect(page.locator("#profile-phone")).toContainText(`+86${next}`);
  } finally {
    await sms.close();
  }
});

test("the sixth wrong code is refused", async ({ page, javaScriptEnabled }, info) => {
  const smtp = await smtpListener(info.project.metadata.smtpPort);
  try {
    const email = `${unique("guess")}@example.com`;
    await register(page, email, smtp.messages, email, javaScriptEnabled);
    await page.getByRole("button", { name: "Sign out" }).click();
    await open(page, "/sign-in/code", javaScriptEnabled);
    const before = mark(smtp.messages, email);
    await sendCodeTo(page, email);
    const code = await codeFrom(smtp.messages, email, before);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel("Verification code").fill(wrong);
      await page.getByRole("button", { name: "Sign in" }).click();
      const expected = attempt < 5 ? `${5 - attempt} attempts left` : "that was the last attempt";
      await expect(page.locator("#field-code-error")).toContainText(expected);
    }
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("#field-code-error")).toContainText("Too many attempts");
    await expect(page.locator(".account-name")).toHaveCount(0);
  } finally {
    await smtp.close();
  }
});
