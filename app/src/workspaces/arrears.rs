//! The arrears timeline (spec section 5): when a charge leaves an account owing, an email and a
//! settlement period ([`crate::funds::model::FundsPolicy::arrears_days`], 14 by default); a
//! reminder near its end; then every workspace the Billing Center account pays locks (the site
//! takes no new data). Once nothing is owed (a recharge or bank transfer pays arrears first)
//! the period closes and those workspaces unlock. The timer runs this often; each step of a
//! period is claimed by one conditional update, so replicas do each once.
use super::model::{LockReason, Settlement, WorkspaceEventKind};
use super::store::{self, NewEvent, PeriodRow};
use crate::error::AppError;
use crate::money::format_minor_units;
use crate::server::delivery::Queued;
use crate::state::AppState;
use crate::time::DAY_MS;
use sqlx::AnyConnection;

/// Who the history names for what the timeline does.
const ACTOR: &str = "system:arrears";
const LOCKED_DETAIL: &str = "arrears not settled in time";

/// What happened in one run, for the job log and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Review {
    pub opened: u64,
    pub reminded: u64,
    pub locked: u64,
    pub cleared: u64,
}

impl Review {
    pub fn total(&self) -> u64 {
        self.opened + self.reminded + self.locked + self.cleared
    }
}

/// Moves every account's arrears along its timeline at `now`.
pub async fn review(state: &AppState, now: i64) -> Result<Review, AppError> {
    let policy = &state.config.funds;
    let mut review = Review::default();
    let mut queue = Vec::new();
    let owing = {
        let mut conn = state.db.pool().acquire().await?;
        store::owing_without_period(&mut conn).await?
    };
    for account in owing {
        let lock_at = now + policy.arrears_days * DAY_MS;
        let mut tx = state.db.begin_write().await?;
        if store::open_period(&mut tx, account, now, lock_at).await? {
            let text = notice(state, &mut tx, account, Notice::Opened, lock_at).await?;
            queue.extend(text);
            tx.commit().await?;
            review.opened += 1;
        }
    }
    let periods = {
        let mut conn = state.db.pool().acquire().await?;
        store::open_periods(&mut conn).await?
    };
    for listed in periods {
        let mut tx = state.db.begin_write().await?;
        let Some(period) = store::lock_open_period(&mut tx, listed.id).await? else {
            continue;
        };
        let step = step(&mut tx, state, &period, now, &mut queue).await?;
        tx.commit().await?;
        match step {
            Some(Step::Cleared) => review.cleared += 1,
            Some(Step::Reminded) => review.reminded += 1,
            Some(Step::Locked) => review.locked += 1,
            None => {}
        }
    }
    if let Err(error) = state.delivery.deliver(&state.db, &queue).await {
        tracing::warn!(%error, "arrears notices queued; delivery is retried");
    }
    Ok(review)
}

enum Step {
    Cleared,
    Reminded,
    Locked,
}

/// The one step `period` is due for at `now`, taken in the caller's transaction.
async fn step(
    conn: &mut AnyConnection,
    state: &AppState,
    period: &PeriodRow,
    now: i64,
    queue: &mut Vec<Queued>,
) -> Result<Option<Step>, AppError> {
    let account = period.billing_account_id;
    if period.owed <= 0 {
        if !store::claim_period_step(conn, period.id, "cleared_at", now).await? {
            return Ok(None);
        }
        let unlocked = store::unlock_workspaces(conn, account, LockReason::Arrears).await?;
        history(conn, account, &unlocked, WorkspaceEventKind::Unlocked, "arrears paid", now).await?;
        return Ok(Some(Step::Cleared));
    }
    if period.locked_at.is_some() {
        // Locked already: a workspace paid by the account since (bound, or switched back to
        // the Billing Center account) locks too.
        let late = lock_paid_by_account(conn, account, now).await?;
        return Ok((late > 0).then_some(Step::Locked));
    }
    if now >= period.lock_at {
        if !store::claim_period_step(conn, period.id, "locked_at", now).await? {
            return Ok(None);
        }
        lock_paid_by_account(conn, account, now).await?;
        queue.extend(notice(state, conn, account, Notice::Locked, period.lock_at).await?);
        return Ok(Some(Step::Locked));
    }
    let remind_from = period.lock_at - state.config.funds.arrears_reminder_days * DAY_MS;
    if period.reminded_at.is_none() && period.locked_at.is_none() && now >= remind_from {
        if !store::claim_period_step(conn, period.id, "reminded_at", now).await? {
            return Ok(None);
        }
        queue.extend(notice(state, conn, account, Notice::Reminder, period.lock_at).await?);
        return Ok(Some(Step::Reminded));
    }
    Ok(None)
}

