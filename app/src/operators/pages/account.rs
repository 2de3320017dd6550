use super::OperatorNav;
use crate::funds::pages::{
    request_id, BalanceFacts, CardTable, MovementRows, RequestId, VoucherTable,
};
use crate::i18n::*;
use crate::operators::api::{
    operator_account, GiveCard, GiveVoucher, RecordTransfer, SetAnyCloud, SetWorkspaceLock,
};
use crate::operators::model::OperatorAccountView;
use crate::ui::{successes, DataState, Field, FormError, FormResult};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// One customer's account: balances, and the operator's three ways to add funds to it.
#[component]
pub fn OperatorAccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let transfer = ServerAction::<RecordTransfer>::new();
    let voucher = ServerAction::<GiveVoucher>::new();
    let card = ServerAction::<GiveCard>::new();
    let lock = ServerAction::<SetWorkspaceLock>::new();
    let any_cloud = ServerAction::<SetAnyCloud>::new();
    let results: [FormResult; 5] = [
        Signal::derive(move || transfer.value().get()),
        Signal::derive(move || voucher.value().get()),
        Signal::derive(move || card.value().get()),
        Signal::derive(move || lock.value().get()),
        Signal::derive(move || any_cloud.value().get()),
    ];
    let done = results.map(successes);
    let view_data = Resource::new(
        move || (id(), done.iter().map(|d| d.get()).sum::<usize>()),
        |(id, _)| operator_account(id),
    );
    let voucher_key = request_id(Signal::derive(move || voucher.version().get()));
    let card_key = request_id(Signal::derive(move || card.version().get()));
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, operator_title).to_string()) />
        <h1>{t!(i18n, operator_title)}</h1>
        <OperatorNav />
        <DataState resource=view_data let:view>
            <AccountFacts view=view.clone() />
            <OperatorWorkspaces account=view.account.id workspaces=view.workspaces.clone() action=lock result=results[3] />
            <OperatorCloudAccounts view=view.clone() action=any_cloud result=results[4] />
        </DataState>
        <div class="grid-3">
            <section class="card" aria-labelledby="record-transfer">
                <h2 id="record-transfer">{t!(i18n, operator_transfer)}</h2>
                <ActionForm action=transfer attr:class="stack">
                    <input type="hidden" name="account_id" value=id />
                    <Field label=Signal::derive(move || t_string!(i18n, recharge_amount).to_string()) name="amount" form="transfer" required=true result=results[0] />
                    <Field label=Signal::derive(move || t_string!(i18n, operator_bank_reference).to_string()) name="bank_reference" form="transfer" required=true result=results[0] />
                    <Field label=Signal::derive(move || t_string!(i18n, operator_received_on).to_string()) name="received_on" form="transfer" kind="date" result=results[0] />
                    <FormError result=results[0] fields=&["amount", "bank_reference", "received_on"] />
                    <button type="submit" class="button" disabled=move || transfer.pending().get()>{t!(i18n, operator_transfer_submit)}</button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="give-voucher">
                <h2 id="give-voucher">{t!(i18n, operator_voucher)}</h2>
                <ActionForm action=voucher attr:class="stack">
                    <input type="hidden" name="account_id" value=id />
                    <RequestId request_id=voucher_key />
                    <div class="field">
                        <label for="voucher-kind">{t!(i18n, filter_kind)}</label>
                        <select id="voucher-kind" name="kind">
                            <option value="regular">{t!(i18n, voucher_regular)}</option>
                            <option value="discount">{t!(i18n, voucher_discount)}</option>
                        </select>
                    </div>
                    <Field label=Signal::derive(move || t_string!(i18n, recharge_amount).to_string()) name="amount" form="voucher" required=true result=results[1] />
                    <Field label=Signal::derive(move || t_string!(i18n, operator_validity_days).to_string()) name="validity_days" form="voucher" value="90".to_string() required=true result=results[1] />
                    <Field
                        label=Signal::derive(move || t_string!(i18n, operator_scope).to_string())
                        name="scope"
                        form="voucher"
                        hint=Signal::derive(move || t_string!(i18n, operator_scope_hint).to_string())
                        result=results[1]
                    />
                    <FormError result=results[1] fields=&["amount", "validity_days", "scope"] />
                    <button type="submit" class="button" disabled=move || voucher.pending().get()>{t!(i18n, operator_voucher_submit)}</button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="give-card">
                <h2 id="give-card">{t!(i18n, operator_card)}</h2>
                <ActionForm action=card attr:class="stack">
                    <input type="hidden" name="account_id" value=id />
                    <RequestId request_id=card_key />
                    <Field label=Signal::derive(move || t_string!(i18n, recharge_amount).to_string()) name="amount" form="card" required=true result=results[2] />
                    <Field
                        label=Signal::derive(move || t_string!(i18n, operator_validity_days).to_string())
                        name="validity_days"
                        form="card"
                        hint=Signal::derive(move || t_string!(i18n, operator_card_validity_hint).to_string())
                        result=results[2]
                    />
                    <FormError result=results[2] fields=&["amount", "validity_days"] />
                    <button type="submit" class="button" disabled=move || card.pending().get()>{t!(i18n, operator_card_submit)}</button>
                </ActionForm>
            </section>
        </div>
        <DataState resource=view_data let:view>
            <AccountHoldings view />
        </DataState>
    }
}

