//! Income & expenditure: the movements of an account's holdings, newest first, filtered by
//! time range and kind, read by keyset (the id of the last row seen), so the thousandth page
//! costs what the first does.
use super::model::{Movement, MovementPage};
use crate::money::format_minor_units;
use crate::server::db::Db;
use sqlx::Row;

/// What the list is narrowed to: [from, to) in Unix milliseconds, and a journal kind ("" for
/// all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MovementFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub kind: String,
}

/// Up to `limit` movements older than `before` (a row id; `None` for the newest).
pub async fn page(
    db: &Db,
    account: i64,
    filter: &MovementFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<MovementPage, sqlx::Error> {
    // The first page has no id bound at all: given `id < i64::MAX`, SQLite's planner took
    // another path and read the first page 100 times slower than any later one.
    let older = if before.is_some() {
        "AND p.id < $6"
    } else {
        ""
    };
    let sql = format!(
        "SELECT p.id, p.created_at, p.kind, p.amount, p.currency, la.kind AS holding, la.instrument_id, j.reference \
         FROM postings p \
         JOIN ledger_accounts la ON la.id = p.ledger_account_id \
         JOIN journal_transactions j ON j.id = p.transaction_id \
         WHERE p.billing_account_id = $1 {older} AND p.created_at >= $2 AND p.created_at < $3 \
               AND ($4 = '' OR p.kind = $4) \
         ORDER BY p.id DESC LIMIT $5"
    );
    let mut query = sqlx::query(&sql)
        .bind(account)
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.to.unwrap_or(i64::MAX))
        .bind(&filter.kind)
        .bind(limit + 1);
    if let Some(before) = before {
        query = query.bind(before);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut movements = rows
        .iter()
        .map(|row| {
            let currency = super::store::row_currency(row)?;
            let amount: i64 = row.try_get("amount")?;
            let sign = if amount > 0 { "+" } else { "" };
            Ok(Movement {
                id: row.try_get("id")?,
                created_at: row.try_get("created_at")?,
                kind: row.try_get("kind")?,
                holding: row.try_get("holding")?,
                instrument_id: row.try_get("instrument_id")?,
                amount: format!("{sign}{}", format_minor_units(amount, currency)),
                reference: row.try_get("reference")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next = if movements.len() as i64 > limit {
        movements.truncate(limit as usize);
        movements.last().map(|m| m.id)
    } else {
        None
    };
    Ok(MovementPage {
        rows: movements,
        next,
    })
}

/// One CSV line, through the one CSV writer.
pub fn csv_line(fields: &[&str]) -> String {
    crate::server::csv::line(fields)
}

pub const CSV_HEADER: [&str; 6] = [
    "time_utc",
    "type",
    "holding",
    "instrument",
    "amount",
    "reference",
];

pub fn csv_row(movement: &Movement) -> String {
    let time = crate::ui::utc_time(movement.created_at);
    let instrument = movement.instrument_id.to_string();
    csv_line(&[
        &time,
        &movement.kind,
        &movement.holding,
        &instrument,
        &movement.amount,
        &movement.reference,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::server::testing::db_test;

    db_test!(pages_walk_back_by_keyset_and_filter, |db| async move {
        let account = crate::server::demo::seed_account(&db)
            .await
            .expect("account");
        for i in 0..7 {
            let mut tx = db.begin_write().await.expect("tx");
            let key = format!("r-{i}");
            crate::ledger::service::credit_cash(
                &mut tx,
                db.backend(),
                account,
                Currency::CNY,
                100 + i,
                &key,
                crate::ledger::model::Actor::SYSTEM,
                &key,
                None,
            )
            .await
            .expect("credit");
            crate::ledger::service::charge(
                &mut tx,
                db.backend(),
                account,
                Currency::CNY,
                10,
                &key,
                &format!("c-{i}"),
            )
            .await
            .expect("charge");
            tx.commit().await.expect("commit");
        }
        let all = MovementFilter::default();
        let first = page(&db, account, &all, None, 5).await.expect("page");
        assert_eq!(first.rows.len(), 5);
        let mut seen: Vec<i64> = first.rows.iter().map(|m| m.id).collect();
        let mut next = first.next;
        while let Some(cursor) = next {
            let more = page(&db, account, &all, Some(cursor), 5)
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
        let only = page(&db, account, &charges, None, 50).await.expect("page");
        assert_eq!(only.rows.len(), 7);
        assert!(only.rows.iter().all(|m| m.amount == "-¥0.10"));
        let future = MovementFilter {
            from: Some(i64::MAX - 1),
            ..Default::default()
        };
        assert!(page(&db, account, &future, None, 50)
            .await
            .expect("page")
            .rows
            .is_empty());
    });
}
