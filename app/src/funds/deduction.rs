//! Vouchers, prepaid cards, and the deduction engine that pays a charge from them in the order
//! of spec section 5: regular vouchers, discount vouchers, prepaid cards, cash, then arrears.
//! SMS and synthetic-test items are paid only from prepaid cards and cash (then arrears): the
//! price list's billing items say which (`vouchers_allowed`); vouchers pay only items within
//! their scope; among equals the nearest expiry pays first. A workspace a cloud account pays
//! is charged to vouchers, then cards, then that cloud account.
use super::model::FundsPolicy;
use super::store::{self, Due, NewCard, Source};
use crate::ledger::posting::{earlier, post};
use crate::ledger::store as ledger_store;
use crate::ledger::{Actor, Entry, JournalKind, LedgerError, LedgerKind, Leg, Posted};
use crate::messages::Msg;
use crate::money::{Currency, MAX_AMOUNT_MAJOR};
use crate::server::db::Backend;
use sqlx::AnyConnection;

pub use super::model::VoucherKind;

/// One part of a charge: `amount` minor units from an instrument (`instrument_id` 0 for cash
/// and arrears).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paid {
    pub kind: LedgerKind,
    pub instrument_id: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deduction {
    pub posted: Posted,
    pub parts: Vec<Paid>,
}

fn id_in(reference: &str) -> i64 {
    reference
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or(0)
}

/// A voucher to give (operator issue, code activation, or a discount voucher with a card).
#[derive(Clone, Copy, Debug)]
pub struct NewVoucher<'a> {
    pub account: i64,
    pub currency: Currency,
    pub kind: VoucherKind,
    /// Minor units.
    pub amount: i64,
    pub expires_at: i64,
    /// The billing items it may pay; empty for all.
    pub scope: &'a [&'a str],
    pub actor: &'a str,
    pub key: &'a str,
    pub now: i64,
}

/// Gives the account a voucher. Returns the voucher's id; a repeated key returns the first.
pub async fn issue_voucher(
    conn: &mut AnyConnection,
    voucher: &NewVoucher<'_>,
) -> Result<i64, LedgerError> {
    let NewVoucher {
        account,
        currency,
        kind,
        amount,
        expires_at,
        scope,
        actor,
        key,
        now,
    } = *voucher;
    let request = format!(
        "voucher|{account}|{}|{}|{amount}|{expires_at}|{}",
        currency.code(),
        kind.code(),
        scope.join(",")
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(
            &ledger_store::journal_reference(conn, journal).await?,
        ));
    }
    if amount <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let id = store::insert_voucher(conn, voucher).await?;
    let voucher =
        ledger_store::ledger_account(conn, Some(account), LedgerKind::Voucher, id, currency, now)
            .await?;
    let issuance =
        ledger_store::ledger_account(conn, None, LedgerKind::VoucherIssuance, 0, currency, now)
            .await?;
    let entry = Entry {
        billing_account_id: Some(account),
        kind: JournalKind::VoucherActivation,
        reference: &format!("voucher:{id}"),
        actor,
        idempotency_key: key,
        currency,
        legs: Vec::new(),
        request: Some(request),
        at: Some(now),
    };
    give(conn, entry, voucher, issuance, amount).await?;
    Ok(id)
}

/// Posts `entry` as value given away: `amount` into the `holding` from the house's `giver`.
async fn give(
    conn: &mut AnyConnection,
    entry: Entry<'_>,
    holding: i64,
    giver: i64,
    amount: i64,
) -> Result<Posted, LedgerError> {
    let legs = vec![
        Leg {
            account: holding,
            amount,
        },
        Leg {
            account: giver,
            amount: -amount,
        },
    ];
    first_time(post(conn, &Entry { legs, ..entry }).await)
}

/// A movement that makes a new voucher or card must post for the first time. `Repeated` here
/// means a twin request with the same key committed while this one ran (both passed the
/// look-up before either committed): this one made a second instrument row, so it is refused
/// and rolls back, and its caller answers like any repeat.
fn first_time(posted: Result<Posted, LedgerError>) -> Result<Posted, LedgerError> {
    match posted? {
        Posted::Repeated(_) => Err(LedgerError::KeyReused),
        new => Ok(new),
    }
}

