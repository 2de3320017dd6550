//! The operator role and what operators do to customers' accounts.
use super::model::{AccountMatch, AccountQuery, OperatorAccountView, ACCOUNTS_PER_PAGE};
use super::store;
use crate::error::AppError;
use crate::funds::cash::{credit_cash, Credit};
use crate::funds::deduction::{
    issue_prepaid_card, issue_voucher, CardIssue, NewVoucher, VoucherKind,
};
use crate::funds::model::BILLING_ITEMS;
use crate::ledger::{LedgerError, Posted};
use crate::messages::Msg;
use crate::money::{parse_amount, to_minor_units, Currency};
use crate::server::db::{now_millis, Db};
use crate::state::AppState;
use crate::team::audit::{self, AuditActor};
use crate::team::model::AuditAction;
use crate::ui::Page;

use crate::time::DAY_MS as DAY;
/// The longest a voucher or card an operator gives may last.
const MAX_VALIDITY_DAYS: i64 = 3 * 365;

/// A signed-in operator: the person, and how the journal names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub user_id: i64,
    /// `operator:<user id>:<email or phone>`, the journal's actor for what they do.
    pub actor: String,
}

impl Operator {
    /// How the customer's audit log records what this operator does to `account`: marked as an
    /// operator's, without their address or network address (the customer's members read the
    /// log; which operator it was stays in `user_id` and the journal's actor).
    pub fn audit(&self, account: i64) -> AuditActor<'_> {
        AuditActor {
            account,
            user: Some(self.user_id),
            who: OPERATOR_IN_AUDIT,
            by_operator: true,
            client_addr: "",
        }
    }
}

/// How a customer's audit log names an operator.
pub const OPERATOR_IN_AUDIT: &str = "Billing Center operator";

/// The operator console's answer to a customer who is not an operator.
pub const OPERATORS_ONLY: Msg = Msg::OperatorsOnly;

/// User `user_id` as an operator, or `Forbidden` when they may not use the console.
pub async fn operator(state: &AppState, user_id: i64) -> Result<Operator, AppError> {
    let user = crate::accounts::service::user(state, user_id).await?;
    if !user.is_operator {
        return Err(AppError::Forbidden(OPERATORS_ONLY));
    }
    let address = user.email.or(user.phone).unwrap_or_default();
    Ok(Operator {
        user_id,
        actor: crate::ledger::Actor::Operator {
            account: user_id,
            email: &address,
        }
        .to_string(),
    })
}

/// Makes the user signed in with `email` an operator (`server operator grant`). Returns
/// the user's id; granting twice changes nothing.
pub async fn grant(db: &Db, email: &str, granted_by: &str) -> Result<i64, AppError> {
    let email = email.trim().to_lowercase();
    let mut tx = db.begin_write().await?;
    let account = store::user_by_email(&mut tx, &email)
        .await?
        .ok_or_else(|| {
            AppError::Rejected(Msg::NoAccountWithEmail {
                email: email.clone(),
            })
        })?;
    store::insert_operator(&mut tx, account, granted_by, now_millis()).await?;
    tx.commit().await?;
    Ok(account)
}

/// Takes the role from the account of `email`; whether it had it.
pub async fn revoke(db: &Db, email: &str) -> Result<bool, AppError> {
    let mut tx = db.begin_write().await?;
    let done = store::delete_operator(&mut tx, &email.trim().to_lowercase()).await?;
    tx.commit().await?;
    Ok(done)
}

/// The longest search an operator may type, in characters.
const SEARCH_MAX: usize = 100;

/// A page of the accounts whose id, email, phone or company name matches the search (all when
/// it is empty), newest first.
pub async fn find_accounts(db: &Db, search: &AccountQuery) -> Result<Page<AccountMatch>, AppError> {
    let query = search.q.trim().to_lowercase();
    if query.chars().count() > SEARCH_MAX {
        return Err(AppError::field(
            "q",
            Msg::SearchTooLong {
                max: SEARCH_MAX.to_string(),
            },
        ));
    }
    let search = store::Search {
        text: &query,
        id: query.parse().unwrap_or(0),
        before: search.before,
        limit: ACCOUNTS_PER_PAGE + 1,
    };
    let mut conn = db.pool().acquire().await?;
    let found = store::find_accounts(&mut conn, search).await?;
    Ok(Page::from_rows(found, ACCOUNTS_PER_PAGE as usize, |a| a.id))
}

