//! The reminder before a prepaid card expires (spec section 5: an email 3 days before; the
//! number of days is configuration). Runs on the scheduled timer of every replica: a card is
//! claimed by one transaction before its message goes out, so it is reminded once. Reminders go
//! to the members who handle money (Owners and Finance).
use super::store;
use crate::error::AppError;
use crate::money::format_minor_units;
use crate::server::delivery::Message;
use crate::state::AppState;
use crate::time::DAY_MS as DAY;
use crate::verification::Address;

/// Queues the reminder for every active card with money left that expires within the
/// configured days and was not reminded yet, and delivers them. Returns how many were queued.
pub async fn remind_expiring_cards(state: &AppState, now: i64) -> Result<usize, AppError> {
    let within = state.config.funds.card_reminder_days * DAY;
    let due = {
        let mut conn = state.db.pool().acquire().await?;
        store::cards_to_remind(&mut conn, now, now + within).await?
    };
    let mut sent = 0;
    let mut queue = Vec::new();
    for card in due {
        let store::CardToRemind {
            id,
            card_no,
            currency,
            expires_at,
            balance,
            billing_account_id,
        } = card;
        let balance = format_minor_units(balance, currency);
        let expires = state.config.time_zone.stamp(expires_at);
        let message = |address: &Address| Message {
            channel: address.channel(),
            to: address.as_str().to_string(),
            subject: format!("Your prepaid card {card_no} expires on {}", expires.date()),
            body: format!(
                "{brand}: prepaid card {card_no} still holds {balance} and expires at {expires}. \
                 What is left then is void; it pays your daily charges until then.",
                brand = state.config.brand_name
            ),
        };
        // The claim and the queued messages commit together: a process that dies after this
        // leaves messages the timer of any replica still sends.
        let mut tx = state.db.begin_write().await?;
        if !store::claim_reminder(&mut tx, id, now).await? {
            continue;
        }
        let to = crate::team::service::money_notice_addresses(&mut tx, billing_account_id).await?;
        let mut queued = Vec::new();
        for address in &to {
            match state.delivery.queue(&mut tx, &message(address)).await {
                Ok(one) => queued.push(one),
                Err(error) => {
                    tracing::warn!(%error, card = id, "card expiry reminder cannot be sent")
                }
            }
        }
        if !queued.is_empty() {
            tx.commit().await?;
            queue.extend(queued);
            sent += 1;
        }
    }
    if let Err(error) = state.delivery.deliver(&state.db, &queue).await {
        tracing::warn!(%error, "card expiry reminders queued; delivery is retried");
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::deduction::{issue_prepaid_card, CardIssue};
    use crate::money::Currency;
    use crate::server::db::now_millis;
    use crate::server::testing::{db_test, state_for};
    use sqlx::Row;

    async fn outbox(state: &AppState) -> Vec<String> {
        sqlx::query("SELECT subject FROM outbox_messages WHERE subject LIKE 'Your prepaid card%' ORDER BY id")
            .fetch_all(state.db.pool())
            .await
            .expect("outbox")
            .iter()
            .map(|row| row.try_get("subject").expect("subject"))
            .collect()
    }

    db_test!(cards_about_to_expire_are_reminded_once, |db| async move {
        let state = state_for(&db).await;
        let account = crate::demo::seed_account(&db).await.expect("account");
        let now = now_millis();
        let mut tx = db.begin_write().await.expect("tx");
        for (days, key) in [(2, "soon"), (10, "later")] {
            issue_prepaid_card(
                &mut tx,
                &CardIssue {
                    account,
                    currency: Currency::CNY,
                    amount: 100_00,
                    validity_ms: days * DAY,
                    actor: "operator:test",
                    key,
                    now,
                },
            )
            .await
            .expect("card");
        }
        tx.commit().await.expect("commit");
        assert_eq!(remind_expiring_cards(&state, now).await.expect("run"), 1);
        assert_eq!(remind_expiring_cards(&state, now).await.expect("again"), 0);
        let subjects = outbox(&state).await;
        assert_eq!(subjects.len(), 1);
        // Eight days on, the other card's turn comes.
        assert_eq!(
            remind_expiring_cards(&state, now + 8 * DAY)
                .await
                .expect("later"),
            1
        );
        assert_eq!(outbox(&state).await.len(), 2);
    });
}
