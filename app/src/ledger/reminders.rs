//! The reminder before a prepaid card expires (spec section 5: an email 3 days before; the
//! number of days is configuration). Runs on the scheduled timer of every replica: a card is
//! claimed by one transaction before its message goes out, so it is reminded once.
use crate::error::AppError;
use crate::money::format_minor_units;
use crate::server::delivery::Message;
use crate::server::state::AppState;
use crate::verification::Channel;
use sqlx::Row;

const DAY: i64 = 86_400_000;

/// Queues the reminder for every active card with money left that expires within the
/// configured days and was not reminded yet, and delivers them. Returns how many were queued.
pub async fn remind_expiring_cards(state: &AppState, now: i64) -> Result<usize, AppError> {
    let within = state.config.funds.card_reminder_days * DAY;
    let due = sqlx::query(
        "SELECT c.id, c.card_no, c.currency, c.expires_at, la.balance, a.email, a.phone \
         FROM prepaid_cards c \
         JOIN billing_accounts a ON a.id = c.billing_account_id \
         JOIN ledger_accounts la ON la.billing_account_id = c.billing_account_id AND la.kind = 'prepaid_card' \
              AND la.instrument_id = c.id AND la.currency = c.currency \
         WHERE c.status = 'active' AND c.reminded_at IS NULL AND c.expires_at > $1 AND c.expires_at <= $2 \
               AND la.balance > 0 \
         ORDER BY c.expires_at LIMIT 500",
    )
    .bind(now)
    .bind(now + within)
    .fetch_all(state.db.pool())
    .await?;
    let mut sent = 0;
    let mut queue = Vec::new();
    for row in due {
        let id: i64 = row.try_get("id")?;
        let email: Option<String> = row.try_get("email")?;
        let phone: Option<String> = row.try_get("phone")?;
        let (channel, to) = match (email, phone) {
            (Some(email), _) => (Channel::Email, email),
            (None, Some(phone)) => (Channel::Sms, phone),
            (None, None) => continue,
        };
        let currency = super::store::row_currency(&row)?;
        let card_no: String = row.try_get("card_no")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let balance = format_minor_units(row.try_get("balance")?, currency);
        let expires = crate::ui::utc_time(expires_at);
        let message = Message {
            channel,
            to,
            subject: format!("Your prepaid card {card_no} expires on {}", &expires[..10]),
            body: format!(
                "{brand}: prepaid card {card_no} still holds {balance} and expires at {expires}. \
                 What is left then is void; it pays your daily charges until then.",
                brand = state.config.brand_name
            ),
        };
        // The claim and the queued message commit together: a process that dies after this
        // leaves a message the timer of any replica still sends.
        let mut tx = state.db.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE prepaid_cards SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        match state.delivery.queue(&mut tx, &message).await {
            Ok(queued) => {
                tx.commit().await?;
                queue.push(queued);
                sent += 1;
            }
            Err(error) => tracing::warn!(%error, card = id, "card expiry reminder cannot be sent"),
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
    use crate::ledger::deduction::issue_prepaid_card;
    use crate::money::Currency;
    use crate::server::db::now_millis;
    use crate::server::testing::{db_test, state_for};

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
        let account = crate::server::demo::seed_account(&db)
            .await
            .expect("account");
        let now = now_millis();
        let mut tx = db.begin_write().await.expect("tx");
        for (days, key) in [(2, "soon"), (10, "later")] {
            issue_prepaid_card(
                &mut tx,
                account,
                Currency::CNY,
                100_00,
                days * DAY,
                "operator:test",
                key,
                now,
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
