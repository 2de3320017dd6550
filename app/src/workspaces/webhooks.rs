//! Webhooks to sites: every change of a workspace's state (bound, unbound, settlement changed,
//! locked, unlocked) becomes an event for its site, written in the transaction of the change
//! and POSTed after it, signed with the site's current key like the site API, with an event id
//! the site uses to drop repeats. Delivery is at least once: a failed POST is retried with
//! backoff for about three days. Each attempt is claimed by one conditional update, so with
//! several replicas an event goes out once per attempt.
use super::model::WorkspaceEventKind;
use super::site_api::{self, Entitlement};
use super::site_keys;
use super::store;
use crate::state::AppState;
use crate::time::{HOUR_MS, SECOND_MS};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

pub const EVENT_HEADER: &str = "x-bc-event-id";
/// Attempts before an event is given up (about three days of backoff).
pub const MAX_ATTEMPTS: i64 = 20;
/// How long one attempt holds an event before another replica may try it.
const LEASE_MS: i64 = 60 * SECOND_MS;

/// What a site receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: String,
    /// "bound", "unbound", "settlement_changed", "locked", "unlocked".
    pub kind: String,
    /// Unix milliseconds, UTC.
    pub at: i64,
    pub workspace: Entitlement,
}

/// The wait before attempt `attempts + 1`: 30 s doubling, at most 6 hours.
pub fn backoff_ms(attempts: i64) -> i64 {
    let doubled = 30 * SECOND_MS * (1_i64 << attempts.clamp(0, 20));
    doubled.min(6 * HOUR_MS)
}

/// Queues the event of `kind` for the workspace's site, if the site has a webhook; in the
/// caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    workspace: i64,
    kind: WorkspaceEventKind,
    now: i64,
) -> Result<(), sqlx::Error> {
    let Some(row) = store::workspace_by_id(conn, workspace).await? else {
        return Ok(());
    };
    if store::site_webhook(conn, &row.site_code).await?.is_none() {
        return Ok(());
    }
    let event = Event {
        event_id: crate::server::secrets::random_hex(16),
        kind: kind.code().to_string(),
        at: now,
        workspace: site_api::entitlement(conn, &row).await?,
    };
    let payload = serde_json::to_string(&event).unwrap_or_default();
    store::insert_site_event(conn, &event.event_id, &row, &payload, now).await
}

/// POSTs every event that is due; returns how many were delivered.
pub async fn deliver_due(state: &AppState, now: i64) -> Result<u64, sqlx::Error> {
    let due = {
        let mut conn = state.db.pool().acquire().await?;
        store::due_site_events(&mut conn, now, MAX_ATTEMPTS, 50).await?
    };
    if due.is_empty() {
        return Ok(0);
    }
    let http = crate::server::outbound_client(std::time::Duration::from_secs(10)).unwrap_or_default();
    let mut delivered = 0;
    // Each attempt's time moves on with the run, so a slow site does not make a later lease
    // (or backoff) start in the past.
    let started = std::time::Instant::now();
    for event in due {
        let now = now + i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX / 2);
        let mut conn = state.db.pool().acquire().await?;
        if !store::claim_site_event(&mut conn, event.id, event.next_attempt_at, now + LEASE_MS).await? {
            continue;
        }
        let key = site_keys::current(&mut conn, state.site_key_secret.expose(), &event.site_code, now).await?;
        drop(conn);
        let outcome = match key {
            None => Err("the site has no live key".to_string()),
            Some((version, secret)) => post(&http, &event, version, &secret, now).await,
        };
        let mut conn = state.db.pool().acquire().await?;
        match outcome {
            Ok(()) => {
                store::site_event_delivered(&mut conn, event.id, now).await?;
                delivered += 1;
            }
            Err(error) => {
                tracing::warn!(%error, event = event.event_id, "site webhook not delivered; retried");
                let next = now + backoff_ms(event.attempts);
                store::site_event_failed(&mut conn, event.id, next, &error).await?;
            }
        }
    }
    Ok(delivered)
}

async fn post(
    http: &reqwest::Client,
    event: &store::SiteEventRow,
    version: i64,
    secret: &str,
    now: i64,
) -> Result<(), String> {
    let timestamp = now / 1000;
    let signature = sign(secret, timestamp, event.payload.as_bytes());
    let answer = http
        .post(&event.url)
        .header("content-type", "application/json")
        .header(EVENT_HEADER, &event.event_id)
        .header(site_api::SITE_HEADER, &event.site_code)
        .header(site_api::VERSION_HEADER, version.to_string())
        .header(site_api::TIMESTAMP_HEADER, timestamp.to_string())
        .header(site_api::SIGNATURE_HEADER, signature)
        .body(event.payload.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", answer.status()))
    }
}

/// A webhook's signature: hex HMAC-SHA256 of `<timestamp>.webhook.<body>` under the site's key
/// (the word keeps it from ever standing for a request to the site API, which signs a path).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    crate::server::signing::sign_hex(
        secret.as_bytes(),
        &[timestamp.to_string().as_bytes(), b".webhook.", body],
    )
}

