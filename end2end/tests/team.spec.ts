import { expect, test } from "./fixtures";
import { codeFor, newEmail, open, registerNewAccount } from "./helpers";

/** The invitation link in the newest outbox message to `address`. */
async function invitationLink(page: import("@playwright/test").Page, address: string): Promise<string> {
  const outbox = await page.context().newPage();
  await outbox.goto("/outbox");
  const body = await outbox.locator(`li[data-address="${address}"] .outbox-body`).first().textContent();
  await outbox.close();
  const link = body?.match(/(\/invitations\/accept\?token=[0-9a-f]+)/)?.[1];
  expect(link, `an invitation link for ${address} in the outbox`).toBeTruthy();
  return link!;
}

test("an Owner invites a Finance member, who recharges but may not manage members or the company", async ({ browser, page, javaScriptEnabled }, info) => {
  const owner = await registerNewAccount(page, info.project.name, javaScriptEnabled, "Team Co.");
  await open(page, "/account/members", javaScriptEnabled);
  await expect(page.locator("#members tbody tr")).toHaveCount(1);
  await expect(page.locator("#members")).toContainText(owner);

  const finance = newEmail(info.project.name);
  await page.locator("#field-invite-address").fill("not an address");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.locator("#field-invite-address-error")).not.toBeEmpty();
  await page.locator("#field-invite-address").fill(finance);
  await page.locator("#invite-role").selectOption("finance");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.locator("#invitations")).toContainText(finance);

  // The invitee, in a browser of their own, creates a sign-in from the link and joins.
  const context = await browser.newContext({ baseURL: info.project.use.baseURL, javaScriptEnabled, locale: "en-US" });
  const member = await context.newPage();
  await open(member, await invitationLink(page, finance), javaScriptEnabled);
  await expect(member.locator("#invitation-offer")).toContainText("Team Co.");
  await expect(member.locator("#invitation-offer")).toContainText("Finance");
  await member.getByLabel("The invited email or mobile number").fill(finance);
  await member.getByRole("button", { name: "Send code" }).click();
  // The code field appears once the code is sent (the address comes back in the link).
  await expect(member.getByLabel("Verification code")).toBeVisible();
  await member.getByLabel("Verification code").fill(await codeFor(member, finance));
  await member.getByRole("button", { name: "Create my sign-in and join" }).click();
  await expect(member.locator(".account-name")).toHaveText("Team Co.");

  // Finance recharges and reads the money pages.
  await open(member, "/recharge", javaScriptEnabled);
  await member.getByLabel("Amount").fill("10");
  await member.getByRole("button", { name: "Continue to payment" }).click();
  await member.getByRole("button", { name: "Pay", exact: true }).click();
  await expect(member.locator("#cash-balance")).toHaveText("¥10.00");
  await open(member, "/income-expenditure", javaScriptEnabled);
  await expect(member.locator("#movements tbody tr")).toHaveCount(1);

  // Members and the company profile: hidden from Finance, and refused by the server anyway.
  await open(member, "/account/members", javaScriptEnabled);
  await expect(member.locator("#members tbody tr")).toHaveCount(2);
  await expect(member.locator("#invite-form")).toHaveCount(0);
  await open(member, "/account", javaScriptEnabled);
  await expect(member.getByLabel("Company name")).toHaveCount(0);
  await expect(member.locator(".role-note")).toContainText("Finance");
  await expect(member.locator("#company-facts")).toContainText("Team Co.");
  const origin = info.project.use.baseURL!;
  const invite = await member.request.post("/api/team/invite", {
    form: { address: newEmail(info.project.name), role: "owner" },
    headers: { Origin: origin },
  });
  expect(invite.status()).toBe(403);
  const profile = await member.request.post("/api/accounts/profile/update", {
    form: { company_name: "Taken Over", industry: "", region: "", description: "", contact_name: "" },
    headers: { Origin: origin },
  });
  expect(profile.status()).toBe(403);
  await context.close();

  // The Owner's audit log tells who did what.
  await open(page, "/account/audit-log", javaScriptEnabled);
  await expect(page.locator("#audit-log tr[data-action=member_joined]")).toContainText(finance);
  await expect(page.locator("#audit-log tr[data-action=recharge_ordered]")).toContainText(finance);
  await expect(page.locator("#audit-log tr[data-action=member_invited]")).toContainText(owner);
  await page.locator("#action").selectOption("member_joined");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/action=member_joined/);
  await expect(page.locator("#audit-log tbody tr")).toHaveCount(1);
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text).toContain("time_utc,person,by_operator,action,detail,client_address");
  expect(text).toContain(`${finance},no,member_joined,finance`);
});
