//! Metering on both backends: ingestion (what is counted, what is refused and why), the HTTP
//! edge of the usage API, rating per counting rule and tier, time-zone boundaries, late
//! records as restatements, a price change, two replicas racing, a cloud-settled day.
use crate::metering::ingestion::{self, IngestAnswer, IngestError, UsageRecord};
use crate::metering::run::rate_due;
use crate::metering::store;
use crate::funds::cash::{cash_and_arrears, credit_cash, Credit};
use crate::money::Currency;
use crate::server::clock::Clock;
use crate::server::db::Db;
use crate::server::testing::{db_test, state_for};
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::workspaces::site_api::{self, Signed};
use sqlx::Row;

/// 2026-12-01 00:00 Beijing time (2026-11-30 16:00 UTC): the first day of these tests.
const DAY1: i64 = 1_796_054_400_000;

fn hour_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn record(id: &str, workspace: &str, item: &str, tier: &str, hour: i64, quantity: &str) -> UsageRecord {
    UsageRecord {
        record_id: id.into(),
        workspace_id: workspace.into(),
        item: item.into(),
        tier: tier.into(),
        hour: hour_text(hour),
        quantity: quantity.into(),
    }
}

/// `body` signed by `site` with its current key, taken in.
async fn send_body(state: &AppState, site: &str, body: &[u8]) -> Result<IngestAnswer, IngestError> {
    let mut conn = state.db.pool().acquire().await.expect("conn");
    let (version, secret) = crate::workspaces::site_keys::current(
        &mut conn,
        state.site_key_secret.expose(),
        site,
        state.clock.now(),
    )
    .await
    .expect("db")
    .expect("a key");
    drop(conn);
    let timestamp = state.clock.now() / 1000;
    let signature = site_api::sign(&secret, timestamp, crate::metering::http::USAGE_PATH, body);
    let (version, timestamp) = (version.to_string(), timestamp.to_string());
    let signed = Signed {
        site,
        version: &version,
        timestamp: &timestamp,
        signature: &signature,
    };
    ingestion::ingest(state, &signed, crate::metering::http::USAGE_PATH, body, false).await
}

async fn send(state: &AppState, records: Vec<UsageRecord>) -> IngestAnswer {
    let body = serde_json::to_vec(&ingestion::Batch { records }).expect("json");
    send_body(state, "CN1", &body).await.expect("taken in")
}

/// A server at `now` with a key for CN1; a customer with ¥1,000 of cash and workspace
/// `wksp_m` of CN1 bound to it: (state, account, workspace id).
async fn customer(db: &Db, now: i64) -> (AppState, i64, i64) {
    let mut state = state_for(db).await;
    state.clock = Clock::fixed(now);
    with_customer(db, state).await
}

async fn with_customer(db: &Db, state: AppState) -> (AppState, i64, i64) {
    let now = state.clock.now();
    crate::workspaces::simulator::ensure_key(db, state.site_key_secret.expose(), "CN1", now)
        .await
        .expect("key");
    let (account, _) = crate::team::testing::account_owned_by(db, "Metered Co.", "metered@example.com").await;
    let mut tx = db.begin_write().await.expect("tx");
    let row = crate::workspaces::store::known_workspace(&mut tx, "CN1", "wksp_m", "Metered", now)
        .await
        .expect("known");
    assert!(crate::workspaces::store::bind(&mut tx, row.id, account, now).await.expect("bind"));
    credit_cash(
        &mut tx,
        db.backend(),
        &Credit {
            account,
            currency: Currency::CNY,
            amount: 1_000_00,
            reference: "bank transfer",
            actor: "operator:test",
            key: "test:recharge",
            at: Some(now),
        },
    )
    .await
    .expect("cash");
    tx.commit().await.expect("commit");
    (state, account, row.id)
}

/// (day, item, tier, revision, quantity in millionths, amount) of every line, in order.
async fn lines(db: &Db) -> Vec<(String, String, String, i64, i64, i64)> {
    sqlx::query(
        "SELECT day, item_code, tier, revision, quantity_micros, amount FROM daily_lines \
         ORDER BY day, item_code, tier, revision",
    )
    .fetch_all(db.pool())
    .await
    .expect("lines")
    .iter()
    .map(|r| {
        (
            r.get("day"),
            r.get("item_code"),
            r.get("tier"),
            r.get("revision"),
            r.get("quantity_micros"),
            r.get("amount"),
        )
    })
    .collect()
}

async fn cash(db: &Db, account: i64) -> i64 {
    let mut conn = db.pool().acquire().await.expect("conn");
    cash_and_arrears(&mut conn, account, Currency::CNY).await.expect("cash").0
}

async fn reconciles(db: &Db) {
    let mut conn = db.pool().acquire().await.expect("conn");
    assert!(crate::ledger::posting::reconcile(&mut conn).await.expect("ledger").is_empty());
    assert_eq!(store::lines_off_their_postings(&mut conn).await.expect("lines"), Vec::<i64>::new());
}