/// Sets (or with `None`, removes) the site's webhook; the address must be http(s).
pub async fn set_webhook(
    conn: &mut AnyConnection,
    site: &str,
    url: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if store::site(conn, site).await?.is_none() {
        return Ok(false);
    }
    match url {
        Some(url) => {
            sqlx::query(
                "INSERT INTO site_webhooks (site_code, url, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (site_code) DO UPDATE SET url = excluded.url",
            )
            .bind(site)
            .bind(url)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM site_webhooks WHERE site_code = $1")
                .bind(site)
                .execute(conn)
                .await?;
        }
    }
    Ok(true)
}

/// Whether `url` is one a webhook may be sent to: http or https with a host.
pub fn webhook_url_ok(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::clock::Clock;
    use crate::server::testing::{db_test, state_for};
    use std::sync::{Arc, Mutex};

    const NOW: i64 = 1_796_000_000_000;

    type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

    /// A site's webhook receiver on a local port, answering `status`.
    async fn receiver(status: Arc<Mutex<u16>>) -> (String, Received) {
        let received: Received = Arc::default();
        let keep = received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (keep, status) = (keep.clone(), status.clone());
                async move {
                    keep.lock().expect("lock").push((headers, body));
                    let code = *status.lock().expect("lock");
                    axum::http::StatusCode::from_u16(code).expect("status")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), received)
    }

    db_test!(changes_reach_the_site_signed_once_and_retried_with_backoff, |db| async move {
        let mut state = state_for(&db).await;
        state.clock = Clock::fixed(NOW);
        let status = Arc::new(Mutex::new(500));
        let (url, received) = receiver(status.clone()).await;
        let mut tx = db.begin_write().await.expect("tx");
        let (_, secret) = site_keys::rotate(&mut tx, state.site_key_secret.expose(), "CN1", NOW)
            .await
            .expect("db")
            .expect("site");
        assert!(set_webhook(&mut tx, "CN1", Some(&url), NOW).await.expect("db"));
        let id = store::known_workspace(&mut tx, "CN1", "w_hook", "Hooked", NOW).await.expect("ws").id;
        enqueue(&mut tx, id, WorkspaceEventKind::Locked, NOW).await.expect("queued");
        enqueue(&mut tx, id, WorkspaceEventKind::Unlocked, NOW).await.expect("queued");
        tx.commit().await.expect("commit");

        // The site is down: one attempt, then nothing until the backoff has passed.
        assert_eq!(deliver_due(&state, NOW).await.expect("run"), 0);
        assert_eq!(received.lock().expect("lock").len(), 1);
        assert_eq!(deliver_due(&state, NOW + 10_000).await.expect("run"), 0);
        assert_eq!(received.lock().expect("lock").len(), 1);
        // Back up: the retry after 30 s is delivered, with the same event id, and only once
        // with two replicas at it.
        *status.lock().expect("lock") = 200;
        let at = NOW + backoff_ms(0);
        let (a, b) = tokio::join!(deliver_due(&state, at), deliver_due(&state, at));
        let c = deliver_due(&state, at + 1).await.expect("run");
        // Each event once, the later only after the earlier (by either replica).
        assert_eq!(a.expect("a") + b.expect("b") + c, 2);
        assert_eq!(deliver_due(&state, at + HOUR_MS).await.expect("run"), 0);
        let got = received.lock().expect("lock").clone();
        assert_eq!(got.len(), 3, "the down site saw the first event only");
        let last: Event = serde_json::from_str(&got[2].1).expect("json");
        assert_eq!(last.kind, "unlocked");
        let (headers, body) = &got[1];
        assert_eq!(headers[EVENT_HEADER], got[0].0[EVENT_HEADER]);
        let ts = headers[site_api::TIMESTAMP_HEADER].to_str().expect("ts");
        let signature = headers[site_api::SIGNATURE_HEADER].to_str().expect("sig");
        assert_eq!(signature, sign(&secret, ts.parse().expect("ts"), body.as_bytes()));
        let event: Event = serde_json::from_str(body).expect("json");
        assert_eq!((event.kind.as_str(), event.workspace.workspace_id.as_str()), ("locked", "w_hook"));
        // A site without a webhook gets no events.
        let mut tx = db.begin_write().await.expect("tx");
        let other = store::known_workspace(&mut tx, "CN2", "w_quiet", "Quiet", NOW).await.expect("ws").id;
        enqueue(&mut tx, other, WorkspaceEventKind::Bound, NOW).await.expect("nothing");
        tx.commit().await.expect("commit");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM site_events")
            .fetch_one(db.pool())
            .await
            .expect("count");
        assert_eq!(n, 2);
    });

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(19), 6 * HOUR_MS);
        assert_eq!(backoff_ms(-3), 30_000);
        assert_eq!(backoff_ms(i64::MAX), 6 * HOUR_MS);
    }
}
