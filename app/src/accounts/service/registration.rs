//! Registering a billing account with a code.
#[allow(unused_imports)]
use super::*;
use crate::team::model::Role;

/// What the registration form carries, already parsed where parsing cannot fail later.
pub struct Registration {
    pub address: Address,
    pub code: String,
    pub company_name: String,
    pub site_code: String,
    pub password: Option<String>,
}

/// Creates the billing account (currency from its site) with the registering user as its Owner,
/// and signs them in.
pub async fn register(
    state: &AppState,
    form: Registration,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let company =
        company_name(&form.company_name).map_err(|m| AppError::field("company_name", m))?;
    let currency = {
        let mut conn = state.db.pool().acquire().await?;
        store::site_currency(&mut conn, &form.site_code)
            .await?
            .ok_or_else(|| AppError::field("site_code", Msg::ChooseSite))?
    };
    let account = store::NewAccount {
        company_name: &company,
        site_code: &form.site_code,
        currency: &currency,
    };
    register_user(
        state,
        &form.address,
        &form.code,
        form.password,
        client,
        async |tx, user, now| {
            let account_id = store::insert_account(tx, &account, now).await?;
            crate::team::store::insert_membership(tx, account_id, user, Role::Owner, now).await?;
            Ok(())
        },
    )
    .await
}

/// Creates a user with a code sent to `address`, and in the same transaction lets `join` make
/// them a member (of the account they register, or the one whose invitation they accept); then
/// signs them in, acting in that account. The password is checked before the code is used, and
/// the code before argon2 runs.
pub async fn register_user(
    state: &AppState,
    address: &Address,
    code: &str,
    password: Option<String>,
    client: &Client,
    join: impl AsyncFnOnce(&mut AnyConnection, i64, i64) -> Result<(), AppError>,
) -> Result<SignedIn, AppError> {
    let password = password.filter(|p| !p.is_empty());
    if let Some(password) = &password {
        password::check_new_password(password).map_err(|p| AppError::field("password", &p))?;
    }
    let now = now_millis();
    let checked = check_code(state, address, Purpose::Register, code, now).await?;
    let password_hash = match password {
        Some(password) => Some(password::hash(password).await?),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    use_code(state, &mut tx, checked, now).await?;
    if store::find_by_address(&mut tx, address).await?.is_some() {
        return Err(AppError::field("address", Msg::AccountExists));
    }
    let user_id = store::insert_user(&mut tx, address, password_hash.as_deref(), now).await?;
    store::log_event(
        &mut tx,
        Some(user_id),
        SecurityEventKind::Registered,
        "",
        &client.addr,
        now,
    )
    .await?;
    join(&mut tx, user_id, now).await?;
    let signed_in = start_session(&mut tx, user_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// A new billing account and its first user, its Owner: (account id, user id).
pub async fn insert_account_with_owner(
    conn: &mut AnyConnection,
    account: &store::NewAccount<'_>,
    address: &Address,
    password_hash: Option<&str>,
    now: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let account_id = store::insert_account(conn, account, now).await?;
    let user_id = store::insert_user(conn, address, password_hash, now).await?;
    crate::team::store::insert_membership(conn, account_id, user_id, Role::Owner, now).await?;
    Ok((account_id, user_id))
}
