//! Registering a billing account with a code.
#[allow(unused_imports)]
use super::*;

/// What the registration form carries, already parsed where parsing cannot fail later.
pub struct Registration {
    pub address: Address,
    pub code: String,
    pub company_name: String,
    pub site_code: String,
    pub password: Option<String>,
}

/// Creates the account (currency from its site) and signs it in.
pub async fn register(
    state: &AppState,
    form: Registration,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let company =
        company_name(&form.company_name).map_err(|m| AppError::field("company_name", m))?;
    let password = form.password.filter(|p| !p.is_empty());
    if let Some(password) = &password {
        password::check_new_password(password).map_err(|p| AppError::field("password", &p))?;
    }
    let currency = {
        let mut conn = state.db.pool().acquire().await?;
        store::site_currency(&mut conn, &form.site_code)
            .await?
            .ok_or_else(|| AppError::field("site_code", Msg::ChooseSite))?
    };
    let now = now_millis();
    let code = check_code(state, &form.address, Purpose::Register, &form.code, now).await?;
    let password_hash = match password {
        Some(password) => Some(password::hash(password).await?),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    use_code(state, &mut tx, code, now).await?;
    if store::find_by_address(&mut tx, &form.address)
        .await?
        .is_some()
    {
        // Only someone who holds the address learns this: they just proved it with a code.
        return Err(AppError::field("address", Msg::AccountExists));
    }
    let account = store::NewAccount {
        company_name: &company,
        site_code: &form.site_code,
        currency: &currency,
        address: &form.address,
        password_hash: password_hash.as_deref(),
    };
    let account_id = store::insert_account(&mut tx, &account, now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::REGISTERED,
        "",
        &client.addr,
        now,
    )
    .await?;
    let signed_in = start_session(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}