fn refused_for(answer: &IngestAnswer, id: &str) -> String {
    answer
        .refused
        .iter()
        .find(|r| r.record_id == id)
        .map(|r| r.reason.clone())
        .unwrap_or_else(|| panic!("{id} was not refused: {answer:?}"))
}

db_test!(ingestion_counts_each_record_once_and_says_why_not, |db| async move {
    let now = DAY1 + 20 * HOUR_MS + 5 * MINUTE_MS;
    let (state, _, workspace) = customer(&db, now).await;
    let h = DAY1 + 2 * HOUR_MS;
    let first = send(&state, vec![
        record("r1", "wksp_m", "logs", "30d", h, "1000"),
        record("r2", "wksp_m", "time_series", "7d", h, "12.5"),
        // Twice in one batch with the same content: once; with other content: refused.
        record("r3", "wksp_m", "sms", "", h, "2"),
        record("r3", "wksp_m", "sms", "", h, "2"),
        record("r4", "wksp_m", "sms", "", h, "2"),
        record("r4", "wksp_m", "sms", "", h, "3"),
    ])
    .await;
    assert_eq!(first.accepted, ["r1", "r2", "r3", "r4"]);
    assert_eq!(first.duplicates, ["r3"]);
    assert!(refused_for(&first, "r4").contains("other content"));
    // The same records again: duplicates; the same id with another quantity: refused.
    let again = send(&state, vec![
        record("r1", "wksp_m", "logs", "30d", h, "1000"),
        record("r2", "wksp_m", "time_series", "7d", h, "13"),
    ])
    .await;
    assert_eq!((again.accepted.len(), again.duplicates.clone()), (0, vec!["r1".to_string()]));
    assert!(refused_for(&again, "r2").contains("already used"));
    // Why each of these is refused.
    let bad = send(&state, vec![
        record("u1", "wksp_nobody", "logs", "30d", h, "1"),
        record("u2", "wksp_m", "coffee", "", h, "1"),
        record("u3", "wksp_m", "logs", "1d", h, "1"),
        record("u4", "wksp_m", "logs", "30d", now - now % HOUR_MS + 2 * HOUR_MS, "1"),
        record("u5", "wksp_m", "logs", "30d", h, "-1"),
        record("u6", "wksp_m", "logs", "30d", h, "1e3"),
        record("u7", "wksp_m", "logs", "30d", h, "0.0000001"),
        record("u8", "wksp_m", "logs", "30d", now - now % HOUR_MS - 101 * DAY_MS, "1"),
        record("u9\u{0}", "wksp_m", "logs", "30d", h, "1"),
        record("u10", "../wksp", "logs", "30d", h, "1"),
        UsageRecord { hour: "2026-12-01T10:30:00Z".into(), ..record("u11", "wksp_m", "logs", "30d", h, "1") },
        // Up to an hour ahead of the clock is taken.
        record("ok1", "wksp_m", "logs", "30d", now - now % HOUR_MS + HOUR_MS, "1"),
    ])
    .await;
    assert_eq!(bad.accepted, ["ok1"]);
    assert!(refused_for(&bad, "u1").contains("unknown workspace"));
    assert!(refused_for(&bad, "u2").contains("unknown billing item"));
    assert!(refused_for(&bad, "u3").contains("tier"));
    assert!(refused_for(&bad, "u4").contains("future"));
    for id in ["u5", "u6", "u7"] {
        assert!(refused_for(&bad, id).contains("quantity"), "{id}");
    }
    assert!(refused_for(&bad, "u8").contains("days ago"));
    assert!(bad.refused.iter().any(|r| r.reason.contains("record_id")));
    assert!(refused_for(&bad, "u10").contains("unknown workspace"));
    assert!(refused_for(&bad, "u11").contains("start of an hour"));
    // A workspace known but bound to no one, and a locked one.
    let mut tx = db.begin_write().await.expect("tx");
    crate::workspaces::store::known_workspace(&mut tx, "CN1", "wksp_free", "Free", now).await.expect("known");
    tx.commit().await.expect("commit");
    sqlx::query("UPDATE workspaces SET locked_at = $2, lock_reason = 'arrears' WHERE id = $1")
        .bind(workspace)
        .bind(now)
        .execute(db.pool())
        .await
        .expect("locked");
    let refused = send(&state, vec![
        record("f1", "wksp_free", "logs", "30d", h, "1"),
        record("l1", "wksp_m", "logs", "30d", h, "1"),
    ])
    .await;
    assert!(refused_for(&refused, "f1").contains("not bound"));
    assert!(refused_for(&refused, "l1").contains("locked (arrears)"));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(stored, 5);
    // A batch of 10,000 records is taken in whole; one more is refused whole (413).
    sqlx::query("UPDATE workspaces SET locked_at = NULL, lock_reason = NULL").execute(db.pool()).await.expect("unlocked");
    let many: Vec<UsageRecord> = (0..ingestion::MAX_RECORDS)
        .map(|i| record(&format!("big-{i}"), "wksp_m", "logs", "30d", DAY1 + (i as i64 % 20) * HOUR_MS, "10"))
        .collect();
    let answer = send(&state, many.clone()).await;
    assert_eq!(answer.accepted.len(), ingestion::MAX_RECORDS);
    let mut too_many = many;
    too_many.push(record("big-extra", "wksp_m", "logs", "30d", DAY1, "1"));
    let body = serde_json::to_vec(&ingestion::Batch { records: too_many }).expect("json");
    assert_eq!(send_body(&state, "CN1", &body).await.err(), Some(IngestError::TooLarge));
});