/// The account search's CSV columns.
pub const ACCOUNT_CSV_HEADER: [&str; 6] =
    ["id", "company_name", "email", "phone", "site", "currency"];

pub fn account_csv_row(account: &AccountMatch) -> Vec<String> {
    vec![
        account.id.to_string(),
        account.company_name.clone(),
        account.email.clone().unwrap_or_default(),
        account.phone.clone().unwrap_or_default(),
        account.site_code.clone(),
        account.currency.code().to_string(),
    ]
}

/// The customer's account `id` with its balances, instruments and latest movements.
pub async fn account_view(state: &AppState, id: i64) -> Result<OperatorAccountView, AppError> {
    let account = {
        let mut conn = state.db.pool().acquire().await?;
        store::account(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let latest = crate::funds::movements::page(
        &state.db,
        &state.config.time_zone,
        id,
        &crate::funds::movements::MovementFilter::default(),
        None,
        20,
    )
    .await?;
    let vouchers = crate::funds::instruments::vouchers(state, id, &Default::default()).await?;
    let cards = crate::funds::instruments::prepaid_cards(state, id, &Default::default()).await?;
    let members = {
        let mut conn = state.db.pool().acquire().await?;
        crate::team::store::members(&mut conn, &state.config.time_zone, id, 0).await?
    };
    Ok(OperatorAccountView {
        account,
        balances: crate::funds::recharge::balances(state, id).await?,
        vouchers: vouchers.rows,
        more_vouchers: vouchers.next.is_some(),
        cards: cards.rows,
        more_cards: cards.next.is_some(),
        movements: latest.rows,
        members,
        workspaces: crate::workspaces::management::workspaces(state, id, &Default::default())
            .await?
            .rows,
        cloud_accounts: crate::cloud_accounts::listing::cloud_accounts(state, id).await?,
        any_cloud: {
            let mut conn = state.db.pool().acquire().await?;
            crate::workspaces::store::any_cloud(&mut conn, id).await?
        },
    })
}

async fn currency_of(db: &Db, account: i64) -> Result<Currency, AppError> {
    let mut conn = db.pool().acquire().await?;
    let found = store::account(&mut conn, account)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(found.currency)
}

/// The first instant of the day `now` falls on, in the configured zone.
fn today_start(state: &AppState, now: i64) -> i64 {
    let zone = &state.config.time_zone;
    zone.start_of_day(&zone.date(now))
        .unwrap_or(now - now.rem_euclid(DAY))
}

/// A positive amount as typed, at most the configured operator maximum, in minor units.
fn positive_amount(
    state: &AppState,
    field: &str,
    text: &str,
    currency: Currency,
) -> Result<i64, AppError> {
    let amount = parse_amount(text, currency).map_err(|e| AppError::field(field, &e))?;
    let max = state.config.operator_amount_max;
    if amount > rust_decimal::Decimal::from(max) {
        return Err(AppError::field(
            field,
            Msg::OperatorAmountMax {
                max: max.to_string(),
            },
        ));
    }
    let minor = to_minor_units(amount, currency).map_err(|e| AppError::field(field, &e))?;
    if minor <= 0 {
        return Err(AppError::field(field, Msg::AmountNotPositive));
    }
    Ok(minor)
}

/// Billing item codes as typed ("logs, apm_trace"), each checked against the price list's.
pub fn parse_scope(text: &str) -> Result<Vec<String>, AppError> {
    let mut scope: Vec<String> = Vec::new();
    for item in text
        .split([',', ' '])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        if !BILLING_ITEMS.contains(&item.as_str()) {
            return Err(AppError::field(
                "scope",
                Msg::NotABillingItem {
                    item: item.clone(),
                    items: BILLING_ITEMS.join(", "),
                },
            ));
        }
        if !scope.contains(&item) {
            scope.push(item);
        }
    }
    Ok(scope)
}

/// A whole number of days from 1 to the longest allowed.
pub fn parse_days(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_VALIDITY_DAYS).contains(d))
        .ok_or_else(|| {
            AppError::field(
                field,
                Msg::DaysRange {
                    max: MAX_VALIDITY_DAYS.to_string(),
                },
            )
        })
}