/// A prepaid card bought with cash: `amount_major` whole units (a multiple of 100, at least
/// 100), valid for the policy's days.
#[derive(Clone, Copy, Debug)]
pub struct CardPurchase<'a> {
    pub account: i64,
    pub currency: Currency,
    pub amount_major: i64,
    pub policy: &'a FundsPolicy,
    pub key: &'a str,
    pub now: i64,
}

/// Buys a prepaid card; with it comes the discount voucher of its tier. Returns the card's id.
pub async fn buy_prepaid_card(
    conn: &mut AnyConnection,
    backend: Backend,
    purchase: &CardPurchase<'_>,
) -> Result<i64, LedgerError> {
    let CardPurchase {
        account,
        currency,
        amount_major,
        policy,
        key,
        now,
    } = *purchase;
    let validity_ms = policy.card_validity_ms();
    let request = format!(
        "card|{account}|{}|{amount_major}|{validity_ms}",
        currency.code()
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(
            &ledger_store::journal_reference(conn, journal).await?,
        ));
    }
    if amount_major < 100 || amount_major % 100 != 0 || amount_major > MAX_AMOUNT_MAJOR {
        return Err(LedgerError::Refused(Msg::CardMultiple));
    }
    let amount = minor_units(amount_major, currency)?;
    let cash =
        ledger_store::ledger_account(conn, Some(account), LedgerKind::Cash, 0, currency, now)
            .await?;
    ledger_store::lock_holdings(conn, backend, account).await?;
    if ledger_store::balance(conn, cash).await? < amount {
        return Err(LedgerError::Insufficient(cash));
    }
    let expires_at = now + validity_ms;
    let card_row = NewCard {
        card_no: &card_number(),
        account,
        currency,
        amount,
        source: "purchase",
        purchased_at: now,
        expires_at,
    };
    let (id, card) = new_card(conn, &card_row).await?;
    let reference = format!("card:{id}");
    let actor = Actor::Account(account).to_string();
    first_time(
        post(
            conn,
            &Entry {
                billing_account_id: Some(account),
                kind: JournalKind::CardPurchase,
                reference: &reference,
                actor: &actor,
                idempotency_key: key,
                currency,
                legs: vec![
                    Leg {
                        account: cash,
                        amount: -amount,
                    },
                    Leg {
                        account: card,
                        amount,
                    },
                ],
                request: Some(request),
                at: Some(now),
            },
        )
        .await,
    )?;
    if let Some(discount) = policy.discount_for(amount_major) {
        let discount_key = format!("{key}:discount");
        issue_voucher(
            conn,
            &NewVoucher {
                account,
                currency,
                kind: VoucherKind::Discount,
                amount: minor_units(discount, currency)?,
                expires_at,
                scope: &[],
                actor: &actor,
                key: &discount_key,
                now,
            },
        )
        .await?;
    }
    Ok(id)
}

/// `major` whole units in minor units, refused (never wrapped) when out of range.
fn minor_units(major: i64, currency: Currency) -> Result<i64, LedgerError> {
    crate::money::to_minor_units(rust_decimal::Decimal::from(major), currency)
        .ok()
        .filter(|minor| *minor <= crate::money::MAX_BALANCE_MINOR)
        .ok_or_else(|| LedgerError::Refused(Msg::AmountTooLarge))
}

/// A new card's number: "PC" and 16 random hexadecimal digits.
fn card_number() -> String {
    format!("PC{}", crate::server::secrets::random_hex(8).to_uppercase())
}

/// A new prepaid card row and its ledger account (empty until the caller posts).
async fn new_card(conn: &mut AnyConnection, card: &NewCard<'_>) -> Result<(i64, i64), LedgerError> {
    let id = store::insert_prepaid_card(conn, card).await?;
    let ledger = ledger_store::ledger_account(
        conn,
        Some(card.account),
        LedgerKind::PrepaidCard,
        id,
        card.currency,
        card.purchased_at,
    )
    .await?;
    Ok((id, ledger))
}

/// A prepaid card an operator gives: no cash spent, no discount voucher.
#[derive(Clone, Copy, Debug)]
pub struct CardIssue<'a> {
    pub account: i64,
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
    pub validity_ms: i64,
    pub actor: &'a str,
    pub key: &'a str,
    pub now: i64,
}

