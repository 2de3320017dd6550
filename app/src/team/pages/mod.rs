//! The pages of team access: Account > Members, the invitation link's page, Account > Audit
//! log, and the header's account switcher.
mod audit_log;
mod invitation;
mod members;
mod switcher;

pub use audit_log::AuditLogPage;
pub use invitation::InvitationPage;
pub use members::MembersPage;
pub use switcher::AccountSwitcher;

use super::model::Role;
use crate::i18n::*;
use leptos::prelude::*;

/// A role's name in the reader's language.
pub fn role_name(locale: Locale, role: Role) -> String {
    role.label().text(locale)
}

/// A `<select>` of roles (all of `roles`), `current` selected.
#[component]
pub fn RoleSelect(
    name: &'static str,
    id: String,
    roles: Vec<Role>,
    #[prop(optional)] current: Option<Role>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <select name=name id=id>
            {roles
                .into_iter()
                .map(|role| {
                    view! {
                        <option value=role.code() selected=current == Some(role)>
                            {move || role_name(i18n.get_locale(), role)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// The header's and pages' view of who is signed in, as `current_account` answers.
pub type AccountResource =
    Resource<Result<Option<crate::accounts::AccountSummary>, crate::error::AppError>>;

/// Shows `children` only when the caller's role allows `permission`; otherwise a note that the
/// role reads but does not change this. (The server refuses it anyway: this only spares a form
/// that would be refused.) The page makes `account` at its top, so a section inside a suspended
/// view still hydrates.
#[component]
pub fn IfAllowed(
    account: AccountResource,
    permission: super::model::Permission,
    children: ChildrenFn,
    /// What the role sees instead, below the note (a read-only view of the same).
    #[prop(optional)]
    otherwise: Option<ViewFn>,
) -> impl IntoView {
    let i18n = use_i18n();
    let children = StoredValue::new(children);
    let otherwise = StoredValue::new(otherwise);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(summary)) if summary.may(permission) => {
                        children.with_value(|children| children()).into_any()
                    }
                    Ok(Some(summary)) => {
                        let role = summary.role;
                        view! {
                            <p class="notice role-note">
                                {move || {
                                    let name = role.map(|r| role_name(i18n.get_locale(), r)).unwrap_or_default();
                                    t_string!(i18n, role_read_only_note, role = name).to_string()
                                }}
                            </p>
                            {otherwise.with_value(|view| view.as_ref().map(|view| view.run()))}
                        }
                        .into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}
