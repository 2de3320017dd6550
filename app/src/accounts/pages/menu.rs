use crate::accounts::api::{current_account, SignOut};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The header's account controls: the company and "Sign out" when signed in, otherwise links
/// to sign in and register. Reloaded on every navigation, so it follows sign-in and sign-out.
#[component]
pub fn AccountMenu() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    // Keyed on the whole address: sign-in, sign-out and profile saves all end in a redirect.
    let account = Resource::new(
        move || (location.pathname.get(), location.search.get()),
        |_| current_account(),
    );
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(account)) => view! {
                        <div class="account-menu">
                            {account.is_operator.then(|| view! { <a href="/operator" id="operator-console">{t!(i18n, operator_title)}</a> })}
                            <crate::team::pages::AccountSwitcher account=account.clone() />
                            <ActionForm action=sign_out attr:class="inline-form">
                                <button type="submit" class="link-button">{t!(i18n, sign_out)}</button>
                            </ActionForm>
                        </div>
                    }.into_any(),
                    _ => view! {
                        <div class="account-menu">
                            <a href="/sign-in">{t!(i18n, nav_sign_in)}</a>
                            <a href="/register">{t!(i18n, nav_register)}</a>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