/// Gives the account a prepaid card. Returns the card's id; a repeated key returns the first.
pub async fn issue_prepaid_card(
    conn: &mut AnyConnection,
    issue: &CardIssue<'_>,
) -> Result<i64, LedgerError> {
    let CardIssue {
        account,
        currency,
        amount,
        validity_ms,
        actor,
        key,
        now,
    } = *issue;
    let request = format!(
        "card-issue|{account}|{}|{amount}|{validity_ms}",
        currency.code()
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(
            &ledger_store::journal_reference(conn, journal).await?,
        ));
    }
    if amount <= 0 || validity_ms <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let card_row = NewCard {
        card_no: &card_number(),
        account,
        currency,
        amount,
        source: "operator",
        purchased_at: now,
        expires_at: now + validity_ms,
    };
    let (id, card) = new_card(conn, &card_row).await?;
    let issuance =
        ledger_store::ledger_account(conn, None, LedgerKind::CardIssuance, 0, currency, now)
            .await?;
    let entry = Entry {
        billing_account_id: Some(account),
        kind: JournalKind::CardIssue,
        reference: &format!("card:{id}"),
        actor,
        idempotency_key: key,
        currency,
        legs: Vec::new(),
        request: Some(request),
        at: Some(now),
    };
    give(conn, entry, card, issuance, amount).await?;
    Ok(id)
}

/// The vouchers (regular first, then discount) and cards that may pay `item` at `at`, in the
/// order they pay. A voucher pays only the items in its scope (all when it names none).
async fn sources(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    item: &str,
    at: i64,
) -> Result<Vec<Source>, sqlx::Error> {
    let mut found = Vec::new();
    if crate::metering::store::vouchers_may_pay(conn, item).await? {
        found.extend(
            store::paying_vouchers(conn, account, currency, at)
                .await?
                .into_iter()
                .filter(|voucher| {
                    voucher.scope.is_empty() || voucher.scope.split(',').any(|s| s == item)
                }),
        );
    }
    found.extend(store::paying_cards(conn, account, currency, at).await?);
    Ok(found)
}

/// What each instrument paid in journal transaction `journal`.
async fn parts_of(conn: &mut AnyConnection, journal: i64) -> Result<Vec<Paid>, sqlx::Error> {
    Ok(ledger_store::holdings_moved(conn, journal)
        .await?
        .into_iter()
        .map(|(kind, instrument_id, amount)| Paid {
            kind: LedgerKind::from_code(&kind).unwrap_or(LedgerKind::Cash),
            instrument_id,
            amount,
        })
        .collect())
}

/// A charge to pay: `amount` minor units for billing item `item` (the usage of a day,
/// `reference`), at `at`.
#[derive(Clone, Copy, Debug)]
pub struct Charge<'a> {
    pub account: i64,
    pub currency: Currency,
    pub item: &'a str,
    pub amount: i64,
    pub reference: &'a str,
    pub key: &'a str,
    pub at: i64,
}

/// Who pays what vouchers and cards leave of a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    /// The billing account: its cash, then arrears.
    Account,
    /// A cloud account (its id): the marketplace collects the rest.
    Cloud(i64),
}

/// Pays a charge in the deduction order of the Billing Center account. A repeated key
/// returns the first deduction.
pub async fn deduct(
    conn: &mut AnyConnection,
    backend: Backend,
    charge: &Charge<'_>,
) -> Result<Deduction, LedgerError> {
    pay(conn, backend, charge, Payer::Account).await
}

