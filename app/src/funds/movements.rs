//! Income & expenditure: the movements of an account's holdings, newest first, filtered by
//! time range and kind, read by keyset (the id of the last row seen), so the thousandth page
//! costs what the first does.
use super::model::{Movement, MovementPage};
use crate::money::format_minor_units;
use crate::server::db::Db;
use crate::time::Zone;

/// What the list is narrowed to: [from, to) in Unix milliseconds, and a journal kind ("" for
/// all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MovementFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub kind: String,
}

/// Up to `limit` movements older than `before` (a row id; `None` for the newest), with times
/// in `zone`.
pub async fn page(
    db: &Db,
    zone: &Zone,
    account: i64,
    filter: &MovementFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<MovementPage, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rows = super::store::movements(&mut conn, account, filter, before, limit + 1).await?;
    let movements: Vec<Movement> = rows
        .into_iter()
        .map(|row| {
            let sign = if row.amount > 0 { "+" } else { "" };
            Movement {
                id: row.id,
                created_at: zone.stamp(row.created_at),
                kind: row.kind,
                holding: row.holding,
                instrument_id: row.instrument_id,
                amount: format!("{sign}{}", format_minor_units(row.amount, row.currency)),
                reference: row.reference,
            }
        })
        .collect();
    Ok(MovementPage::from_rows(movements, limit as usize, |m| m.id))
}

pub const CSV_HEADER: [&str; 6] = [
    "time_utc",
    "type",
    "holding",
    "instrument",
    "amount",
    "reference",
];

/// A movement as a CSV row. Exports keep UTC, as the header says, so files from different
/// zones join and sort alike.
pub fn csv_row(movement: &Movement) -> Vec<String> {
    vec![
        Zone::utc().format(movement.created_at.ms),
        movement.kind.code().to_string(),
        movement.holding.code().to_string(),
        movement.instrument_id.to_string(),
        movement.amount.clone(),
        movement.reference.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::cash::Credit;
    use crate::funds::deduction::{deduct, Charge};
    use crate::money::Currency;
    use crate::server::testing::db_test;

    db_test!(pages_walk_back_by_keyset_and_filter, |db| async move {
        let account = crate::demo::seed_account(&db).await.expect("account");
        for i in 0..7 {
            let mut tx = db.begin_write().await.expect("tx");
            let key = format!("r-{i}");
            crate::funds::cash::credit_cash(
                &mut tx,
                db.backend(),
                &Credit {
                    account,
                    currency: Currency::CNY,
                    amount: 100 + i,
                    reference: &key,
                    actor: crate::ledger::Actor::SYSTEM,
                    key: &key,
                    at: None,
                },
            )
            .await
            .expect("credit");
            let charge = Charge {
                account,
                currency: Currency::CNY,
                item: "usage",
                amount: 10,
                reference: &key,
                key: &format!("c-{i}"),
                at: crate::server::db::now_millis(),
            };
            deduct(&mut tx, db.backend(), &charge)
                .await
                .expect("charge");
            tx.commit().await.expect("commit");
        }
        let all = MovementFilter::default();
        let first = page(&db, &Zone::utc(), account, &all, None, 5)
            .await
            .expect("page");
        assert_eq!(first.rows.len(), 5);
        let mut seen: Vec<i64> = first.rows.iter().map(|m| m.id).collect();
        let mut next = first.next;
        while let Some(cursor) = next {
            let more = page(&db, &Zone::utc(), account, &all, Some(cursor), 5)
                .await
                .expect("page");
            seen.extend(more.rows.iter().map(|m| m.id));
            next = more.next;
        }
        assert_eq!(seen.len(), 14, "7 recharges and 7 charges on cash");
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "newest first, no repeats"
        );
        let charges = MovementFilter {
            kind: "daily_charge".into(),
            ..Default::default()
        };
        let only = page(&db, &Zone::utc(), account, &charges, None, 50)
            .await
            .expect("page");
        assert_eq!(only.rows.len(), 7);
        assert!(only.rows.iter().all(|m| m.amount == "-¥0.10"));
        let future = MovementFilter {
            from: Some(i64::MAX - 1),
            ..Default::default()
        };
        assert!(page(&db, &Zone::utc(), account, &future, None, 50)
            .await
            .expect("page")
            .rows
            .is_empty());
    });
}
