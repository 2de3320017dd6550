//! Test helpers of team access: billing accounts with their Owners.
use crate::server::db::Db;

/// A second customer (its Owner signs in as `other@example.com`, CNY), besides the demo
/// account.
pub async fn another_account(db: &Db) -> i64 {
    account_owned_by(db, "Other Co.", "other@example.com")
        .await
        .0
}

/// The (first) Owner of `account`.
pub async fn owner_of(db: &Db, account: i64) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "SELECT user_id FROM memberships WHERE billing_account_id = $1 AND role = 'owner' \
         ORDER BY created_at, user_id LIMIT 1",
    )
    .bind(account)
    .fetch_one(db.pool())
    .await
    .and_then(|row| row.try_get("user_id"))
    .expect("an owner")
}

/// A new CNY billing account named `company` whose Owner (without a password) signs in with
/// `email`: (account id, user id).
pub async fn account_owned_by(db: &Db, company: &str, email: &str) -> (i64, i64) {
    let mut tx = db.begin_write().await.expect("tx");
    let address = crate::contact::Address::email(email).expect("email");
    let account = crate::accounts::store::NewAccount {
        company_name: company,
        site_code: "CN1",
        currency: "CNY",
    };
    let ids =
        crate::accounts::service::insert_account_with_owner(&mut tx, &account, &address, None, 0)
            .await
            .expect("account");
    tx.commit().await.expect("commit");
    ids
}

/// The (first) Owner of `account` as a caller of server functions.
pub async fn owner_caller(db: &Db, account: i64) -> crate::accounts::caller::Caller {
    let user = owner_of(db, account).await;
    let who: (Option<String>,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(db.pool())
        .await
        .expect("user");
    crate::accounts::caller::Caller {
        session_id: 0,
        user_id: user,
        account_id: account,
        role: crate::team::model::Role::Owner,
        who: who.0.unwrap_or_default(),
    }
}
