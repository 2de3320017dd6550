//! Asking for a verification code: a code, a notice, or nothing, with the same answer whichever.
#[allow(unused_imports)]
use super::*;
use crate::verification::service::CodeRequest;

/// Sends a code for `purpose` to `address`. The answer is the same whether or not the address
/// has an account: codes to sign in or reset go only to known addresses, and someone registering
/// an address that already has an account gets a notice instead of a code.
pub async fn request_code(
    state: &AppState,
    address: &Address,
    purpose: Purpose,
    client: &Client,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let account = store::find_by_address(&mut tx, address).await?;
    if account.is_none() {
        // Only a registration sends to an address no account has yet.
        check_country(state, address)?;
    }
    let brand = &state.config.brand_name;
    let queued = match (purpose, &account) {
        (Purpose::Register, Some(_)) => {
            let notice = Message {
                channel: address.channel(),
                to: address.as_str().to_string(),
                subject: format!("{brand}: you already have an account"),
                body: format!(
                    "Someone tried to register a {brand} billing account with this address, which already \
                     has one. If it was you, sign in instead. 此地址已注册{brand}费用中心账号，请直接登录。"
                ),
            };
            notice_instead_of_code(state, &mut tx, address, purpose, client, &notice, now).await?
        }
        (Purpose::SignIn | Purpose::ResetPassword, None) => {
            state
                .verifier
                .send_nothing(&mut tx, address, purpose, &client.addr, now)
                .await
                .map_err(send_error)?;
            None
        }
        _ => Some(
            state
                .verifier
                .send(
                    &mut tx,
                    (&state.delivery, brand),
                    &CodeRequest {
                        address: address,
                        purpose,
                        client_addr: &client.addr,
                        now,
                    },
                )
                .await
                .map_err(send_error)?,
        ),
    };
    let user_id = account.map(|a| a.id);
    store::log_event(
        &mut tx,
        user_id,
        SecurityEventKind::CodeRequested,
        purpose.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    // Delivered beside the answer, not before it: whether (and how slowly, or how badly) a
    // message goes out must not tell the asker whether the address has an account. The queue
    // keeps what this could not send for the timer.
    // (The development outbox is a local write, as quick either way; there it is awaited, so
    // the code is on the outbox page by the time the answer arrives.)
    let deliver = {
        let state = state.clone();
        async move {
            let _ = state.delivery.deliver(&state.db, queued.as_slice()).await;
        }
    };
    if state.delivery.outbox_enabled() {
        deliver.await;
    } else {
        tokio::spawn(deliver);
    }
    Ok(())
}

/// Where a code must not go (the address belongs to someone else), a notice goes instead,
/// under the same limits as a code: the asker learns nothing they would not from registering.
pub(super) async fn notice_instead_of_code(
    state: &AppState,
    conn: &mut AnyConnection,
    address: &Address,
    purpose: Purpose,
    client: &Client,
    notice: &Message,
    now: i64,
) -> Result<Option<Queued>, AppError> {
    state
        .verifier
        .send_nothing(conn, address, purpose, &client.addr, now)
        .await
        .map_err(send_error)?;
    let queued = state
        .delivery
        .queue(conn, notice)
        .await
        .map_err(|e| send_error(SendError::Delivery(e)))?;
    Ok(Some(queued))
}