/// Pays a charge in the deduction order of `payer`. A repeated key returns the first.
pub async fn pay(
    conn: &mut AnyConnection,
    backend: Backend,
    charge: &Charge<'_>,
    payer: Payer,
) -> Result<Deduction, LedgerError> {
    let Charge {
        account,
        currency,
        item,
        amount,
        reference,
        key,
        at,
    } = *charge;
    let request = match payer {
        Payer::Account => format!(
            "deduct|{account}|{}|{item}|{amount}|{reference}",
            currency.code()
        ),
        Payer::Cloud(cloud) => format!(
            "deduct|{account}|{}|{item}|{amount}|{reference}|cloud:{cloud}",
            currency.code()
        ),
    };
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(Deduction {
            posted: Posted::Repeated(journal),
            parts: parts_of(conn, journal).await?,
        });
    }
    if amount <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let revenue =
        ledger_store::ledger_account(conn, None, LedgerKind::Revenue, 0, currency, at).await?;
    let tail = match payer {
        Payer::Account => {
            let cash =
                ledger_store::ledger_account(conn, Some(account), LedgerKind::Cash, 0, currency, at)
                    .await?;
            let arrears = ledger_store::ledger_account(
                conn,
                Some(account),
                LedgerKind::Arrears,
                0,
                currency,
                at,
            )
            .await?;
            ledger_store::lock_holdings(conn, backend, account).await?;
            let cash_balance = ledger_store::balance(conn, cash).await?;
            vec![
                Source {
                    ledger_account: cash,
                    kind: LedgerKind::Cash,
                    instrument_id: 0,
                    balance: cash_balance,
                    scope: String::new(),
                },
                Source {
                    ledger_account: arrears,
                    kind: LedgerKind::Arrears,
                    instrument_id: 0,
                    balance: i64::MAX,
                    scope: String::new(),
                },
            ]
        }
        Payer::Cloud(cloud) => {
            let collected = ledger_store::ledger_account(
                conn,
                None,
                LedgerKind::CloudSettlement,
                cloud,
                currency,
                at,
            )
            .await?;
            ledger_store::lock_holdings(conn, backend, account).await?;
            vec![Source {
                ledger_account: collected,
                kind: LedgerKind::CloudSettlement,
                instrument_id: cloud,
                balance: i64::MAX,
                scope: String::new(),
            }]
        }
    };
    let mut left = amount;
    let mut legs = vec![Leg {
        account: revenue,
        amount,
    }];
    let mut parts = Vec::new();
    let everything = sources(conn, account, currency, item, at)
        .await?
        .into_iter()
        .chain(tail);
    for source in everything {
        if left == 0 {
            break;
        }
        let take = source.balance.min(left);
        if take > 0 {
            legs.push(Leg {
                account: source.ledger_account,
                amount: -take,
            });
            parts.push(Paid {
                kind: source.kind,
                instrument_id: source.instrument_id,
                amount: take,
            });
            left -= take;
        }
    }
    let posted = post(
        conn,
        &Entry {
            billing_account_id: Some(account),
            kind: JournalKind::DailyCharge,
            reference,
            actor: Actor::SYSTEM,
            idempotency_key: key,
            currency,
            legs,
            request: Some(request),
            at: Some(at),
        },
    )
    .await?;
    Ok(Deduction { posted, parts })
}

/// Voids what is left on one expired voucher or card and marks it expired; nothing when
/// another replica did it first.
async fn expire_one(
    conn: &mut AnyConnection,
    backend: Backend,
    due: Due,
    now: i64,
) -> Result<bool, LedgerError> {
    let Due {
        kind,
        id,
        account,
        currency,
    } = due;
    let holding =
        ledger_store::ledger_account(conn, Some(account), kind, id, currency, now).await?;
    let expired =
        ledger_store::ledger_account(conn, None, LedgerKind::Expired, 0, currency, now).await?;
    ledger_store::lock_holdings(conn, backend, account).await?;
    if !store::mark_expired(conn, kind, id).await? {
        return Ok(false);
    }
    let left = ledger_store::balance(conn, holding).await?;
    if left > 0 {
        let key = format!("expiry:{}:{id}", kind.code());
        let reference = format!("{}:{id}", kind.code());
        post(
            conn,
            &Entry {
                billing_account_id: Some(account),
                kind: JournalKind::Expiry,
                reference: &reference,
                actor: Actor::SYSTEM,
                idempotency_key: &key,
                currency,
                legs: vec![
                    Leg {
                        account: holding,
                        amount: -left,
                    },
                    Leg {
                        account: expired,
                        amount: left,
                    },
                ],
                request: None,
                at: None,
            },
        )
        .await?;
    }
    Ok(true)
}

/// Expires every voucher and card due at `now` in the caller's transaction.
pub async fn expire(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
) -> Result<usize, LedgerError> {
    let mut count = 0;
    for instrument in store::due_for_expiry(conn, now).await? {
        count += usize::from(expire_one(conn, backend, instrument, now).await?);
    }
    Ok(count)
}