/// Locks the account's unlocked workspaces that the Billing Center account pays, with their
/// history; returns how many.
async fn lock_paid_by_account(
    conn: &mut AnyConnection,
    account: i64,
    now: i64,
) -> Result<usize, sqlx::Error> {
    let locked = store::lock_workspaces(
        conn,
        account,
        Some(Settlement::BillingCenter),
        LockReason::Arrears,
        now,
    )
    .await?;
    history(conn, account, &locked, WorkspaceEventKind::Locked, LOCKED_DETAIL, now).await?;
    Ok(locked.len())
}

async fn history(
    conn: &mut AnyConnection,
    account: i64,
    workspaces: &[i64],
    kind: WorkspaceEventKind,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for &workspace in workspaces {
        store::insert_event(
            conn,
            &NewEvent {
                workspace,
                account: Some(account),
                kind,
                detail,
                actor: ACTOR,
                now,
            },
        )
        .await?;
        super::webhooks::enqueue(conn, workspace, kind, now).await?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Notice {
    Opened,
    Reminder,
    Locked,
}

/// Queues the notice to the members who handle money, in the caller's transaction.
async fn notice(
    state: &AppState,
    conn: &mut AnyConnection,
    account: i64,
    notice: Notice,
    lock_at: i64,
) -> Result<Vec<Queued>, AppError> {
    let Some(row) = crate::accounts::store::account(conn, account).await? else {
        return Ok(Vec::new());
    };
    let (_, owed) = crate::funds::cash::cash_and_arrears(conn, account, row.currency).await?;
    let owed = format_minor_units(owed, row.currency);
    let when = state.config.time_zone.format(lock_at);
    let brand = &state.config.brand_name;
    let (subject, body) = match notice {
        Notice::Opened => (
            format!("{}: your billing account is in arrears", row.company_name),
            format!(
                "{brand}: today's charges left {} owing {owed}. Recharge before {when}; after \
                 that, the workspaces this billing account pays are locked and take in no new data.",
                row.company_name
            ),
        ),
        Notice::Reminder => (
            format!("{}: workspaces lock on {when}", row.company_name),
            format!(
                "{brand}: {} still owes {owed}. Unless it is paid, the workspaces this billing \
                 account pays lock at {when}.",
                row.company_name
            ),
        ),
        Notice::Locked => (
            format!("{}: workspaces locked for arrears", row.company_name),
            format!(
                "{brand}: {} owes {owed}, so the workspaces it pays are locked and take in no \
                 new data. A recharge that pays the arrears unlocks them at once.",
                row.company_name
            ),
        ),
    };
    Ok(crate::team::service::queue_money_notice(state, conn, account, &subject, &body).await?)
}

/// A workspace bound to an account whose workspaces are locked for arrears locks at once (it
/// is paid the same way), in the binding's transaction.
pub async fn lock_if_account_locked(
    conn: &mut AnyConnection,
    account: i64,
    workspace: i64,
    now: i64,
) -> Result<(), AppError> {
    if !matches!(lock_date(conn, account).await?, Some((_, true))) {
        return Ok(());
    }
    if store::set_lock(conn, account, workspace, Some(LockReason::Arrears), now).await? {
        history(conn, account, &[workspace], WorkspaceEventKind::Locked, LOCKED_DETAIL, now).await?;
    }
    Ok(())
}

/// When the account's workspaces lock for arrears (or locked), while it is in arrears.
pub async fn lock_date(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    Ok(store::open_period_of(conn, account)
        .await?
        .filter(|p| p.owed > 0)
        .map(|p| (p.lock_at, p.locked_at.is_some())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::cash::{credit_cash, Credit};
    use crate::funds::deduction::{deduct, Charge};
    use crate::money::Currency;
    use crate::server::testing::{db_test, state_for};
    use crate::team::testing::account_owned_by;

    const NOW: i64 = 1_796_000_000_000;

    async fn subjects(state: &AppState) -> Vec<String> {
        sqlx::query_as::<_, (String,)>(
            "SELECT subject FROM outbox_messages WHERE address = 'owes@example.com' ORDER BY id",
        )
        .fetch_all(state.db.pool())
        .await
        .expect("outbox")
        .into_iter()
        .map(|(s,)| s)
        .collect()
    }

    async fn workspace(state: &AppState, account: i64, uuid: &str, settlement: Settlement) -> i64 {
        let mut tx = state.db.begin_write().await.expect("tx");
        let id = store::known_workspace(&mut tx, "CN1", uuid, uuid, NOW).await.expect("ws").id;
        assert!(store::bind(&mut tx, id, account, NOW).await.expect("bind"));
        sqlx::query("UPDATE workspaces SET settlement = $1 WHERE id = $2")
            .bind(settlement.code())
            .bind(id)
            .execute(&mut *tx)
            .await
            .expect("settlement");
        tx.commit().await.expect("commit");
        id
    }

    /// Binds `uuid` of CN1 to `account` through a bind link, as its Owner, at `at`.
    async fn bound_now(state: &AppState, account: i64, uuid: &str, at: i64) {
        use crate::workspaces::binding::{bind, Proof};
        use crate::workspaces::{proof, site_keys};
        let mut state = state.clone();
        state.clock = crate::server::clock::Clock::fixed(at);
        let secret = state.site_key_secret.expose().to_string();
        let mut tx = state.db.begin_write().await.expect("tx");
        let (version, key) = match site_keys::current(&mut tx, &secret, "CN1", at).await.expect("db") {
            Some(found) => found,
            None => site_keys::rotate(&mut tx, &secret, "CN1", at).await.expect("db").expect("key"),
        };
        tx.commit().await.expect("commit");
        let token = proof::mint_token(&proof::Mint {
            site_code: "CN1",
            version,
            secret: key.as_bytes(),
            workspace_uuid: uuid,
            workspace_name: uuid,
            expires_at: at + 60_000,
            nonce: &crate::server::secrets::random_hex(16),
        });
        let owner = crate::team::testing::owner_caller(&state.db, account).await;
        let client = crate::accounts::service::Client {
            addr: "10.30.0.1".into(),
            user_agent: "test".into(),
        };
        bind(&state, &owner, &Proof::Link(&token), &client).await.expect("bound");
    }

    async fn locked(state: &AppState, uuid: &str) -> Option<String> {
        let mut conn = state.db.pool().acquire().await.expect("conn");
        store::workspace_at(&mut conn, "CN1", uuid).await.expect("db").expect("row").lock_reason
    }

    db_test!(arrears_email_reminder_lock_and_unlock_on_payment, |db| async move {
        let state = state_for(&db).await;
        let (account, _) = account_owned_by(&db, "Owes Co.", "owes@example.com").await;
        let paid_here = workspace(&state, account, "w_bc", Settlement::BillingCenter).await;
        workspace(&state, account, "w_cloud", Settlement::Cloud).await;
        assert_eq!(review(&state, NOW).await.expect("run"), Review::default(), "nothing owed");

        let mut tx = db.begin_write().await.expect("tx");
        deduct(&mut tx, db.backend(), &Charge {
            account,
            currency: Currency::CNY,
            item: "logs",
            amount: 123_45,
            reference: "usage 2026-12-01",
            key: "arrears-test-charge",
            at: NOW,
        })
        .await
        .expect("charged into arrears");
        tx.commit().await.expect("commit");

        // Day 0: the period opens with an email; a second run (another replica) adds nothing.
        let day = |n: i64| NOW + n * DAY_MS;
        assert_eq!(review(&state, day(0)).await.expect("run").opened, 1);
        assert_eq!(review(&state, day(0)).await.expect("run"), Review::default());
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(lock_date(&mut conn, account).await.expect("db"), Some((day(14), false)));
        drop(conn);
        assert_eq!(subjects(&state).await, ["Owes Co.: your billing account is in arrears"]);
        // Day 11: nothing; day 12: the reminder, once.
        assert_eq!(review(&state, day(11)).await.expect("run"), Review::default());
        assert_eq!(review(&state, day(12)).await.expect("run").reminded, 1);
        assert_eq!(review(&state, day(13)).await.expect("run"), Review::default());
        assert_eq!(subjects(&state).await.len(), 2);
        assert_eq!(locked(&state, "w_bc").await, None);
        // Day 14: the workspaces the Billing Center account pays lock, twice run at once.
        let (a, b) = tokio::join!(review(&state, day(14)), review(&state, day(14)));
        assert_eq!(a.expect("a").locked + b.expect("b").locked, 1);
        assert_eq!(locked(&state, "w_bc").await.as_deref(), Some("arrears"));
        assert_eq!(locked(&state, "w_cloud").await, None, "a cloud account pays it");
        assert_eq!(subjects(&state).await.len(), 3);
        // A workspace paid by the account since locks on the next run; one bound now locks as
        // it is bound. An operator's unlock cannot lift a lock for arrears.
        workspace(&state, account, "w_late", Settlement::BillingCenter).await;
        assert_eq!(review(&state, day(14) + 1).await.expect("run").locked, 1);
        assert_eq!(locked(&state, "w_late").await.as_deref(), Some("arrears"));
        bound_now(&state, account, "w_new", day(14) + 2).await;
        assert_eq!(locked(&state, "w_new").await.as_deref(), Some("arrears"));
        let mut conn = db.pool().acquire().await.expect("conn");
        assert!(!store::set_lock(&mut conn, account, paid_here, None, day(14)).await.expect("db"));
        drop(conn);
        let detail = crate::workspaces::management::detail(&state, account, paid_here).await.expect("detail");
        assert_eq!(detail.workspace.state, crate::workspaces::model::WorkspaceState::Locked);
        assert_eq!(detail.events[0].kind, WorkspaceEventKind::Locked);

        // Part of the arrears paid: still locked. All of it: unlocked on the next run.
        for (amount, key) in [(100_00, "pay-1"), (50_00, "pay-2")] {
            let mut tx = db.begin_write().await.expect("tx");
            credit_cash(&mut tx, db.backend(), &Credit {
                account,
                currency: Currency::CNY,
                amount,
                reference: key,
                actor: "operator:test",
                key,
                at: Some(day(15)),
            })
            .await
            .expect("credited");
            tx.commit().await.expect("commit");
            let done = review(&state, day(15)).await.expect("run");
            assert_eq!(done.cleared, u64::from(key == "pay-2"), "{key}");
        }
        assert_eq!(locked(&state, "w_bc").await, None);
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(lock_date(&mut conn, account).await.expect("db"), None);
        let kinds: Vec<_> = store::events(&mut conn, paid_here, account)
            .await
            .expect("events")
            .into_iter()
            .map(|e| (e.kind, e.actor))
            .collect();
        assert_eq!(kinds[0], (WorkspaceEventKind::Unlocked, ACTOR.to_string()));
        assert_eq!(kinds[1], (WorkspaceEventKind::Locked, ACTOR.to_string()));
        drop(conn);
        // Owing again later is a new period with its own fourteen days.
        let mut tx = db.begin_write().await.expect("tx");
        deduct(&mut tx, db.backend(), &Charge {
            account,
            currency: Currency::CNY,
            item: "logs",
            amount: 100_00,
            reference: "usage 2026-12-20",
            key: "arrears-test-charge-2",
            at: day(20),
        })
        .await
        .expect("charged");
        tx.commit().await.expect("commit");
        assert_eq!(review(&state, day(20)).await.expect("run").opened, 1);
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(lock_date(&mut conn, account).await.expect("db"), Some((day(34), false)));
    });

    db_test!(a_paid_recharge_unlocks_at_once, |db| async move {
        use std::time::Duration;
        let mut state = state_for(&db).await;
        let (account, _) = account_owned_by(&db, "Owes Co.", "owes@example.com").await;
        workspace(&state, account, "w_paid", Settlement::BillingCenter).await;
        let mut tx = db.begin_write().await.expect("tx");
        deduct(&mut tx, db.backend(), &Charge {
            account,
            currency: Currency::CNY,
            item: "logs",
            amount: 80_00,
            reference: "usage 2026-12-01",
            key: "arrears-at-once-charge",
            at: NOW,
        })
        .await
        .expect("charged into arrears");
        tx.commit().await.expect("commit");
        assert_eq!(review(&state, NOW).await.expect("run").opened, 1);
        assert_eq!(review(&state, NOW + 14 * DAY_MS).await.expect("run").locked, 1);
        assert_eq!(locked(&state, "w_paid").await.as_deref(), Some("arrears"));

        // A server's arrears job, past the lock; its first turn comes as it starts, the next in
        // 30 seconds.
        state.clock = crate::server::clock::Clock::fixed(NOW + 15 * DAY_MS);
        let jobs = crate::schedule::jobs().into_iter().filter(|job| job.name == "arrears").collect();
        crate::server::jobs::start(&state, jobs);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(locked(&state, "w_paid").await.as_deref(), Some("arrears"));
        // Paid at the sandbox checkout: unlocked long before that next turn.
        let actor = crate::team::audit::AuditActor::system(account, "test");
        let order = crate::funds::recharge::create_order(&state, &actor, "100").await.expect("order");
        crate::funds::recharge::sandbox_settle(&state, account, &order, true).await.expect("paid");
        let unlocked = async {
            while locked(&state, "w_paid").await.is_some() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), unlocked).await.expect("unlocked at once");
    });
}
