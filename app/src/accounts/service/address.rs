//! Changing the email or phone in four steps: prove the current address, then the new one.
#[allow(unused_imports)]
use super::*;
use crate::verification::service::CodeRequest;

/// The address that proves the account holder before `channel` changes: the current address on
/// that channel, or, when the account has none there yet, the one on the other channel.
pub(super) fn proof_address(
    profile: &store::UserRow,
    channel: Channel,
) -> Result<(Address, Purpose), AppError> {
    let email = profile
        .email
        .clone()
        .map(|e| Address::stored(Channel::Email, e));
    let phone = profile
        .phone
        .clone()
        .map(|p| Address::stored(Channel::Sms, p));
    let (first, second) = match channel {
        Channel::Email => (email, phone),
        Channel::Sms => (phone, email),
    };
    let address = first.or(second).ok_or(AppError::Internal)?;
    let purpose = match address.channel() {
        Channel::Email => Purpose::VerifyCurrentEmail,
        Channel::Sms => Purpose::VerifyCurrentPhone,
    };
    Ok((address, purpose))
}

/// Step 1 of changing an email or phone: a code to the current address.
pub async fn send_current_code(
    state: &AppState,
    user_id: i64,
    channel: Channel,
    client: &Client,
) -> Result<(), AppError> {
    let (address, purpose) = proof_address(&user(state, user_id).await?, channel)?;
    request_code(state, &address, purpose, client).await
}

/// Step 2: the code from the current address; this session may then set a new address.
pub async fn prove_current(
    state: &AppState,
    user_id: i64,
    session_id: i64,
    channel: Channel,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let (address, purpose) = proof_address(&user(state, user_id).await?, channel)?;
    let now = now_millis();
    let tx = state.db.begin_write().await?;
    let mut tx = consume_code(state, tx, &address, purpose, code, now).await?;
    store::set_proof(&mut tx, session_id, Some(channel), now).await?;
    store::log_event(
        &mut tx,
        Some(user_id),
        SecurityEventKind::CurrentAddressVerified,
        channel.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn require_proof(
    conn: &mut AnyConnection,
    session_id: i64,
    channel: Channel,
    now: i64,
) -> Result<(), AppError> {
    match store::proof_at(conn, session_id, channel).await? {
        Some(at) if now - at < PROOF_VALID_MS => Ok(()),
        _ => Err(AppError::Rejected(Msg::ConfirmCurrentAddressFirst)),
    }
}

pub(super) fn new_address_purpose(address: &Address) -> Purpose {
    match address.channel() {
        Channel::Email => Purpose::VerifyNewEmail,
        Channel::Sms => Purpose::VerifyNewPhone,
    }
}

/// Addresses one account may try as its new address per day: trying addresses is how someone
/// would find out which belong to an account.
pub const NEW_ADDRESSES_PER_DAY: i64 = 10;

/// Step 3: a code to the new address. When the address belongs to another account, that
/// address gets a notice instead and the answer is the same as for a free one (the confirm step
/// then fails like a wrong code): this step tells no more than registering would.
pub async fn send_new_code(
    state: &AppState,
    user_id: i64,
    session_id: i64,
    new_address: &Address,
    client: &Client,
) -> Result<(), AppError> {
    check_country(state, new_address)?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    require_proof(&mut tx, session_id, new_address.channel(), now).await?;
    let owner = store::find_by_address(&mut tx, new_address).await?;
    if owner.as_ref().is_some_and(|owner| owner.id == user_id) {
        return Err(AppError::field("address", Msg::AlreadyYourAddress));
    }
    let tries = Limit::new(
        format!("new-address:{user_id}"),
        NEW_ADDRESSES_PER_DAY,
        DAY_MS,
    );
    if let Err(reached) = limits::take(&mut tx, &tries, now).await? {
        return Err(AppError::throttled(
            "address",
            Msg::TooManyNewAddresses,
            reached.seconds(),
        ));
    }
    let brand = &state.config.brand_name;
    let purpose = new_address_purpose(new_address);
    let queued = match owner {
        Some(_) => {
            let notice = Message {
                channel: new_address.channel(),
                to: new_address.as_str().to_string(),
                subject: format!("{brand}: someone tried to use your address"),
                body: format!(
                    "Someone tried to make this address the sign-in address of another {brand} \
                     billing account. It stays with your account; nothing changed. \
                     有人尝试将此地址绑定到另一个{brand}费用中心账号，您的账号未受影响。"
                ),
            };
            notice_instead_of_code(state, &mut tx, new_address, purpose, client, &notice, now)
                .await?
        }
        None => Some(
            state
                .verifier
                .send(
                    &mut tx,
                    (&state.delivery, brand),
                    &CodeRequest {
                        address: new_address,
                        purpose,
                        client_addr: &client.addr,
                        now,
                    },
                )
                .await
                .map_err(send_error)?,
        ),
    };
    store::log_event(
        &mut tx,
        Some(user_id),
        SecurityEventKind::CodeRequested,
        purpose.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    deliver(state, queued.as_slice()).await
}

/// Step 4: the code from the new address sets it. The old address is told, every other session
/// ends and this one is renewed.
pub async fn change_address(
    state: &AppState,
    user_id: i64,
    session_id: i64,
    new_address: &Address,
    code: &str,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let old = user(state, user_id).await?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    require_proof(&mut tx, session_id, new_address.channel(), now).await?;
    let mut tx = consume_code(
        state,
        tx,
        new_address,
        new_address_purpose(new_address),
        code,
        now,
    )
    .await?;
    if store::find_by_address(&mut tx, new_address)
        .await?
        .is_some()
    {
        return Err(AppError::field("address", Msg::AddressTaken));
    }
    store::set_address(&mut tx, user_id, new_address).await?;
    let mut notice_queued = None;
    let (old_value, kind, what) = match new_address.channel() {
        Channel::Email => (old.email, SecurityEventKind::EmailChanged, "email address"),
        Channel::Sms => (old.phone, SecurityEventKind::PhoneChanged, "mobile number"),
    };
    if let Some(old_value) = old_value {
        let brand = &state.config.brand_name;
        let notice = Message {
            channel: new_address.channel(),
            to: old_value,
            subject: format!("{brand}: your sign-in {what} was changed"),
            body: format!(
                "The {what} of your {brand} billing account was changed to {}. It no longer signs in \
                 with this one. If you did not do this, contact support at once. \
                 您的{brand}费用中心账号登录地址已变更。如非本人操作，请立即联系客服。",
                new_address.masked()
            ),
        };
        notice_queued = state.delivery.queue(&mut tx, &notice).await.ok();
    }
    store::log_event(
        &mut tx,
        Some(user_id),
        kind,
        &new_address.masked(),
        &client.addr,
        now,
    )
    .await?;
    let signed_in = rotate_sessions(&mut tx, user_id, client, now).await?;
    tx.commit().await?;
    // The change is made; a notice that is late is retried by the timer.
    let _ = state
        .delivery
        .deliver(&state.db, notice_queued.as_slice())
        .await;
    Ok(signed_in)
}