fn ledger_refusal(error: LedgerError, field: &str) -> AppError {
    match error {
        LedgerError::KeyReused => AppError::field(field, Msg::AlreadyDone),
        LedgerError::Refused(message) => AppError::field(field, message),
        LedgerError::TooLarge => AppError::field(field, Msg::BalanceTooLarge),
        LedgerError::Database(e) => e.into(),
        other => {
            tracing::error!(error = %other, "operator action failed");
            AppError::Internal
        }
    }
}

/// Batch `batch`'s codes as CSV (code, activated by, activated at), for an operator.
pub async fn codes_csv(
    state: &AppState,
    operator: &Operator,
    batch: i64,
) -> Result<String, AppError> {
    let codes = crate::funds::codes::batch_codes(&state.db, batch).await?;
    tracing::info!(batch, actor = %operator.actor, "voucher codes downloaded");
    use crate::server::csv;
    let mut out = format!(
        "{}{}",
        csv::BOM,
        csv::line(&["code", "activated_by_account", "activated_at"])
    );
    for code in codes {
        out.push_str(&csv::line(&[
            code.code,
            code.redeemed_by
                .map(|id| id.to_string())
                .unwrap_or_default(),
            code.redeemed_at
                .map(|at| crate::time::Zone::utc().format(at))
                .unwrap_or_default(),
        ]));
    }
    Ok(out)
}

/// A bank transfer the operator saw arrive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer<'a> {
    pub amount: &'a str,
    /// The bank's reference for the transfer: one transfer credits once, to one account.
    pub bank_reference: &'a str,
    /// "YYYY-MM-DD", the day it arrived; today when empty.
    pub received_on: &'a str,
}

