//! Demo data for `--demo`: a billing account with bound workspaces, so a fresh install has
//! something to look at. Safe to run on every start: it only adds what is missing.
use crate::server::db::{now_millis, Db};

pub const DEMO_COMPANY: &str = "Demo Observability Co., Ltd.";
/// How to sign in to the demo account (documented in the README).
pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "demo billing center";

/// (workspace ID, name, site) of the demo account's workspaces.
const DEMO_WORKSPACES: &[(&str, &str, &str)] = &[
    ("wksp_demo_production", "Production", "CN1"),
    ("wksp_demo_staging", "Staging", "CN2"),
    ("wksp_demo_mobile", "Mobile apps", "CN4"),
];

/// Adds the demo billing account, its workspaces and its money history where missing.
/// Returns the account's id.
pub async fn seed(db: &Db) -> Result<i64, sqlx::Error> {
    let account_id = seed_account(db).await?;
    seed_funds(db, account_id)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("demo funds: {e}")))?;
    Ok(account_id)
}

/// The demo billing account and its workspaces only, in one transaction (tests start from it).
pub async fn seed_account(db: &Db) -> Result<i64, sqlx::Error> {
    let password_hash = crate::accounts::password::hash(DEMO_PASSWORD.to_string())
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    // Found by its user's fixed address (a company name is something any customer can choose),
    // whatever their role there now: the demo user may have handed the account over.
    let address =
        crate::contact::Address::stored(crate::contact::Channel::Email, DEMO_EMAIL.to_string());
    let user = crate::accounts::store::find_by_address(&mut tx, &address).await?;
    let existing = match &user {
        Some(user) => crate::team::store::memberships(&mut tx, user.id)
            .await?
            .into_iter()
            .find(|m| m.company_name == DEMO_COMPANY)
            .map(|m| m.account_id),
        None => None,
    };
    let account = crate::accounts::store::NewAccount {
        company_name: DEMO_COMPANY,
        site_code: "CN1",
        currency: "CNY",
    };
    let now = now_millis();
    let account_id: i64 = match (existing, user) {
        (Some(account_id), _) => account_id,
        (None, Some(user)) => {
            let account_id = crate::accounts::store::insert_account(&mut tx, &account, now).await?;
            crate::team::store::insert_membership(
                &mut tx,
                account_id,
                user.id,
                crate::team::model::Role::Owner,
                now,
            )
            .await?;
            account_id
        }
        (None, None) => {
            crate::accounts::service::insert_account_with_owner(
                &mut tx,
                &account,
                &address,
                Some(&password_hash),
                now,
            )
            .await?
            .0
        }
    };
    for (workspace_uuid, name, site) in DEMO_WORKSPACES {
        sqlx::query(
            "INSERT INTO workspaces (workspace_uuid, name, site_code, billing_account_id, created_at, bound_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (site_code, workspace_uuid) DO NOTHING",
        )
        .bind(*workspace_uuid)
        .bind(*name)
        .bind(*site)
        .bind(account_id)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(account_id)
}

/// The demo account's money, made through the ledger's own operations so it reconciles like
/// real data: a recharge, a voucher and a prepaid card (with its discount voucher). Every step
/// has its own key, so a second run adds nothing. The charges come from usage
/// ([`seed_usage`]).
async fn seed_funds(db: &Db, account: i64) -> Result<(), crate::ledger::posting::LedgerError> {
    use crate::funds::cash::{credit_cash, Credit};
    use crate::funds::deduction::{
        buy_prepaid_card, issue_voucher, CardPurchase, NewVoucher, VoucherKind,
    };
    use crate::money::Currency;
    use crate::time::DAY_MS as DAY;
    const DAYS: i64 = 90;
    // Whole days, so the history does not shift by the minute between runs.
    let today = now_millis() / DAY * DAY;
    let start = today - DAYS * DAY;
    let (backend, cny) = (db.backend(), Currency::CNY);
    let mut tx = db.begin_write().await?;
    credit_cash(
        &mut tx,
        backend,
        &Credit {
            account,
            currency: cny,
            amount: 20_000_00,
            reference: "bank transfer 2026-001",
            actor: "operator:demo",
            key: "demo:recharge:1",
            at: Some(start),
        },
    )
    .await?;
    issue_voucher(
        &mut tx,
        &NewVoucher {
            account,
            currency: cny,
            kind: VoucherKind::Regular,
            amount: 800_00,
            expires_at: today + 60 * DAY,
            scope: &[],
            actor: "operator:demo",
            key: "demo:voucher:1",
            now: start + DAY,
        },
    )
    .await?;
    buy_prepaid_card(
        &mut tx,
        backend,
        &CardPurchase {
            account,
            currency: cny,
            amount_major: 10_000,
            policy: &crate::funds::model::FundsPolicy::default(),
            key: "demo:card:1",
            now: start + 2 * DAY,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The workspaces whose usage the demo reports, with how busy each is (percent).
const DEMO_USAGE: &[(&str, &str, u64)] = &[
    ("wksp_demo_production", "CN1", 100),
    ("wksp_demo_staging", "CN2", 30),
];

/// The demo's usage: 90 days of the simulator's hourly usage of two workspaces, taken in
/// through the ingestion API's own code path signed as their sites, then rated by the rating
/// run, so every charge the demo shows was rated and deducted as real usage is. Record ids are
/// fixed by hour, so a second start sends only duplicates (and the hours since).
pub async fn seed_usage(state: &crate::state::AppState) -> Result<u64, String> {
    let now = state.clock.now();
    for (_, site, _) in DEMO_USAGE {
        crate::workspaces::simulator::ensure_key(&state.db, state.site_key_secret.expose(), site, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Whole days before today in the site's zone, as the history of a steady customer.
    let days = 90;
    let mut accepted = 0;
    for (workspace, site, scale) in DEMO_USAGE {
        let records = crate::metering::simulator::usage(workspace, days, now, *scale);
        let answer = crate::metering::simulator::ingest_here(state, site, records)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(refused) = answer.refused.first() {
            tracing::warn!(count = answer.refused.len(), first = %refused.reason, "demo usage records refused");
        }
        accepted += answer.accepted.len() as u64;
    }
    crate::metering::run::rate_due(state, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;
    use sqlx::Row;

    db_test!(seeding_twice_adds_nothing_more, |db| async move {
        let first = seed(&db).await.expect("first seed");
        let second = seed(&db).await.expect("second seed");
        assert_eq!(first, second);
        let count = |table: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                    .fetch_one(db.pool())
                    .await
                    .and_then(|row| row.try_get::<i64, _>("n"))
                    .expect("count")
            }
        };
        assert_eq!(count("billing_accounts").await, 1);
        // The demo user handed the account over: seeding again still finds it.
        sqlx::query("UPDATE memberships SET role = 'viewer'")
            .execute(db.pool())
            .await
            .expect("stepped down");
        assert_eq!(seed(&db).await.expect("third seed"), first);
        assert_eq!(count("users").await, 1);
        let state = crate::server::testing::state_for(&db).await;
        let address = crate::verification::Address::email(DEMO_EMAIL).expect("valid");
        let client = crate::accounts::service::Client::default();
        crate::accounts::service::sign_in_with_password(
            &state,
            &address,
            DEMO_PASSWORD.to_string(),
            &client,
        )
        .await
        .expect("the demo account signs in");
        assert_eq!(count("workspaces").await, DEMO_WORKSPACES.len() as i64);
    });
}