/// The scheduled expiry: each instrument in a small transaction of its own, in the fixed
/// order, so no replica holds many accounts at once or waits on another in a cycle.
pub async fn expire_due(db: &crate::server::db::Db, now: i64) -> Result<usize, LedgerError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        store::due_for_expiry(&mut conn, now).await?
    };
    let mut count = 0;
    for instrument in due {
        let mut tx = db.begin_write().await?;
        let done = expire_one(&mut tx, db.backend(), instrument, now).await?;
        tx.commit().await?;
        count += usize::from(done);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::cash::{cash_and_arrears, credit_cash, Credit};
    use crate::ledger::posting::reconcile;
    use crate::server::db::{now_millis, Db};
    use crate::server::testing::db_test;
    use rand::{Rng, SeedableRng};
    use sqlx::Row;

    use crate::time::DAY_MS as DAY;

    async fn funded(db: &Db, cash: i64) -> i64 {
        let account = crate::demo::seed_account(db).await.expect("account");
        if cash > 0 {
            let mut tx = db.begin_write().await.expect("tx");
            credit_cash(
                &mut tx,
                db.backend(),
                &Credit {
                    account,
                    currency: Currency::CNY,
                    amount: cash,
                    reference: "opening",
                    actor: Actor::SYSTEM,
                    key: "opening",
                    at: None,
                },
            )
            .await
            .expect("cash");
            tx.commit().await.expect("commit");
        }
        account
    }

    async fn voucher(
        db: &Db,
        account: i64,
        kind: VoucherKind,
        amount: i64,
        expires_in: i64,
        scope: &[&str],
        key: &str,
    ) -> i64 {
        let mut tx = db.begin_write().await.expect("tx");
        let now = now_millis();
        let id = issue_voucher(
            &mut tx,
            &NewVoucher {
                account,
                currency: Currency::CNY,
                kind,
                amount,
                expires_at: now + expires_in,
                scope,
                actor: "operator:test",
                key,
                now,
            },
        )
        .await
        .expect("voucher");
        tx.commit().await.expect("commit");
        id
    }

    async fn card(
        db: &Db,
        account: i64,
        major: i64,
        validity: i64,
        key: &str,
    ) -> Result<i64, LedgerError> {
        let mut tx = db.begin_write().await?;
        let policy = FundsPolicy {
            card_validity_days: validity / DAY,
            ..FundsPolicy::default()
        };
        let id = buy_prepaid_card(
            &mut tx,
            db.backend(),
            &CardPurchase {
                account,
                currency: Currency::CNY,
                amount_major: major,
                policy: &policy,
                key,
                now: now_millis(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn pay(db: &Db, account: i64, item: &str, amount: i64, key: &str) -> Deduction {
        let mut tx = db.begin_write().await.expect("tx");
        let deduction = deduct(
            &mut tx,
            db.backend(),
            &Charge {
                account,
                currency: Currency::CNY,
                item,
                amount,
                reference: key,
                key,
                at: now_millis(),
            },
        )
        .await
        .expect("deducted");
        tx.commit().await.expect("commit");
        deduction
    }

    async fn books_are_right(db: &Db) {
        let mut conn = db.pool().acquire().await.expect("conn");
        let found = reconcile(&mut conn).await.expect("reconcile");
        assert!(found.is_empty(), "{found:?}");
    }

    fn kinds(parts: &[Paid]) -> Vec<(LedgerKind, i64)> {
        parts.iter().map(|p| (p.kind, p.amount)).collect()
    }

    db_test!(charges_follow_the_deduction_order, |db| async move {
        let account = funded(&db, 20_000_00).await;
        let discount = voucher(
            &db,
            account,
            VoucherKind::Discount,
            300,
            30 * DAY,
            &[],
            "v-discount",
        )
        .await;
        let late = voucher(
            &db,
            account,
            VoucherKind::Regular,
            500,
            60 * DAY,
            &[],
            "v-late",
        )
        .await;
        let soon = voucher(
            &db,
            account,
            VoucherKind::Regular,
            200,
            10 * DAY,
            &[],
            "v-soon",
        )
        .await;
        let card_id = card(&db, account, 100, 365 * DAY, "card-1")
            .await
            .expect("card");
        // 200 (soon) + 500 (late) + 300 (discount) + 10,000 (card) + 100 cash.
        let paid = pay(&db, account, "logs", 11_100, "day-1").await;
        assert_eq!(
            paid.parts,
            vec![
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: soon,
                    amount: 200
                },
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: late,
                    amount: 500
                },
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: discount,
                    amount: 300
                },
                Paid {
                    kind: LedgerKind::PrepaidCard,
                    instrument_id: card_id,
                    amount: 10_000
                },
                Paid {
                    kind: LedgerKind::Cash,
                    instrument_id: 0,
                    amount: 100
                },
            ]
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(
            cash_and_arrears(&mut conn, account, Currency::CNY)
                .await
                .expect("b"),
            (20_000_00 - 10_000 - 100, 0)
        );
        drop(conn);
        books_are_right(&db).await;
    });

    db_test!(sms_is_paid_only_by_cards_and_cash, |db| async move {
        let account = funded(&db, 50).await;
        voucher(
            &db,
            account,
            VoucherKind::Regular,
            10_000,
            30 * DAY,
            &[],
            "v-1",
        )
        .await;
        let paid = pay(&db, account, "sms", 80, "sms-1").await;
        assert_eq!(
            kinds(&paid.parts),
            vec![(LedgerKind::Cash, 50), (LedgerKind::Arrears, 30)]
        );
        books_are_right(&db).await;
    });

    db_test!(vouchers_pay_only_within_their_scope, |db| async move {
        let account = funded(&db, 1_000).await;
        voucher(
            &db,
            account,
            VoucherKind::Regular,
            500,
            30 * DAY,
            &["logs"],
            "v-logs",
        )
        .await;
        let apm = pay(&db, account, "apm_trace", 100, "apm-1").await;
        assert_eq!(kinds(&apm.parts), vec![(LedgerKind::Cash, 100)]);
        let logs = pay(&db, account, "logs", 100, "logs-1").await;
        assert_eq!(kinds(&logs.parts), vec![(LedgerKind::Voucher, 100)]);
        // A repeated key answers with the first deduction and takes nothing more.
        let again = pay(&db, account, "logs", 100, "logs-1").await;
        assert_eq!(again.posted, Posted::Repeated(logs.posted.id()));
        assert_eq!(kinds(&again.parts), vec![(LedgerKind::Voucher, 100)]);
        books_are_right(&db).await;
    });

    db_test!(
        cards_follow_the_purchase_rules_and_bring_discount_vouchers,
        |db| async move {
            let account = funded(&db, 40_000_00).await;
            assert!(matches!(
                card(&db, account, 150, 365 * DAY, "c-odd").await,
                Err(LedgerError::Refused(_))
            ));
            assert!(matches!(
                card(&db, account, 0, 365 * DAY, "c-zero").await,
                Err(LedgerError::Refused(_))
            ));
            assert!(matches!(
                card(&db, account, 50_000, 365 * DAY, "c-too-much").await,
                Err(LedgerError::Insufficient(_))
            ));
            card(&db, account, 30_000, 365 * DAY, "c-30k")
                .await
                .expect("card");
            let discount: i64 = sqlx::query("SELECT denomination FROM vouchers WHERE billing_account_id = $1 AND kind = 'discount'")
            .bind(account)
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get("denomination"))
            .expect("discount voucher");
            assert_eq!(discount, 5_000_00, "30,000 brings 5,000");
            // Buying again with the same key buys nothing more.
            card(&db, account, 30_000, 365 * DAY, "c-30k")
                .await
                .expect("repeat");
            let mut conn = db.pool().acquire().await.expect("conn");
            assert_eq!(
                cash_and_arrears(&mut conn, account, Currency::CNY)
                    .await
                    .expect("b"),
                (10_000_00, 0)
            );
            drop(conn);
            books_are_right(&db).await;
        }
    );

    db_test!(expiry_voids_what_is_left, |db| async move {
        let account = funded(&db, 0).await;
        voucher(&db, account, VoucherKind::Regular, 700, DAY, &[], "v-short").await;
        pay(&db, account, "logs", 200, "before").await;
        let mut tx = db.begin_write().await.expect("tx");
        assert_eq!(
            expire(&mut tx, db.backend(), now_millis() + 2 * DAY)
                .await
                .expect("expired"),
            1
        );
        tx.commit().await.expect("commit");
        let after = pay(&db, account, "logs", 100, "after").await;
        assert_eq!(kinds(&after.parts), vec![(LedgerKind::Arrears, 100)]);
        let voided: i64 = sqlx::query(
            "SELECT CAST(SUM(p.amount) AS BIGINT) AS total FROM postings p JOIN ledger_accounts la ON la.id = p.ledger_account_id \
             WHERE la.kind = 'expired'",
        )
        .fetch_one(db.pool())
        .await
        .and_then(|row| row.try_get("total"))
        .expect("voided");
        assert_eq!(voided, 500);
        books_are_right(&db).await;
    });

    db_test!(random_operations_keep_the_invariants, |db| async move {
        let account = funded(&db, 0).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let items = ["logs", "apm_trace", "sms", "synthetic_test", "usage"];
        for step in 0..80 {
            let key = format!("op-{step}");
            match rng.gen_range(0..5) {
                0 => {
                    let mut tx = db.begin_write().await.expect("tx");
                    credit_cash(
                        &mut tx,
                        db.backend(),
                        &Credit {
                            account,
                            currency: Currency::CNY,
                            amount: rng.gen_range(1..3_000_000),
                            reference: &key,
                            actor: Actor::SYSTEM,
                            key: &key,
                            at: None,
                        },
                    )
                    .await
                    .expect("credit");
                    tx.commit().await.expect("commit");
                }
                1 => {
                    let scope: &[&str] = if rng.gen_bool(0.5) { &[] } else { &["logs"] };
                    voucher(
                        &db,
                        account,
                        VoucherKind::Regular,
                        rng.gen_range(1..50_000),
                        rng.gen_range(1..90) * DAY,
                        scope,
                        &key,
                    )
                    .await;
                }
                2 => {
                    let _ = card(
                        &db,
                        account,
                        rng.gen_range(1..20) * 100,
                        rng.gen_range(1..400) * DAY,
                        &key,
                    )
                    .await;
                }
                _ => {
                    let item = items[rng.gen_range(0..items.len())];
                    let paid = pay(&db, account, item, rng.gen_range(1..200_000), &key).await;
                    // Cash or arrears paid only once every instrument that could pay was empty.
                    if paid
                        .parts
                        .iter()
                        .any(|p| matches!(p.kind, LedgerKind::Cash | LedgerKind::Arrears))
                    {
                        let mut conn = db.pool().acquire().await.expect("conn");
                        let left: i64 =
                            sources(&mut conn, account, Currency::CNY, item, now_millis())
                                .await
                                .expect("sources")
                                .iter()
                                .map(|s| s.balance)
                                .sum();
                        assert_eq!(
                            left, 0,
                            "step {step}: {item} reached cash with instruments left"
                        );
                    }
                    if paid.parts.iter().any(|p| p.kind == LedgerKind::Arrears) {
                        let mut conn = db.pool().acquire().await.expect("conn");
                        assert_eq!(
                            cash_and_arrears(&mut conn, account, Currency::CNY)
                                .await
                                .expect("b")
                                .0,
                            0
                        );
                    }
                    assert!(paid.parts.iter().map(|p| p.amount).sum::<i64>() > 0);
                }
            }
            books_are_right(&db).await;
        }
    });

    db_test!(
        concurrent_charges_never_spend_an_instrument_twice,
        |db| async move {
            let account = funded(&db, 0).await;
            voucher(
                &db,
                account,
                VoucherKind::Regular,
                5_000,
                30 * DAY,
                &[],
                "v-a",
            )
            .await;
            voucher(
                &db,
                account,
                VoucherKind::Discount,
                3_000,
                30 * DAY,
                &[],
                "v-b",
            )
            .await;
            let mut tasks = Vec::new();
            for i in 0..20 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    pay(&db, account, "logs", 700, &format!("c-{i}")).await
                }));
            }
            let mut from_vouchers = 0;
            for task in tasks {
                let paid = task.await.expect("task");
                from_vouchers += paid
                    .parts
                    .iter()
                    .filter(|p| p.kind == LedgerKind::Voucher)
                    .map(|p| p.amount)
                    .sum::<i64>();
            }
            assert_eq!(
                from_vouchers, 8_000,
                "the vouchers paid exactly what they held"
            );
            let mut conn = db.pool().acquire().await.expect("conn");
            assert_eq!(
                cash_and_arrears(&mut conn, account, Currency::CNY)
                    .await
                    .expect("b"),
                (0, 20 * 700 - 8_000)
            );
            drop(conn);
            books_are_right(&db).await;
        }
    );
}
