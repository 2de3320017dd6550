//! The usage simulator: realistic hourly usage of a workspace over some days, posted as a
//! site posts it (signed with the site's current key) to the ingestion API, for development,
//! the demo data and benchmarks. A record's id is fixed by workspace, item, tier and hour, so
//! running it again over the same hours sends only duplicates.
use super::ingestion::{self, Batch, IngestAnswer, UsageRecord};
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS};
use crate::workspaces::site_api::{self, Signed};
use crate::workspaces::site_keys;

/// Records per batch the simulator sends.
pub const BATCH: usize = 5_000;

/// What a workspace's usage looks like: (item, tier, typical hourly quantity).
const PROFILE: &[(&str, &str, u64)] = &[
    ("time_series", "7d", 20_000),
    ("logs", "30d", 300_000),
    ("apm_trace", "7d", 50_000),
    ("rum_pv", "7d", 2_000),
    ("sms", "", 10),
];

/// A number from 0 to 999 fixed by its inputs (splitmix64 of their hash): the same usage on
/// every run.
fn noise(seed: &str, hour: i64) -> u64 {
    let mut x = seed
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
        ^ (hour as u64);
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) % 1000
}

/// Hourly usage of `workspace` for the `days` days of whole hours before `now`, scaled by
/// `scale` percent: busier by day than by night, with some noise.
pub fn usage(workspace: &str, days: i64, now: i64, scale: u64) -> Vec<UsageRecord> {
    let end = now - now.rem_euclid(HOUR_MS);
    let start = end - days * DAY_MS;
    let mut records = Vec::new();
    let mut hour = start;
    while hour < end {
        // Busiest at 14:00 Beijing time (06:00 UTC), quietest twelve hours later.
        let of_day = (hour / HOUR_MS).rem_euclid(24);
        let distance = (of_day - 6).rem_euclid(24).min((6 - of_day).rem_euclid(24)) as u64;
        let daylight = 150 - distance * 8;
        for (item, tier, typical) in PROFILE {
            let seed = format!("{workspace}|{item}|{tier}");
            let quantity = typical * scale / 100 * daylight / 100 * (500 + noise(&seed, hour)) / 1000;
            if quantity == 0 {
                continue;
            }
            let at = jiff::Timestamp::from_millisecond(hour)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            records.push(UsageRecord {
                record_id: format!("sim-{workspace}-{item}-{tier}-{}", hour / HOUR_MS),
                workspace_id: workspace.to_string(),
                item: item.to_string(),
                tier: tier.to_string(),
                hour: at,
                quantity: quantity.to_string(),
            });
        }
        hour += HOUR_MS;
    }
    records
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("site {0} has no key: `server site key {0}` makes one")]
    NoKey(String),
    #[error("the usage API refused the batch ({0}): {1}")]
    Refused(u16, String),
    #[error("could not reach the usage API: {0}")]
    Unreachable(String),
}

/// The site's current key: (version, secret).
async fn site_key(state: &AppState, site: &str) -> Result<(i64, String), SimulatorError> {
    let mut conn = state.db.pool().acquire().await?;
    site_keys::current(&mut conn, state.site_key_secret.expose(), site, state.clock.now())
        .await?
        .ok_or_else(|| SimulatorError::NoKey(site.to_string()))
}

/// The signature headers of `body` (as sent) from `site` with its key, now.
fn signed(state: &AppState, site: &str, (version, secret): &(i64, String), body: &[u8]) -> [(&'static str, String); 4] {
    let timestamp = state.clock.now() / 1000;
    [
        (site_api::SITE_HEADER, site.to_string()),
        (site_api::VERSION_HEADER, version.to_string()),
        (site_api::TIMESTAMP_HEADER, timestamp.to_string()),
        (
            site_api::SIGNATURE_HEADER,
            site_api::sign(secret, timestamp, super::http::USAGE_PATH, body),
        ),
    ]
}

fn body_of(records: &[UsageRecord]) -> Vec<u8> {
    serde_json::to_vec(&Batch { records: records.to_vec() }).unwrap_or_default()
}

/// Adds up the answers of several batches.
fn tally(total: &mut IngestAnswer, answer: IngestAnswer) {
    total.accepted.extend(answer.accepted);
    total.duplicates.extend(answer.duplicates);
    total.refused.extend(answer.refused);
}

/// Takes in the records through the ingestion handler's own code path, signed as the site
/// (the demo data, which is seeded before the server listens).
pub async fn ingest_here(
    state: &AppState,
    site: &str,
    records: Vec<UsageRecord>,
) -> Result<IngestAnswer, SimulatorError> {
    let key = site_key(state, site).await?;
    let mut total = IngestAnswer::default();
    for chunk in records.chunks(BATCH) {
        let body = body_of(chunk);
        let headers = signed(state, site, &key, &body);
        let signed = Signed {
            site: &headers[0].1,
            version: &headers[1].1,
            timestamp: &headers[2].1,
            signature: &headers[3].1,
        };
        let answer = ingestion::ingest(state, &signed, super::http::USAGE_PATH, &body, false)
            .await
            .map_err(|e| SimulatorError::Refused(e.status(), e.to_string()))?;
        tally(&mut total, answer);
    }
    Ok(total)
}

/// Posts the records to the usage API at `origin` over HTTP, gzip, as a site does.
pub async fn post(
    state: &AppState,
    origin: &str,
    site: &str,
    records: Vec<UsageRecord>,
) -> Result<IngestAnswer, SimulatorError> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| SimulatorError::Unreachable(e.to_string()))?;
    let url = format!("{}{}", origin.trim_end_matches('/'), super::http::USAGE_PATH);
    let key = site_key(state, site).await?;
    let mut total = IngestAnswer::default();
    for chunk in records.chunks(BATCH) {
        let mut packed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut packed, &body_of(chunk))
            .map_err(|e| SimulatorError::Unreachable(e.to_string()))?;
        let packed = packed
            .finish()
            .map_err(|e| SimulatorError::Unreachable(e.to_string()))?;
        // The signature covers the body as sent: the packed bytes.
        let headers = signed(state, site, &key, &packed);
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(packed);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SimulatorError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if status != 200 {
            return Err(SimulatorError::Refused(status, text));
        }
        let answer: IngestAnswer = serde_json::from_str(&text)
            .map_err(|e| SimulatorError::Refused(status, e.to_string()))?;
        tally(&mut total, answer);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_hours_give_the_same_records() {
        let now = 1_796_292_000_000 + 1_234;
        let first = usage("wksp_a", 2, now, 100);
        assert!(first.len() > 2 * 24 * (PROFILE.len() - 1));
        assert_eq!(usage("wksp_a", 2, now, 100).len(), first.len());
        assert_eq!(
            usage("wksp_a", 2, now, 100).iter().map(|r| (&r.record_id, &r.quantity)).collect::<Vec<_>>(),
            first.iter().map(|r| (&r.record_id, &r.quantity)).collect::<Vec<_>>()
        );
        assert!(first.iter().all(|r| ingestion::parse_hour(&r.hour).is_ok()));
        assert!(first.iter().all(|r| ingestion::parse_quantity(&r.quantity).is_ok()));
        assert_ne!(usage("wksp_b", 2, now, 100)[0].quantity, first[0].quantity);
    }
}
