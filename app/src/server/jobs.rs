//! The job runner: work that runs on a timer in every replica, each run claimed first so one
//! replica does it. A job has a name and a period; a run is (name, start of its period), and the
//! replica whose insert of that row succeeds runs it and records how it went. A job that must
//! run in every replica at once (delivering the message queue, whose messages are claimed one by
//! one) says so with `claimed: false`. A job may also wait for an [`Event`]: when it happens,
//! the job runs on this replica at once instead of at its next turn.
use crate::server::db::{now_millis, Db};
use crate::state::AppState;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Something that happened that a job may run for at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Money arrived for an account (a paid recharge, a bank transfer): it may settle arrears.
    FundsReceived,
}

/// The jobs of this process that wait for events. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Wakeups(Arc<Mutex<Vec<(Event, Arc<Notify>)>>>);

impl Wakeups {
    /// Runs the jobs waiting for `event` now (on this replica; the others at their next turn).
    pub fn notify(&self, event: Event) {
        let waiting = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (_, notify) in waiting.iter().filter(|(e, _)| *e == event) {
            notify.notify_one();
        }
    }

    fn subscribe(&self, event: Event) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        let mut waiting = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        waiting.push((event, notify.clone()));
        notify
    }
}

/// What a run did, for the log: how many things it handled.
pub type Outcome = Result<u64, String>;
type Work = fn(AppState, i64) -> Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One scheduled job.
#[derive(Clone, Copy)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    /// Claimed per run (one replica does each run) or run by every replica.
    pub claimed: bool,
    /// An event the job also runs for at once (a job that is not claimed: a claimed one would
    /// find its period's run taken).
    pub woken_by: Option<Event>,
    /// The work, given the state and the time of the run (Unix milliseconds).
    pub work: Work,
}

/// Claims the run of `name` for the period starting at `period`; false when another replica
/// (or an earlier tick of this one) has it.
pub async fn claim(db: &Db, name: &str, period: i64, now: i64) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "INSERT INTO job_runs (name, period, claimed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name, period) DO NOTHING",
    )
    .bind(name)
    .bind(period)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn finish(db: &Db, name: &str, period: i64, outcome: &Outcome) -> Result<(), sqlx::Error> {
    let text = match outcome {
        Ok(done) => format!("ok: {done}"),
        Err(error) => format!("failed: {error}"),
    };
    sqlx::query(
        "UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE name = $3 AND period = $4",
    )
    .bind(now_millis())
    .bind(text)
    .bind(name)
    .bind(period)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Runs `job` once for the period containing `now`, if this replica gets the run.
pub async fn run_once(state: &AppState, job: &Job, now: i64) -> Option<Outcome> {
    let every = i64::try_from(job.every.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let period = now - now.rem_euclid(every);
    if job.claimed {
        match claim(&state.db, job.name, period, now).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                tracing::error!(%error, job = job.name, "job run could not be claimed");
                return None;
            }
        }
    }
    let outcome = (job.work)(state.clone(), now).await;
    match &outcome {
        Ok(0) => {}
        Ok(done) => tracing::info!(job = job.name, done, "job ran"),
        Err(error) => tracing::error!(job = job.name, %error, "job failed"),
    }
    if job.claimed {
        if let Err(error) = finish(&state.db, job.name, period, &outcome).await {
            tracing::warn!(%error, job = job.name, "job run not recorded");
        }
    }
    Some(outcome)
}

/// Starts every job on its own timer (for the life of the process).
pub fn start(state: &AppState, jobs: Vec<Job>) {
    for job in jobs {
        let state = state.clone();
        debug_assert!(job.woken_by.is_none() || !job.claimed, "{}: a claimed run cannot be woken", job.name);
        let woken = job.woken_by.map(|event| state.wakeups.subscribe(event));
        tokio::spawn(async move {
            let mut every = tokio::time::interval(job.every);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                match &woken {
                    Some(notify) => tokio::select! {
                        _ = every.tick() => {}
                        _ = notify.notified() => {}
                    },
                    None => {
                        every.tick().await;
                    }
                }
                run_once(&state, &job, state.clock.now()).await;
            }
        });
    }
}

/// Forgets job runs older than `before` (housekeeping).
pub async fn forget_before(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM job_runs WHERE claimed_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::{db_test, state_for};
    use std::sync::atomic::{AtomicU64, Ordering};

    static RAN: AtomicU64 = AtomicU64::new(0);

    fn counting(_: AppState, _: i64) -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
        Box::pin(async {
            RAN.fetch_add(1, Ordering::SeqCst);
            Ok(1)
        })
    }

    db_test!(a_run_is_done_once_across_replicas, |db| async move {
        let state = state_for(&db).await;
        let job = Job {
            name: "test-job",
            every: Duration::from_secs(300),
            claimed: true,
            woken_by: None,
            work: counting,
        };
        let now = 1_800_000_000_000;
        let before = RAN.load(Ordering::SeqCst);
        // Eight replicas ticking at the same moment, twice within one period.
        let mut ticks = Vec::new();
        for i in 0..16 {
            let (state, job) = (state.clone(), job);
            ticks.push(tokio::spawn(async move {
                run_once(&state, &job, now + i * 1_000).await.is_some()
            }));
        }
        let mut ran = 0;
        for tick in ticks {
            ran += u64::from(tick.await.expect("tick"));
        }
        assert_eq!(ran, 1);
        // The next period is a new run.
        assert!(run_once(&state, &job, now + 300_000).await.is_some());
        // Both backends' tests share the counter; at least our two runs happened.
        assert!(RAN.load(Ordering::SeqCst) >= before + 2);
    });

    #[tokio::test]
    async fn an_event_wakes_the_jobs_waiting_for_it() {
        let wakeups = Wakeups::default();
        let waiting = wakeups.subscribe(Event::FundsReceived);
        wakeups.notify(Event::FundsReceived);
        tokio::time::timeout(Duration::from_secs(1), waiting.notified())
            .await
            .expect("woken");
    }
}
