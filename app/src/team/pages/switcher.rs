use super::super::api::SwitchAccount;
use crate::accounts::AccountSummary;
use crate::i18n::*;
use leptos::prelude::*;

/// The header's choice of billing account, for a user in more than one (a plain form, so it
/// works without JavaScript). With one account it is just the account's name.
#[component]
pub fn AccountSwitcher(account: AccountSummary) -> impl IntoView {
    let i18n = use_i18n();
    let switch = ServerAction::<SwitchAccount>::new();
    if account.accounts.len() < 2 {
        return view! {
            <span class="account-name" id="active-account" title=account.company_name.clone()>{account.company_name.clone()}</span>
        }
        .into_any();
    }
    let active = account.id;
    view! {
        <ActionForm action=switch attr:class="inline-form account-switcher">
            <label class="visually-hidden" for="switch-account">{t!(i18n, switch_account_label)}</label>
            <select name="account" id="switch-account">
                {account
                    .accounts
                    .into_iter()
                    .map(|m| view! {
                        <option value=m.account_id.to_string() selected=m.account_id == active>{m.company_name}</option>
                    })
                    .collect_view()}
            </select>
            <button type="submit" class="link-button">{t!(i18n, switch_account)}</button>
        </ActionForm>
    }
    .into_any()
}