/// The account's workspaces, each with a way to lock or unlock it by hand (a reason required).
#[component]
fn OperatorWorkspaces(
    account: i64,
    workspaces: Vec<crate::workspaces::model::WorkspaceView>,
    action: ServerAction<SetWorkspaceLock>,
    result: FormResult,
) -> impl IntoView {
    use crate::workspaces::model::{WorkspaceState, WorkspaceView};
    use crate::workspaces::pages::{settlement_name, state_name};
    let i18n = use_i18n();
    view! {
        <section class="card" aria-labelledby="operator-workspaces">
            <h2 id="operator-workspaces">{t!(i18n, operator_workspaces)}</h2>
            <FormError result fields=&[] />
            <crate::ui::ListTable id="operator-workspace-list" items=workspaces empty=t!(i18n, workspaces_empty) head=view! {
                <th scope="col">{t!(i18n, workspace_name)}</th>
                <th scope="col">{t!(i18n, workspace_settlement)}</th>
                <th scope="col">{t!(i18n, workspace_state)}</th>
                <th scope="col">{t!(i18n, operator_lock_reason)}</th>
            } row=move |w: WorkspaceView| {
                let (state, settlement) = (w.state, w.settlement);
                let locked = state == WorkspaceState::Locked;
                let reason_id = format!("lock-reason-{}", w.id);
                view! {
                    <tr data-workspace=w.workspace_uuid.clone() data-state=state.code()>
                        <td class="wrap">{w.name}<br /><span class="muted">{format!("{} · {}", w.site_code, w.workspace_uuid)}</span></td>
                        <td>{move || settlement_name(i18n.get_locale(), settlement)}</td>
                        <td>{move || state_name(i18n.get_locale(), state)}</td>
                        <td>
                            <ActionForm action attr:class="inline-form">
                                <input type="hidden" name="account_id" value=account.to_string() />
                                <input type="hidden" name="workspace" value=w.id.to_string() />
                                <input type="hidden" name="lock" value=if locked { "no" } else { "yes" } />
                                <label class="visually-hidden" for=reason_id.clone()>{t!(i18n, operator_lock_reason)}</label>
                                <input id=reason_id name="reason" required=true maxlength="200" />
                                <button type="submit" class="button secondary">
                                    {move || if locked { t_string!(i18n, operator_unlock) } else { t_string!(i18n, operator_lock) }}
                                </button>
                            </ActionForm>
                        </td>
                    </tr>
                }
            } />
        </section>
    }
}

#[component]
fn AccountFacts(view: OperatorAccountView) -> impl IntoView {
    let i18n = use_i18n();
    let account = view.account;
    view! {
        <section class="card">
            <h2 id="operator-account-name">{account.company_name}</h2>
            <dl class="facts">
                <dt>"ID"</dt>
                <dd>{account.id}</dd>
                <dt>{t!(i18n, email_label)}</dt>
                <dd>{account.email.unwrap_or_default()}</dd>
                <dt>{t!(i18n, phone_label)}</dt>
                <dd>{account.phone.unwrap_or_default()}</dd>
                <dt>{t!(i18n, currency_label)}</dt>
                <dd>{format!("{} · {}", account.site_code, account.currency)}</dd>
            </dl>
        </section>
        <BalanceFacts balances=view.balances recharge_link=false />
        <section class="card">
            <h2>{t!(i18n, members_title)}</h2>
            <crate::ui::DataTable id="operator-members" head=view! {
                <th scope="col">{t!(i18n, member_label)}</th>
                <th scope="col">{t!(i18n, member_role)}</th>
                <th scope="col">{t!(i18n, member_joined)}</th>
            }>
                {view.members.into_iter().map(|m| {
                    let role = m.role;
                    view! {
                        <tr>
                            <td class="wrap">{m.email.or(m.phone).unwrap_or_default()}</td>
                            <td>{move || crate::team::pages::role_name(i18n.get_locale(), role)}</td>
                            <td>{m.joined_at.text}</td>
                        </tr>
                    }
                }).collect_view()}
            </crate::ui::DataTable>
        </section>
    }
}

#[component]
fn AccountHoldings(view: OperatorAccountView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, vouchers_title)}</h2>
            <VoucherTable vouchers=view.vouchers />
            {view.more_vouchers.then(|| view! { <p class="muted">{t!(i18n, newest_only)}</p> })}
        </section>
        <section class="card">
            <h2>{t!(i18n, cards_title)}</h2>
            <CardTable cards=view.cards />
            {view.more_cards.then(|| view! { <p class="muted">{t!(i18n, newest_only)}</p> })}
        </section>
        <section class="card">
            <h2>{t!(i18n, recent_movements)}</h2>
            <MovementRows rows=view.movements empty=t!(i18n, movements_empty) />
        </section>
    }
}

/// The account's cloud accounts, and the switch that lets any cloud's account pay for its
/// workspaces (by default only an account of each workspace's site's cloud may).
#[component]
fn OperatorCloudAccounts(
    view: OperatorAccountView,
    action: ServerAction<SetAnyCloud>,
    result: FormResult,
) -> impl IntoView {
    let i18n = use_i18n();
    let on = view.any_cloud;
    view! {
        <section class="card" aria-labelledby="operator-cloud-accounts">
            <h2 id="operator-cloud-accounts">{t!(i18n, cloud_accounts_title)}</h2>
            <crate::cloud_accounts::pages::CloudAccountTable rows=view.cloud_accounts.clone() />
            <ActionForm action attr:class="stack narrow">
                <input type="hidden" name="account_id" value=view.account.id.to_string() />
                <input type="hidden" name="on" value=if on { "" } else { "yes" } />
                <p class="muted" id="any-cloud-state" data-on=on.to_string()>
                    {move || if on { t_string!(i18n, operator_any_cloud_on) } else { t_string!(i18n, operator_any_cloud_off) }}
                </p>
                <FormError result fields=&[] />
                <button type="submit" class="button secondary" id="toggle-any-cloud" disabled=move || action.pending().get()>
                    {move || if on { t_string!(i18n, operator_any_cloud_disable) } else { t_string!(i18n, operator_any_cloud_enable) }}
                </button>
            </ActionForm>
        </section>
    }
}