/// Credits a received bank transfer to cash (arrears first).
pub async fn record_transfer(
    state: &AppState,
    operator: &Operator,
    account: i64,
    transfer: &Transfer<'_>,
) -> Result<(), AppError> {
    let currency = currency_of(&state.db, account).await?;
    let amount = positive_amount(state, "amount", transfer.amount, currency)?;
    // One spelling per transfer: "ab 12" and "AB12" are the same bank reference (and so the
    // same idempotency key).
    let reference: String = transfer
        .bank_reference
        .split_whitespace()
        .collect::<String>()
        .to_uppercase();
    let reference = reference.as_str();
    if reference.is_empty() || reference.chars().count() > 64 {
        return Err(AppError::field("bank_reference", Msg::EnterBankReference));
    }
    let now = now_millis();
    // The day it arrived goes into the reference; the movement itself is dated now, so the
    // journal's order is the order things were recorded in.
    let zone = &state.config.time_zone;
    let received = if transfer.received_on.trim().is_empty() {
        now
    } else {
        zone.start_of_day(transfer.received_on)
            .filter(|day| *day <= now && *day > now - 366 * DAY)
            .ok_or_else(|| AppError::field("received_on", Msg::ReceivedOnDate))?
    };
    let received = &zone.date(received);
    let mut tx = state.db.begin_write().await?;
    // Transfers recorded before references were normalised carry the spelling typed then.
    let typed = format!("bank-transfer:{}", transfer.bank_reference.trim());
    if crate::ledger::store::journal_by_key(&mut tx, &typed)
        .await?
        .is_some()
    {
        return Err(AppError::field(
            "bank_reference",
            Msg::TransferAlreadyRecorded,
        ));
    }
    let posted = credit_cash(
        &mut tx,
        state.db.backend(),
        &Credit {
            account,
            currency,
            amount,
            reference: &format!("bank transfer {reference} received {received}"),
            actor: &operator.actor,
            key: &format!("bank-transfer:{reference}"),
            at: None,
        },
    )
    .await
    .map_err(|e| match e {
        LedgerError::KeyReused => AppError::field("bank_reference", Msg::TransferAlreadyRecorded),
        other => ledger_refusal(other, "amount"),
    })?;
    if let Posted::Repeated(_) = posted {
        return Err(AppError::field(
            "bank_reference",
            Msg::TransferAlreadyRecorded,
        ));
    }
    audit::record(
        &mut tx,
        &operator.audit(account),
        AuditAction::OperatorTransfer,
        &format!(
            "bank transfer {reference}, {}",
            crate::money::format_minor_units(amount, currency)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    state.wakeups.notify(crate::server::jobs::Event::FundsReceived);
    Ok(())
}

/// A voucher an operator gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoucherGrant<'a> {
    /// "regular" or "discount".
    pub kind: &'a str,
    pub amount: &'a str,
    pub validity_days: &'a str,
    pub scope: &'a str,
    /// The form's id: the same form posted twice gives once.
    pub request_id: &'a str,
}

pub async fn give_voucher(
    state: &AppState,
    operator: &Operator,
    account: i64,
    grant: &VoucherGrant<'_>,
) -> Result<i64, AppError> {
    let currency = currency_of(&state.db, account).await?;
    let kind = match grant.kind {
        "regular" => VoucherKind::Regular,
        "discount" => VoucherKind::Discount,
        _ => return Err(AppError::field("kind", Msg::ChooseVoucherKind)),
    };
    let amount = positive_amount(state, "amount", grant.amount, currency)?;
    let days = parse_days("validity_days", grant.validity_days)?;
    let scope = parse_scope(grant.scope)?;
    let scope: Vec<&str> = scope.iter().map(String::as_str).collect();
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let voucher = NewVoucher {
        account,
        currency,
        kind,
        amount,
        // Whole days from the start of today in the reader's zone, so a retried form gives the
        // same voucher and it ends at midnight where the customer reads it.
        expires_at: today_start(state, now) + (days + 1) * DAY,
        scope: &scope,
        actor: &operator.actor,
        key: &format!("operator-voucher:{}", grant.request_id),
        now,
    };
    let id = issue_voucher(&mut tx, &voucher)
        .await
        .map_err(|e| ledger_refusal(e, "amount"))?;
    audit::record(
        &mut tx,
        &operator.audit(account),
        AuditAction::OperatorVoucher,
        &format!(
            "voucher #{id}, {}",
            crate::money::format_minor_units(amount, currency)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Gives a prepaid card of `amount` valid `validity_days` (the configured validity when empty).
pub async fn give_card(
    state: &AppState,
    operator: &Operator,
    account: i64,
    amount: &str,
    validity_days: &str,
    request_id: &str,
) -> Result<i64, AppError> {
    let currency = currency_of(&state.db, account).await?;
    let amount = positive_amount(state, "amount", amount, currency)?;
    let days = if validity_days.trim().is_empty() {
        state.config.funds.card_validity_days
    } else {
        parse_days("validity_days", validity_days)?
    };
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let id = issue_prepaid_card(
        &mut tx,
        &CardIssue {
            account,
            currency,
            amount,
            validity_ms: days * DAY,
            actor: &operator.actor,
            key: &format!("operator-card:{request_id}"),
            now,
        },
    )
    .await
    .map_err(|e| ledger_refusal(e, "amount"))?;
    audit::record(
        &mut tx,
        &operator.audit(account),
        AuditAction::OperatorCard,
        &format!(
            "prepaid card #{id}, {}",
            crate::money::format_minor_units(amount, currency)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A batch of activation codes as the form gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBatchForm<'a> {
    pub currency: &'a str,
    pub amount: &'a str,
    pub quantity: &'a str,
    pub validity_days: &'a str,
    /// "YYYY-MM-DD": the last day codes activate.
    pub codes_expire_on: &'a str,
    pub scope: &'a str,
    pub note: &'a str,
}

pub async fn make_codes(
    state: &AppState,
    operator: &Operator,
    form: &CodeBatchForm<'_>,
) -> Result<i64, AppError> {
    let currency: Currency = form
        .currency
        .parse()
        .map_err(|_| AppError::field("currency", Msg::ChooseCurrency))?;
    let denomination = positive_amount(state, "amount", form.amount, currency)?;
    let quantity: i64 = form
        .quantity
        .trim()
        .parse()
        .map_err(|_| AppError::field("quantity", Msg::EnterCodeQuantity))?;
    let validity_days = parse_days("validity_days", form.validity_days)?;
    let now = now_millis();
    let last_day = state
        .config
        .time_zone
        .day(form.codes_expire_on)
        .filter(|(start, end)| *end > now && *start < now + MAX_VALIDITY_DAYS * DAY)
        .ok_or_else(|| AppError::field("codes_expire_on", Msg::CodesExpireOnDate))?;
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::field("note", Msg::NoteTooLong));
    }
    let batch = crate::funds::codes::NewBatch {
        currency,
        denomination,
        scope: parse_scope(form.scope)?,
        validity_days,
        codes_expire_at: last_day.1,
        quantity,
        note: note.to_string(),
    };
    crate::funds::codes::create_batch(&state.db, &batch, &operator.actor).await
}

/// The longest reason an operator gives for locking or unlocking a workspace.
pub const MAX_LOCK_REASON: usize = 200;

/// An operator locks (`lock`) or unlocks one of the account's workspaces by hand, with a reason
/// that goes into the workspace's history and the customer's audit log. The site hears of it.
pub async fn set_workspace_lock(
    state: &AppState,
    operator: &Operator,
    account: i64,
    workspace: i64,
    lock: bool,
    reason: &str,
) -> Result<(), AppError> {
    use crate::workspaces::model::{LockReason, WorkspaceEventKind};
    use crate::workspaces::store as workspaces;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_LOCK_REASON {
        return Err(AppError::field("reason", Msg::EnterLockReason));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    if workspaces::workspace_of(&mut tx, account, workspace).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let changed = workspaces::set_lock(
        &mut tx,
        account,
        workspace,
        lock.then_some(LockReason::Operator),
        now,
    )
    .await?;
    if !changed {
        return Err(AppError::Rejected(if lock {
            Msg::WorkspaceAlreadyLocked
        } else {
            Msg::WorkspaceNotLocked
        }));
    }
    let (kind, action) = if lock {
        (WorkspaceEventKind::Locked, AuditAction::OperatorWorkspaceLocked)
    } else {
        (WorkspaceEventKind::Unlocked, AuditAction::OperatorWorkspaceUnlocked)
    };
    workspaces::insert_event(
        &mut tx,
        &workspaces::NewEvent {
            workspace,
            account: Some(account),
            kind,
            detail: reason,
            actor: OPERATOR_IN_AUDIT,
            now,
        },
    )
    .await?;
    audit::record(&mut tx, &operator.audit(account), action, reason, now).await?;
    crate::workspaces::webhooks::enqueue(&mut tx, workspace, kind, now).await?;
    if !lock {
        // An operator's lock may have hidden another reason (arrears, a stopped subscription):
        // lifted by hand, the workspace locks again for it.
        crate::workspaces::settlement::lock_if_unpaid(&mut tx, account, workspace, now).await?;
    }
    tx.commit().await?;
    tracing::info!(operator = %operator.actor, account, workspace, lock, "workspace lock set by hand");
    Ok(())

}

/// An operator lets the account settle a workspace through any cloud's account (`on`), or
/// only through an account of the workspace's site's cloud again; journaled in the customer's
/// audit log. Workspaces already paid another cloud's way stay so until they change.
pub async fn set_any_cloud(
    state: &AppState,
    operator: &Operator,
    account: i64,
    on: bool,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    if !crate::cloud_accounts::store::set_any_cloud(&mut tx, account, on, now).await? {
        return Err(AppError::NotFound);
    }
    let detail = if on { "any cloud" } else { "the site's cloud only" };
    audit::record(&mut tx, &operator.audit(account), AuditAction::OperatorAnyCloud, detail, now).await?;
    tx.commit().await?;
    tracing::info!(operator = %operator.actor, account, on, "any-cloud settlement set by hand");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::{db_test, state_for};
    use sqlx::Row;

    async fn operator_and_customer(state: &AppState) -> (Operator, i64) {
        let customer = crate::demo::seed_account(&state.db)
            .await
            .expect("customer");
        let staff = crate::team::testing::another_account(&state.db).await;
        let staff = crate::team::testing::owner_of(&state.db, staff).await;
        assert!(matches!(
            operator(state, staff).await,
            Err(AppError::Forbidden(_))
        ));
        grant(&state.db, "Other@Example.com", "cli")
            .await
            .expect("granted");
        grant(&state.db, "other@example.com", "cli")
            .await
            .expect("twice is fine");
        (operator(state, staff).await.expect("operator"), customer)
    }

    async fn journal_actors(db: &Db, account: i64) -> Vec<(String, String)> {
        sqlx::query("SELECT kind, actor FROM journal_transactions WHERE billing_account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(db.pool())
            .await
            .expect("journal")
            .iter()
            .map(|r| (r.try_get("kind").unwrap(), r.try_get("actor").unwrap()))
            .collect()
    }

    db_test!(
        operators_credit_transfers_and_give_instruments,
        |db| async move {
            let state = state_for(&db).await;
            let (op, customer) = operator_and_customer(&state).await;
            assert!(op.actor.starts_with("operator:") && op.actor.ends_with(":other@example.com"));
            let transfer = Transfer {
                amount: "12,000.50",
                bank_reference: "ICBC-0001",
                received_on: "",
            };
            record_transfer(&state, &op, customer, &transfer)
                .await
                .expect("recorded");
            // The same bank reference never credits twice, to this account or another.
            let again = record_transfer(&state, &op, customer, &transfer).await;
            assert!(
                matches!(again, Err(AppError::Field { ref field, .. }) if field == "bank_reference")
            );
            // Nor under another spelling of the same reference.
            let respelled = Transfer {
                bank_reference: " icbc - 0001 ",
                ..transfer.clone()
            };
            let again = record_transfer(&state, &op, customer, &respelled).await;
            assert!(
                matches!(again, Err(AppError::Field { ref field, .. }) if field == "bank_reference")
            );
            // Above the operator maximum, or an amount that would overflow: refused.
            for amount in ["10,000,001", "92,233,720,368,547,758.07"] {
                let huge = Transfer {
                    amount,
                    bank_reference: "ICBC-HUGE",
                    received_on: "",
                };
                let refused = record_transfer(&state, &op, customer, &huge).await;
                assert!(
                    refused.is_err_and(|e| e.message_for("amount").is_some()),
                    "{amount}"
                );
            }
            let bad = [
                ("0", "R1", "", "amount"),
                ("1.001", "R1", "", "amount"),
                ("10", " ", "", "bank_reference"),
                ("10", "R1", "2020-01-01", "received_on"),
                ("10", "R1", "2999-01-01", "received_on"),
            ];
            for (amount, bank_reference, received_on, field) in bad {
                let refused = record_transfer(
                    &state,
                    &op,
                    customer,
                    &Transfer {
                        amount,
                        bank_reference,
                        received_on,
                    },
                )
                .await;
                assert!(
                    matches!(refused, Err(AppError::Field { field: ref f, .. }) if f == field),
                    "{amount} {bank_reference} {received_on}: {refused:?}"
                );
            }
            let grant = VoucherGrant {
                kind: "regular",
                amount: "300",
                validity_days: "30",
                scope: "logs, apm_trace",
                request_id: "form-1",
            };
            let voucher = give_voucher(&state, &op, customer, &grant)
                .await
                .expect("voucher");
            assert_eq!(
                give_voucher(&state, &op, customer, &grant)
                    .await
                    .expect("retry"),
                voucher
            );
            for (field, bad) in [
                (
                    "scope",
                    VoucherGrant {
                        scope: "beer",
                        ..grant.clone()
                    },
                ),
                (
                    "validity_days",
                    VoucherGrant {
                        validity_days: "0",
                        ..grant.clone()
                    },
                ),
                (
                    "kind",
                    VoucherGrant {
                        kind: "gold",
                        ..grant.clone()
                    },
                ),
            ] {
                let refused = give_voucher(&state, &op, customer, &bad).await;
                assert!(matches!(refused, Err(AppError::Field { field: ref f, .. }) if f == field));
            }
            let card = give_card(&state, &op, customer, "500", "90", "form-2")
                .await
                .expect("card");
            assert_eq!(
                give_card(&state, &op, customer, "500", "90", "form-2")
                    .await
                    .expect("retry"),
                card
            );
            let view = account_view(&state, customer).await.expect("view");
            assert_eq!(view.balances.cash, "¥12,000.50");
            assert_eq!(view.vouchers.len(), 1);
            assert_eq!(view.cards.len(), 1);
            assert_eq!(view.cards[0].balance, "¥500.00");
            // Every movement names the operator who made it.
            let actors = journal_actors(&db, customer).await;
            assert_eq!(actors.len(), 3);
            assert!(actors.iter().all(|(_, actor)| *actor == op.actor));
            assert_eq!(actors[2].0, "card_issue");
            let mut conn = db.pool().acquire().await.expect("conn");
            assert!(crate::ledger::posting::reconcile(&mut conn)
                .await
                .expect("reconcile")
                .is_empty());
            assert!(revoke(&db, "other@example.com").await.expect("revoked"));
            assert!(matches!(
                operator(&state, op.user_id).await,
                Err(AppError::Forbidden(_))
            ));
        }
    );

    db_test!(
        the_configured_email_is_an_operator_and_search_finds_accounts,
        |db| async move {
            let mut state = state_for(&db).await;
            let staff = crate::team::testing::another_account(&db).await;
            let customer = crate::demo::seed_account(&db).await.expect("customer");
            let mut config = (*state.config).clone();
            config.operator_email = Some("OTHER@example.com".to_string());
            state.config = std::sync::Arc::new(config);
            let (staff_user, customer_user) = (
                crate::team::testing::owner_of(&db, staff).await,
                crate::team::testing::owner_of(&db, customer).await,
            );
            operator(&state, staff_user)
                .await
                .expect("configured operator");
            assert!(operator(&state, customer_user).await.is_err());
            let search = |q: &str| {
                let (db, query) = (
                    db.clone(),
                    AccountQuery {
                        q: q.to_string(),
                        before: None,
                    },
                );
                async move { find_accounts(&db, &query).await.expect("search").rows }
            };
            let found = search("DEMO@").await;
            assert_eq!(
                found.iter().map(|a| a.id).collect::<Vec<_>>(),
                vec![customer]
            );
            let by_id = search(&staff.to_string()).await;
            assert!(by_id.iter().any(|a| a.id == staff));
            assert_eq!(search("").await.len(), 2);
            assert!(search("%").await.is_empty());
            // Paging walks on from the cursor: the older account only.
            let older = find_accounts(
                &db,
                &AccountQuery {
                    q: String::new(),
                    before: Some(customer.max(staff)),
                },
            )
            .await
            .expect("older");
            assert_eq!(
                older.rows.iter().map(|a| a.id).collect::<Vec<_>>(),
                vec![customer.min(staff)]
            );
            assert!(matches!(
                account_view(&state, 999_999).await,
                Err(AppError::NotFound)
            ));
        }
    );

    db_test!(operators_lock_and_unlock_a_workspace_with_a_reason, |db| async move {
        use crate::workspaces::model::{WorkspaceEventKind, WorkspaceState};
        let state = state_for(&db).await;
        let (op, customer) = operator_and_customer(&state).await;
        let workspaces = crate::workspaces::management::workspaces(&state, customer, &Default::default())
            .await
            .expect("demo workspaces");
        let first = workspaces.rows[0].id;
        assert!(matches!(
            set_workspace_lock(&state, &op, customer, first, true, "  ").await,
            Err(AppError::Field { ref field, .. }) if field == "reason"
        ));
        let other = crate::team::testing::account_owned_by(&db, "Third Co.", "third@example.com").await.0;
        assert_eq!(
            set_workspace_lock(&state, &op, other, first, true, "fraud check").await,
            Err(AppError::NotFound)
        );
        set_workspace_lock(&state, &op, customer, first, true, "fraud check").await.expect("locked");
        assert_eq!(
            set_workspace_lock(&state, &op, customer, first, true, "again").await,
            Err(AppError::Rejected(Msg::WorkspaceAlreadyLocked))
        );
        let detail = crate::workspaces::management::detail(&state, customer, first).await.expect("detail");
        assert_eq!(detail.workspace.state, WorkspaceState::Locked);
        assert_eq!(detail.events[0].kind, WorkspaceEventKind::Locked);
        assert_eq!(detail.events[0].detail, "fraud check");
        set_workspace_lock(&state, &op, customer, first, false, "checked").await.expect("unlocked");
        let detail = crate::workspaces::management::detail(&state, customer, first).await.expect("detail");
        assert_eq!(detail.workspace.state, WorkspaceState::Normal);
        let actions: Vec<String> = sqlx::query(
            "SELECT action FROM audit_events WHERE billing_account_id = $1 AND action LIKE 'operator_workspace%' ORDER BY id",
        )
        .bind(customer)
        .fetch_all(db.pool())
        .await
        .expect("audit")
        .iter()
        .map(|r| r.try_get("action").unwrap())
        .collect();
        assert_eq!(actions, ["operator_workspace_locked", "operator_workspace_unlocked"]);
    });
}