db_test!(concurrent_repeats_of_a_batch_are_counted_once, |db| async move {
    let now = DAY1 + 20 * HOUR_MS;
    let (state, _, _) = customer(&db, now).await;
    let records: Vec<UsageRecord> = (0..20)
        .map(|i| record(&format!("c{i}"), "wksp_m", "logs", "30d", DAY1 + i * HOUR_MS / 2 / HOUR_MS * HOUR_MS, "5"))
        .collect();
    let sends = (0..200).map(|_| {
        let (state, records) = (state.clone(), records.clone());
        tokio::spawn(async move {
            let body = serde_json::to_vec(&ingestion::Batch { records }).expect("json");
            send_body(&state, "CN1", &body).await
        })
    });
    let mut accepted = 0;
    for answer in futures::future::join_all(sends).await {
        match answer.expect("ran") {
            Ok(answer) => {
                assert!(answer.refused.is_empty(), "{:?}", answer.refused);
                accepted += answer.accepted.len();
            }
            // A busy database may turn a batch away whole (the site retries); never half.
            Err(IngestError::Site(site_api::SiteApiError::Database)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, 20);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(db.pool()).await.expect("count");
    assert_eq!(stored, 20);
});

/// A server of this process listening on a free port: (state, origin).
async fn listening(db: &Db, now: i64) -> (AppState, String) {
    crate::server::testing::serve(db, now, &[]).await
}

db_test!(the_usage_api_answers_over_http, |db| async move {
    let now = DAY1 + 20 * HOUR_MS;
    let (state, origin) = listening(&db, now).await;
    let (state, _, _) = with_customer(&db, state).await;
    // The simulator posts gzip, signed over the packed body, as a site does.
    let records = crate::metering::simulator::usage("wksp_m", 1, now, 100);
    let sent = records.len();
    let answer = crate::metering::simulator::post(&state, &origin, "CN1", records).await.expect("posted");
    assert_eq!(answer.accepted.len(), sent);
    let http = reqwest::Client::new();
    let url = format!("{origin}{}", crate::metering::http::USAGE_PATH);
    let post = |body: Vec<u8>, signature: Option<String>| {
        let (http, url, state) = (http.clone(), url.clone(), state.clone());
        async move {
            let ts = state.clock.now() / 1000;
            let mut conn = state.db.pool().acquire().await.expect("conn");
            let (_, secret) = crate::workspaces::site_keys::current(&mut conn, state.site_key_secret.expose(), "CN1", state.clock.now())
                .await.expect("db").expect("key");
            let signature = signature.unwrap_or_else(|| site_api::sign(&secret, ts, crate::metering::http::USAGE_PATH, &body));
            let response = http
                .post(&url)
                .header(site_api::SITE_HEADER, "CN1")
                .header(site_api::VERSION_HEADER, "1")
                .header(site_api::TIMESTAMP_HEADER, ts.to_string())
                .header(site_api::SIGNATURE_HEADER, signature)
                .body(body)
                .send()
                .await
                .expect("sent");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };
    let one = br#"{"records":[{"record_id":"h1","workspace_id":"wksp_m","item":"logs","tier":"30d","hour":"2026-12-01T02:00:00Z","quantity":"1"}]}"#.to_vec();
    assert_eq!(post(one.clone(), Some("00".repeat(32))).await.0, 401);
    assert_eq!(post(b"{not json".to_vec(), None).await.0, 400);
    // A JSON number for a quantity is not a decimal string: the batch is malformed.
    assert_eq!(post(br#"{"records":[{"record_id":"h2","workspace_id":"wksp_m","item":"logs","tier":"30d","hour":"2026-12-01T02:00:00Z","quantity":1.5}]}"#.to_vec(), None).await.0, 400);
    assert_eq!(post(vec![b' '; ingestion::MAX_BODY + 1], None).await.0, 413);
    let (status, text) = post(one, None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"accepted\":[\"h1\"]"), "{text}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(db.pool()).await.expect("count");
    assert_eq!(stored as usize, sent + 1);
});

db_test!(a_day_is_rated_by_its_counting_rules_and_deducted_once, |db| async move {
    let (state, account, _) = customer(&db, DAY1 + 23 * HOUR_MS).await;
    send(&state, vec![
        // Time series: the largest hour (two records of hour 3 add up to 12,000).
        record("t1", "wksp_m", "time_series", "7d", DAY1 + HOUR_MS, "10000"),
        record("t2", "wksp_m", "time_series", "7d", DAY1 + 3 * HOUR_MS, "7000"),
        record("t3", "wksp_m", "time_series", "7d", DAY1 + 3 * HOUR_MS, "5000"),
        // Logs: the sum, at two tiers priced apart.
        record("g1", "wksp_m", "logs", "30d", DAY1 + HOUR_MS, "600000"),
        record("g2", "wksp_m", "logs", "30d", DAY1 + 5 * HOUR_MS, "634567"),
        record("g3", "wksp_m", "logs", "7d", DAY1 + 5 * HOUR_MS, "2000000"),
        record("s1", "wksp_m", "sms", "", DAY1 + 5 * HOUR_MS, "25"),
    ])
    .await;
    // Before the day is over in Beijing, nothing is rated.
    assert_eq!(rate_due(&state, DAY1 + 23 * HOUR_MS).await.expect("ran").lines, 0);
    let after = DAY1 + DAY_MS + 10 * MINUTE_MS;
    state.clock.advance(after - state.clock.now());
    assert_eq!(rate_due(&state, after).await.expect("ran").lines, 4);
    let day = "2026-12-01".to_string();
    let m = |n: i64| n * 1_000_000;
    assert_eq!(
        lines(&db).await,
        vec![
            // 1,234,567 logs at 2 per million: 2.469134 -> 2.47.
            (day.clone(), "logs".into(), "30d".into(), 0, m(1_234_567), 247),
            // 2,000,000 at 1.2 per million.
            (day.clone(), "logs".into(), "7d".into(), 0, m(2_000_000), 240),
            // 25 messages at 1 per 10.
            (day.clone(), "sms".into(), "".into(), 0, m(25), 250),
            // 12,000 time series at 0.7 per 1,000.
            (day.clone(), "time_series".into(), "7d".into(), 0, m(12_000), 840),
        ]
    );
    assert_eq!(cash(&db, account).await, 1_000_00 - 247 - 240 - 250 - 840);
    // A rerun, now or later, posts nothing again.
    assert_eq!(rate_due(&state, after).await.expect("ran").lines, 0);
    assert_eq!(rate_due(&state, after + DAY_MS).await.expect("ran").lines, 0);
    assert_eq!(cash(&db, account).await, 1_000_00 - 1577);
    reconciles(&db).await;
    // Consumption details show each line with what paid it; a line of another account is not
    // found by id.
    let page = crate::metering::details::lines(&state, account, &Default::default()).await.expect("page");
    assert_eq!(page.rows.len(), 4);
    assert!(page.rows.iter().all(|l| l.paid_by.len() == 1 && l.paid_by[0].kind == "cash"));
    let logs = page.rows.iter().find(|l| l.item_code == "logs" && l.tier == "30d").expect("logs");
    assert_eq!((logs.quantity.as_str(), logs.unit_price.as_str(), logs.amount.as_str()), ("1,234,567", "¥2.00", "¥2.47"));
    let detail = crate::metering::details::line_detail(&state, account, logs.id).await.expect("detail");
    assert_eq!(detail.counting, crate::metering::model::Counting::Sum);
    assert_eq!(detail.hours.iter().map(|h| h.quantity.as_str()).collect::<Vec<_>>(), ["600,000", "634,567"]);
    let series = page.rows.iter().find(|l| l.item_code == "time_series").expect("series");
    let detail = crate::metering::details::line_detail(&state, account, series.id).await.expect("detail");
    assert_eq!(detail.counting, crate::metering::model::Counting::Max);
    assert_eq!(detail.hours.iter().map(|h| (h.quantity.as_str(), h.records)).collect::<Vec<_>>(), [("10,000", 1), ("12,000", 2)]);
    let other = crate::team::testing::another_account(&db).await;
    assert!(matches!(crate::metering::details::line_detail(&state, other, logs.id).await, Err(crate::error::AppError::NotFound)));
    assert!(crate::metering::details::lines(&state, other, &Default::default()).await.expect("page").rows.is_empty());
    // Filters: an item, a workspace, days.
    let only = |item: &str, from: &str| crate::metering::model::ConsumptionQuery { item: item.into(), from: from.into(), ..Default::default() };
    assert_eq!(crate::metering::details::lines(&state, account, &only("logs", "")).await.expect("page").rows.len(), 2);
    assert_eq!(crate::metering::details::lines(&state, account, &only("", "2026-12-02")).await.expect("page").rows.len(), 0);
    assert!(crate::metering::details::lines(&state, account, &only("", "12/01/2026")).await.is_err());
});

db_test!(days_are_cut_at_midnight_in_the_sites_zone, |db| async move {
    // 23:30 and 00:30 Beijing time fall in the hours 23:00 and 00:00 of two days.
    let (state, _, _) = customer(&db, DAY1 + DAY_MS + 2 * HOUR_MS).await;
    let answer = send(&state, vec![
        record("late", "wksp_m", "logs", "30d", DAY1 + 23 * HOUR_MS, "1000000"),
        record("early", "wksp_m", "logs", "30d", DAY1 + DAY_MS, "3000000"),
    ])
    .await;
    assert_eq!(answer.accepted.len(), 2);
    let days: Vec<String> = sqlx::query_scalar("SELECT day FROM usage_records ORDER BY hour")
        .fetch_all(db.pool())
        .await
        .expect("days");
    assert_eq!(days, ["2026-12-01", "2026-12-02"]);
    // At 00:10 on the 2nd only the 1st is over.
    rate_due(&state, DAY1 + DAY_MS + 10 * MINUTE_MS).await.expect("ran");
    assert_eq!(lines(&db).await.iter().map(|l| (l.0.as_str(), l.5)).collect::<Vec<_>>(), [("2026-12-01", 200)]);
    // A missed run is caught up: two days later both are rated, once.
    rate_due(&state, DAY1 + 3 * DAY_MS).await.expect("ran");
    rate_due(&state, DAY1 + 3 * DAY_MS).await.expect("ran");
    assert_eq!(
        lines(&db).await.iter().map(|l| (l.0.as_str(), l.5)).collect::<Vec<_>>(),
        [("2026-12-01", 200), ("2026-12-02", 600)]
    );
});

db_test!(late_records_are_rated_as_a_restatement, |db| async move {
    let (state, account, workspace) = customer(&db, DAY1 + 20 * HOUR_MS).await;
    send(&state, vec![record("a", "wksp_m", "logs", "30d", DAY1 + HOUR_MS, "1500000")]).await;
    // Unbinding waits until the usage is rated.
    let me = crate::team::testing::owner_caller(&db, account).await;
    let client = crate::accounts::service::Client { addr: "10.0.0.1".into(), user_agent: "test".into() };
    assert!(matches!(
        crate::workspaces::binding::unbind(&state, &me, workspace, &client).await,
        Err(crate::error::AppError::Rejected(crate::messages::Msg::UnsettledUsage))
    ));
    let after = DAY1 + DAY_MS + HOUR_MS;
    rate_due(&state, after).await.expect("ran");
    // Two records of the same day arrive after it was rated: taken in, rated on the next run
    // as the difference, beside the original.
    state.clock.advance(after - state.clock.now());
    let late = send(&state, vec![
        record("b", "wksp_m", "logs", "30d", DAY1 + 2 * HOUR_MS, "1000000"),
        record("c", "wksp_m", "logs", "30d", DAY1 + 3 * HOUR_MS, "250000"),
    ])
    .await;
    assert_eq!(late.accepted.len(), 2);
    let rated = rate_due(&state, after + HOUR_MS).await.expect("ran");
    assert_eq!((rated.lines, rated.restatements), (1, 1));
    let m = |n: i64| n * 1_000_000;
    let day = "2026-12-01".to_string();
    assert_eq!(
        lines(&db).await,
        vec![
            (day.clone(), "logs".into(), "30d".into(), 0, m(1_500_000), 300),
            // 2,750,000 at 2 per million is 5.50: 2.50 more than was posted.
            (day.clone(), "logs".into(), "30d".into(), 1, m(2_750_000), 250),
        ]
    );
    assert_eq!(cash(&db, account).await, 1_000_00 - 550);
    let page = crate::metering::details::lines(&state, account, &Default::default()).await.expect("page");
    let restatement = &page.rows[0];
    assert_eq!(
        (restatement.revision, restatement.previous_amount.as_str(), restatement.new_total.as_str(), restatement.late_records),
        (1, "¥3.00", "¥5.50", 2)
    );
    let detail = crate::metering::details::line_detail(&state, account, restatement.id).await.expect("detail");
    assert_eq!(detail.revisions.len(), 2);
    // The same records once more change nothing.
    let again = send(&state, vec![record("b", "wksp_m", "logs", "30d", DAY1 + 2 * HOUR_MS, "1000000")]).await;
    assert_eq!(again.duplicates, ["b"]);
    assert_eq!(rate_due(&state, after + 2 * HOUR_MS).await.expect("ran").lines, 0);
    reconciles(&db).await;
    // Rated now, the workspace may be unbound.
    crate::workspaces::binding::unbind(&state, &me, workspace, &client).await.expect("unbound");
});

db_test!(a_price_version_applies_from_its_first_day, |db| async move {
    let (state, account, _) = customer(&db, DAY1 + 20 * HOUR_MS).await;
    let table = |logs_30d: &str| {
        let mut conn_rows = String::from("item,tier,price\n");
        conn_rows.push_str(&format!("logs,30d,{logs_30d}\n"));
        conn_rows
    };
    let operator = "operator:1:ops@example.com";
    let add = |day: &'static str, prices: String| {
        let state = state.clone();
        async move {
            crate::metering::prices::add_version(&state, operator, &crate::metering::prices::NewVersion {
                currency: "CNY",
                effective_from: day,
                note: "new year",
                table: &prices,
            })
            .await
        }
    };
    // A version must price every item and tier of the last, and start after today.
    let mut conn = db.pool().acquire().await.expect("conn");
    let current = store::version_on(&mut conn, "CNY", "2026-12-01").await.expect("db").expect("version");
    let rows = crate::metering::details::price_list(&mut conn, Currency::CNY, "2026-12-01").await.expect("list").current.rows;
    drop(conn);
    assert!(matches!(add("2026-12-03", table("3")).await, Err(crate::error::AppError::Field { .. })));
    let whole = crate::metering::model::price_table(&rows).replace("logs,30d,2\n", "logs,30d,3\n");
    assert!(add("2026-12-01", whole.clone()).await.is_err());
    assert!(add("2026-12-0x", whole.clone()).await.is_err());
    let new = add("2026-12-02", whole.clone()).await.expect("added");
    assert_ne!(new, current.id);
    assert!(add("2026-12-02", whole).await.is_err());
    // Usage on the 1st keeps the old price; on the 2nd the new one.
    state.clock.advance(DAY_MS + 5 * HOUR_MS);
    send(&state, vec![
        record("p1", "wksp_m", "logs", "30d", DAY1 + HOUR_MS, "1000000"),
        record("p2", "wksp_m", "logs", "30d", DAY1 + DAY_MS + HOUR_MS, "1000000"),
    ])
    .await;
    rate_due(&state, DAY1 + 2 * DAY_MS + HOUR_MS).await.expect("ran");
    assert_eq!(
        lines(&db).await.iter().map(|l| (l.0.as_str(), l.5)).collect::<Vec<_>>(),
        [("2026-12-01", 200), ("2026-12-02", 300)]
    );
    assert_eq!(cash(&db, account).await, 1_000_00 - 500);
    let mut conn = db.pool().acquire().await.expect("conn");
    let list = crate::metering::details::price_list(&mut conn, Currency::CNY, "2026-12-01").await.expect("list");
    assert_eq!(list.upcoming.len(), 1);
    assert_eq!(list.upcoming[0].effective_from, "2026-12-02");
});

db_test!(two_replicas_racing_rate_each_day_once, |db| async move {
    let (state, account, _) = customer(&db, DAY1 + 20 * HOUR_MS).await;
    let mut records = Vec::new();
    for day in 0..5 {
        for hour in 0..24 {
            let at = DAY1 + day * DAY_MS + hour * HOUR_MS;
            records.push(record(&format!("r{day}-{hour}"), "wksp_m", "logs", "30d", at, "100000"));
            records.push(record(&format!("t{day}-{hour}"), "wksp_m", "time_series", "7d", at, &format!("{}", 1000 + hour * 10)));
        }
    }
    state.clock.advance(5 * DAY_MS);
    send(&state, records).await;
    let other = state_for(&db).await;
    let at = DAY1 + 5 * DAY_MS + HOUR_MS;
    let runs = (0..4).map(|i| {
        let state = if i % 2 == 0 { state.clone() } else { other.clone() };
        tokio::spawn(async move { rate_due(&state, at).await })
    });
    let mut rated = 0;
    for run in futures::future::join_all(runs).await {
        rated += run.expect("ran").expect("rated").lines;
    }
    assert_eq!(rated, 10);
    let all = lines(&db).await;
    assert_eq!(all.len(), 10);
    assert!(all.iter().all(|l| l.3 == 0));
    // 2.4 million logs a day at 2 per million, and 1,230 time series at 0.7 per 1,000.
    assert_eq!(all.iter().map(|l| l.5).sum::<i64>(), 5 * (480 + 86));
    assert_eq!(cash(&db, account).await, 1_000_00 - 5 * 566);
    reconciles(&db).await;
});

/// A cloud account of `cloud` (`subscription` its marketplace's key for it), active, linked to
/// `account`, that pays for `workspace` from now on.
async fn settled_by(db: &Db, account: i64, workspace: i64, cloud: &str, subscription: &str) -> i64 {
    let mut tx = db.begin_write().await.expect("tx");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cloud_accounts (cloud, subscription_ref, cloud_account_ref, customer_ref, product_code, status, \
         billing_account_id, created_at) VALUES ($1, $2, 'buyer-1', 'cust-1', 'prod-1', 'active', $3, $4) RETURNING id",
    )
    .bind(cloud)
    .bind(subscription)
    .bind(account)
    .bind(DAY1)
    .fetch_one(&mut *tx)
    .await
    .expect("cloud account");
    sqlx::query("UPDATE workspaces SET settlement = 'cloud', cloud_account_id = $2 WHERE id = $1")
        .bind(workspace)
        .bind(id)
        .execute(&mut *tx)
        .await
        .expect("settled by the cloud");
    tx.commit().await.expect("commit");
    id
}

/// The marketplaces' simulators, every listing priced in the test account's yuan.
const MARKETPLACES: &[(&str, &str)] = &[("BC_MARKETPLACE_SIMULATOR", "1"), ("BC_AWS_LISTING_CURRENCY", "CNY")];

/// What the simulator of `cloud` took: (subject, quantity).
async fn collected(db: &Db, cloud: &str) -> Vec<(String, String)> {
    let mut conn = db.pool().acquire().await.expect("conn");
    crate::cloud_accounts::store::simulated(&mut conn, cloud)
        .await
        .expect("simulated")
        .into_iter()
        .map(|(_, subject, quantity)| (subject, quantity))
        .collect()
}

/// The collection shown on the line of `day` (the first of the account's lines that day).
async fn collection_of(state: &AppState, account: i64, day: &str) -> crate::metering::model::Collection {
    let page = crate::metering::details::lines(state, account, &Default::default()).await.expect("page");
    let line = page.rows.iter().find(|l| l.day == day).expect("line of the day");
    let detail = crate::metering::details::line_detail(state, account, line.id).await.expect("detail");
    detail.collection.expect("a cloud paid it")
}

db_test!(each_marketplace_is_asked_once_for_what_its_cloud_paid, |db| async move {
    use crate::metering::cloud::report_due;
    use crate::metering::model::CollectionStatus;
    let (state, _) = crate::server::testing::serve(&db, DAY1 + 20 * HOUR_MS, MARKETPLACES).await;
    let (state, account, workspace) = with_customer(&db, state).await;
    let clouds = [
        ("aws", "123456789012|arn:aws:license-manager::123456789012:license/l-1", "400"),
        ("aliyun", "inst-1", "Frequency=400"),
        ("huawei", "biz-1", "400"),
    ];
    for (n, (cloud, subscription, quantity)) in clouds.into_iter().enumerate() {
        let day = DAY1 + n as i64 * DAY_MS;
        settled_by(&db, account, workspace, cloud, subscription).await;
        // Two million logs: ¥4.00, all of it the cloud's.
        let id = format!("{cloud}-1");
        send(&state, vec![record(&id, "wksp_m", "logs", "30d", day + HOUR_MS, "2000000")]).await;
        state.clock.advance(5 * HOUR_MS);
        rate_due(&state, state.clock.now()).await.expect("rated");
        let text = crate::time::Zone::named("Asia/Shanghai").expect("zone").date(day + HOUR_MS);
        assert_eq!(collection_of(&state, account, &text).await.status, CollectionStatus::Pending);
        // Two replicas at once: one report, sent once.
        let other = state.clone();
        let (a, b) = tokio::join!(report_due(&state, state.clock.now()), report_due(&other, state.clock.now()));
        let (a, b) = (a.expect("ran"), b.expect("ran"));
        assert_eq!((a.accepted + b.accepted, a.refused + b.refused, a.retried + b.retried), (1, 0, 0), "{cloud}");
        let taken = collected(&db, cloud).await;
        assert_eq!(taken.len(), 1, "{cloud}: {taken:?}");
        assert_eq!(taken[0].0, subscription, "{cloud}");
        assert!(taken[0].1.ends_with(quantity), "{cloud}: {taken:?}");
        let shown = collection_of(&state, account, &text).await;
        assert_eq!((shown.status, shown.amount.as_str()), (CollectionStatus::Accepted, "¥4.00"), "{cloud}");
        // Nothing is sent again.
        state.clock.advance(2 * MINUTE_MS);
        let again = report_due(&state, state.clock.now()).await.expect("ran");
        assert_eq!((again.gathered, again.accepted), (0, 0));
        assert_eq!(collected(&db, cloud).await.len(), 1);
        state.clock.advance(19 * HOUR_MS - 2 * MINUTE_MS);
    }
    reconciles(&db).await;
});

/// A customer whose workspace the AWS subscription `subscription` pays, with a day of two
/// million logs (¥4.00) rated: the server, the same server with AWS out of reach, the account
/// and the cloud account.
async fn aws_settled_day(db: &Db, subscription: &str) -> (AppState, AppState, i64, i64) {
    let (state, _) = crate::server::testing::serve(db, DAY1 + 20 * HOUR_MS, MARKETPLACES).await;
    let (state, account, workspace) = with_customer(db, state).await;
    let cloud = settled_by(db, account, workspace, "aws", subscription).await;
    send(&state, vec![record("r-1", "wksp_m", "logs", "30d", DAY1 + HOUR_MS, "2000000")]).await;
    state.clock.advance(5 * HOUR_MS);
    rate_due(&state, state.clock.now()).await.expect("rated");
    let mut unreachable = state.clone();
    let mut keys = (*state.marketplace_keys).clone();
    keys.aws.as_mut().expect("simulated AWS").metering_url = "http://127.0.0.1:9/".into();
    unreachable.marketplace_keys = std::sync::Arc::new(keys);
    (state, unreachable, account, cloud)
}

db_test!(a_report_not_answered_is_sent_again_as_the_same_record, |db| async move {
    use crate::metering::cloud::report_due;
    use crate::metering::model::CollectionStatus;
    let subscription = "210987654321|arn:aws:license-manager::210987654321:license/l-2";
    let (state, unreachable, account, cloud) = aws_settled_day(&db, subscription).await;
    // AWS out of reach: retried later, nothing collected.
    let first = report_due(&unreachable, state.clock.now()).await.expect("ran");
    assert_eq!((first.gathered, first.retried, first.accepted), (1, 1, 0));
    assert!(collected(&db, "aws").await.is_empty());
    // Not before its backoff, then the same record.
    let early = report_due(&state, state.clock.now() + 10_000).await.expect("ran");
    assert_eq!(early.accepted, 0);
    state.clock.advance(31_000);
    assert_eq!(report_due(&state, state.clock.now()).await.expect("ran").accepted, 1);
    // An answer that was lost: the record sent again is the same, and AWS takes it once.
    sqlx::query("UPDATE cloud_reports SET status = 'pending', next_attempt_at = 0")
        .execute(db.pool())
        .await
        .expect("lost");
    assert_eq!(report_due(&state, state.clock.now()).await.expect("ran").accepted, 1);
    assert_eq!(collected(&db, "aws").await, vec![(subscription.to_string(), "400".to_string())]);
    // A subscription the marketplace no longer has: refused for good, and shown so.
    sqlx::query("UPDATE cloud_accounts SET status = 'ended' WHERE id = $1")
        .bind(cloud)
        .execute(db.pool())
        .await
        .expect("ended");
    state.clock.advance(19 * HOUR_MS);
    send(&state, vec![record("r-2", "wksp_m", "logs", "30d", DAY1 + DAY_MS + HOUR_MS, "1000000")]).await;
    state.clock.advance(5 * HOUR_MS);
    rate_due(&state, state.clock.now()).await.expect("rated");
    let refused = report_due(&state, state.clock.now()).await.expect("ran");
    assert_eq!(refused.refused, 1);
    let shown = collection_of(&state, account, "2026-12-02").await;
    assert_eq!((shown.status, shown.answer.as_str()), (CollectionStatus::Refused, "CustomerNotSubscribed"));
    reconciles(&db).await;
});

db_test!(a_report_past_its_window_is_gathered_again_under_a_new_time, |db| async move {
    use crate::metering::cloud::report_due;
    let subscription = "311111111111|arn:aws:license-manager::311111111111:license/l-3";
    let (state, unreachable, _, _) = aws_settled_day(&db, subscription).await;
    // AWS refuses the connection for longer than it takes a record.
    assert_eq!(report_due(&unreachable, state.clock.now()).await.expect("ran").retried, 1);
    state.clock.advance(6 * HOUR_MS);
    // Past the window, never received: given back, and gathered again under a new time.
    assert_eq!(report_due(&unreachable, state.clock.now()).await.expect("ran").expired, 1);
    let again = report_due(&state, state.clock.now()).await.expect("ran");
    assert_eq!((again.gathered, again.accepted), (1, 1));
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM cloud_reports ORDER BY id")
        .fetch_all(db.pool())
        .await
        .expect("reports");
    assert_eq!(statuses, ["expired", "accepted"]);
    assert_eq!(collected(&db, "aws").await, vec![(subscription.to_string(), "400".to_string())]);
    reconciles(&db).await;
});

db_test!(a_cloud_settled_day_is_paid_by_vouchers_then_the_cloud_account, |db| async move {
    let (state, account, workspace) = customer(&db, DAY1 + 20 * HOUR_MS).await;
    let cloud = settled_by(&db, account, workspace, "aliyun", "order-1").await;
    let mut tx = db.begin_write().await.expect("tx");
    crate::funds::deduction::issue_voucher(&mut tx, &crate::funds::deduction::NewVoucher {
        account,
        currency: Currency::CNY,
        kind: crate::funds::deduction::VoucherKind::Regular,
        amount: 1_00,
        expires_at: DAY1 + 30 * DAY_MS,
        scope: &[],
        actor: "operator:test",
        key: "test:voucher",
        now: DAY1,
    })
    .await
    .expect("voucher");
    tx.commit().await.expect("commit");
    send(&state, vec![record("c1", "wksp_m", "logs", "30d", DAY1 + HOUR_MS, "2000000")]).await;
    rate_due(&state, DAY1 + DAY_MS + HOUR_MS).await.expect("ran");
    // ¥4.00: the voucher's ¥1.00 first, the cloud account the rest; the cash is untouched.
    let page = crate::metering::details::lines(&state, account, &Default::default()).await.expect("page");
    let paid: Vec<(&str, i64, &str)> = page.rows[0].paid_by.iter().map(|p| (p.kind.as_str(), p.instrument_id, p.amount.as_str())).collect();
    assert_eq!(paid.len(), 2);
    assert_eq!((paid[0].0, paid[0].2), ("voucher", "¥1.00"));
    assert_eq!(paid[1], ("cloud", cloud, "¥3.00"));
    assert_eq!(cash(&db, account).await, 1_000_00);
    reconciles(&db).await;
});
