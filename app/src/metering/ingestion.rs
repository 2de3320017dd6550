//! The usage ingestion API: `POST /api/v1/usage`, a site's batch of hourly usage records,
//! signed with the site's key exactly like the site API (`workspaces::site_api`). The signature
//! covers the body as sent, so a gzip body (`Content-Encoding: gzip`) is checked before it is
//! unpacked.
//!
//! Each record's `record_id` is its idempotency key at its site: the same id with the same
//! content is counted once and answered as a duplicate; with other content it is refused. A
//! record of a day already rated is taken in and rated on the next run as a restatement.
use super::rating::{millionths, NotMillionths};
use super::store::{self, IngestTarget, NewRecord};
use crate::server::db::Db;
use crate::state::AppState;
use crate::time::{Zone, DAY_MS, HOUR_MS};
use crate::workspaces::site_api::{self, Signed, SiteApiError};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::Read;

/// The most records in one batch.
pub const MAX_RECORDS: usize = 10_000;
/// The largest body, as sent and once unpacked.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// How far ahead of our clock an hour may be.
const FUTURE_MS: i64 = HOUR_MS;
/// How old an hour may be: older usage would restate bills long filed.
pub const MAX_AGE_DAYS: i64 = 100;
/// The largest quantity of one record, in the item's units.
const MAX_QUANTITY: i64 = 1_000_000_000_000;
const MAX_RECORD_ID: usize = 128;

/// Why a batch is refused whole.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Site(#[from] SiteApiError),
    #[error("batch too large: at most 10000 records and 8 MiB")]
    TooLarge,
    #[error("malformed batch: {0}")]
    Malformed(String),
}

impl IngestError {
    pub fn status(&self) -> u16 {
        match self {
            IngestError::Site(error) => error.status(),
            IngestError::TooLarge => 413,
            IngestError::Malformed(_) => 400,
        }
    }
}

impl From<sqlx::Error> for IngestError {
    fn from(error: sqlx::Error) -> Self {
        IngestError::Site(error.into())
    }
}

/// One record as a site sends it. Every field is a string: a quantity is a decimal string,
/// never a JSON number (a float would lose digits before we saw them).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UsageRecord {
    pub record_id: String,
    pub workspace_id: String,
    pub item: String,
    #[serde(default)]
    pub tier: String,
    /// The hour's start, UTC, RFC 3339: "2026-12-03T10:00:00Z".
    pub hour: String,
    pub quantity: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub records: Vec<UsageRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRecord {
    pub record_id: String,
    pub reason: String,
}

/// The answer to a batch: every record is in exactly one list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestAnswer {
    pub accepted: Vec<String>,
    pub duplicates: Vec<String>,
    pub refused: Vec<RefusedRecord>,
}

/// The body as sent, unpacked if it is gzip, at most [`MAX_BODY`] either way.
pub fn unpack(body: &[u8], gzip: bool) -> Result<Vec<u8>, IngestError> {
    if body.len() > MAX_BODY {
        return Err(IngestError::TooLarge);
    }
    if !gzip {
        return Ok(body.to_vec());
    }
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut unpacked)
        .map_err(|_| IngestError::Malformed("the body is not gzip".into()))?;
    if unpacked.len() > MAX_BODY {
        return Err(IngestError::TooLarge);
    }
    Ok(unpacked)
}

/// Reads a batch; the number of records is checked before any is looked at.
pub fn parse(json: &[u8]) -> Result<Batch, IngestError> {
    let batch: Batch = serde_json::from_slice(json)
        .map_err(|error| IngestError::Malformed(error.to_string()))?;
    if batch.records.len() > MAX_RECORDS {
        return Err(IngestError::TooLarge);
    }
    Ok(batch)
}

/// A quantity as a site writes it: a plain non-negative decimal, at most six places, at most
/// [`MAX_QUANTITY`]; in millionths.
pub fn parse_quantity(text: &str) -> Result<i64, &'static str> {
    millionths(text, 24, MAX_QUANTITY).map_err(|why| match why {
        NotMillionths::NotPlain => "bad quantity: a decimal string such as \"1234\" or \"0.5\"",
        NotMillionths::TooPrecise => "bad quantity: at most 6 digits after the decimal point",
        NotMillionths::TooLarge => "bad quantity: too large",
    })
}

/// An hour as a site writes it: the start of a UTC hour, RFC 3339.
pub fn parse_hour(text: &str) -> Result<i64, &'static str> {
    let at: jiff::Timestamp = text.parse().map_err(|_| "bad hour: RFC 3339, such as 2026-12-03T10:00:00Z")?;
    let ms = at.as_millisecond();
    if ms.rem_euclid(HOUR_MS) != 0 {
        return Err("bad hour: the start of an hour, such as 2026-12-03T10:00:00Z");
    }
    Ok(ms)
}

fn record_id_ok(id: &str) -> bool {
    (1..=MAX_RECORD_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// What a site may report: its currency's priced items and tiers, its zone, its workspaces.
struct Checker {
    /// Each priced item's tiers.
    priced: HashMap<String, HashSet<String>>,
    zone: Zone,
    /// The date each hour falls on in the site's zone: a batch has few distinct hours.
    days: HashMap<i64, String>,
    now: i64,
    targets: HashMap<String, Option<IngestTarget>>,
}

impl Checker {
    /// The record to store, or why not.
    async fn check(
        &mut self,
        db: &Db,
        site: &str,
        record: &UsageRecord,
    ) -> Result<NewRecord, String> {
        if !crate::workspaces::proof::workspace_id_ok(&record.workspace_id) {
            return Err("unknown workspace".into());
        }
        if !self.targets.contains_key(&record.workspace_id) {
            let mut conn = db.pool().acquire().await.map_err(|_| "database unavailable".to_string())?;
            let target = store::ingest_target(&mut conn, site, &record.workspace_id)
                .await
                .map_err(|_| "database unavailable".to_string())?;
            self.targets.insert(record.workspace_id.clone(), target);
        }
        let target = self.targets[&record.workspace_id].as_ref().ok_or("unknown workspace")?;
        let account = target
            .billing_account_id
            .ok_or("workspace not bound to a billing account")?;
        if target.locked_at.is_some() {
            let reason = target.lock_reason.as_deref().unwrap_or("locked");
            return Err(format!("workspace locked ({reason}): no usage is taken in"));
        }
        let tiers = self.priced.get(&record.item).ok_or("unknown billing item")?;
        if !tiers.contains(&record.tier) {
            return Err("unknown retention tier for this billing item".into());
        }
        let hour = parse_hour(&record.hour)?;
        if hour > self.now + FUTURE_MS {
            return Err("hour more than 1 hour in the future".into());
        }
        if hour < self.now - MAX_AGE_DAYS * DAY_MS {
            return Err(format!("hour more than {MAX_AGE_DAYS} days ago"));
        }
        let quantity = parse_quantity(&record.quantity)?;
        Ok(NewRecord {
            record_id: record.record_id.clone(),
            workspace_id: target.id,
            billing_account_id: account,
            item: record.item.clone(),
            tier: record.tier.clone(),
            hour,
            day: self.days.entry(hour).or_insert_with(|| self.zone.date(hour)).clone(),
            quantity,
        })
    }
}

/// `POST /api/v1/usage`: checks the signature on the body as sent, then takes in the batch.
pub async fn ingest(
    state: &AppState,
    signed: &Signed<'_>,
    path: &str,
    body: &[u8],
    gzip: bool,
) -> Result<IngestAnswer, IngestError> {
    if body.len() > MAX_BODY {
        return Err(IngestError::TooLarge);
    }
    let (site, currency, zone) = {
        let mut conn = state.db.pool().acquire().await?;
        let site = site_api::authenticate(state, &mut conn, signed, path, body).await?;
        let row = crate::workspaces::store::site(&mut conn, &site)
            .await?
            .ok_or(SiteApiError::UnknownKey)?;
        let zone = Zone::named(&row.time_zone).unwrap_or_else(|_| Zone::utc());
        (site, row.currency, zone)
    };
    let batch = parse(&unpack(body, gzip)?)?;
    let mut priced: HashMap<String, HashSet<String>> = HashMap::new();
    {
        let mut conn = state.db.pool().acquire().await?;
        for (item, tier) in store::priced_pairs(&mut conn, &currency).await? {
            priced.entry(item).or_default().insert(tier);
        }
    }
    let mut checker = Checker {
        priced,
        zone,
        days: HashMap::new(),
        now: state.clock.now(),
        targets: HashMap::new(),
    };
    let mut answer = IngestAnswer::default();
    let mut fresh: Vec<NewRecord> = Vec::with_capacity(batch.records.len());
    let mut in_batch: HashMap<String, usize> = HashMap::with_capacity(batch.records.len());
    for record in &batch.records {
        if !record_id_ok(&record.record_id) {
            answer.refused.push(RefusedRecord {
                record_id: record.record_id.chars().take(MAX_RECORD_ID).collect(),
                reason: "bad record_id: 1 to 128 printable ASCII characters".into(),
            });
            continue;
        }
        match checker.check(&state.db, &site, record).await {
            Err(reason) => answer.refused.push(RefusedRecord {
                record_id: record.record_id.clone(),
                reason,
            }),
            Ok(new) => match in_batch.get(&new.record_id) {
                Some(&first) if fresh[first] == new => answer.duplicates.push(new.record_id),
                Some(_) => answer.refused.push(RefusedRecord {
                    record_id: new.record_id,
                    reason: "record_id repeated in this batch with other content".into(),
                }),
                None => {
                    in_batch.insert(new.record_id.clone(), fresh.len());
                    fresh.push(new);
                }
            },
        }
    }
    if fresh.is_empty() {
        return Ok(answer);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let stored: HashSet<String> = store::insert_records(&mut tx, &site, &fresh, now)
        .await?
        .into_iter()
        .collect();
    let repeats: Vec<&str> = fresh
        .iter()
        .filter(|r| !stored.contains(&r.record_id))
        .map(|r| r.record_id.as_str())
        .collect();
    let earlier: HashMap<String, NewRecord> = store::records_by_id(&mut tx, &site, &repeats)
        .await?
        .into_iter()
        .map(|r| (r.record_id.clone(), r))
        .collect();
    tx.commit().await?;
    for record in fresh {
        if stored.contains(&record.record_id) {
            answer.accepted.push(record.record_id);
        } else if earlier.get(&record.record_id).is_some_and(|e| same_content(e, &record)) {
            answer.duplicates.push(record.record_id);
        } else {
            answer.refused.push(RefusedRecord {
                record_id: record.record_id,
                reason: "record_id already used with other content".into(),
            });
        }
    }
    Ok(answer)
}

/// Whether a repeat says what the stored record says (the account it was charged to aside: a
/// workspace that moved since does not make a retry a different record).
fn same_content(stored: &NewRecord, again: &NewRecord) -> bool {
    (stored.workspace_id, &stored.item, &stored.tier, stored.hour, stored.quantity)
        == (again.workspace_id, &again.item, &again.tier, again.hour, again.quantity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metering::rating::MICROS;

    #[test]
    fn quantities_are_plain_bounded_decimals() {
        assert_eq!(parse_quantity("1234"), Ok(1_234_000_000));
        assert_eq!(parse_quantity("0.5"), Ok(500_000));
        assert_eq!(parse_quantity("0.000001"), Ok(1));
        assert_eq!(parse_quantity("1000000000000"), Ok(1_000_000_000_000 * MICROS));
        for bad in ["", "-1", "1e3", "0.0000001", "1000000000000.1", " 1", "1.", ".5", "1.2.3", "NaN", "1,000", "+1", "99999999999999999999999"] {
            assert!(parse_quantity(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hours_are_whole_utc_hours() {
        assert_eq!(parse_hour("2026-12-03T10:00:00Z"), Ok(1_796_292_000_000));
        assert_eq!(parse_hour("2026-12-03T18:00:00+08:00"), Ok(1_796_292_000_000));
        for bad in ["2026-12-03T10:30:00Z", "2026-12-03", "yesterday", "", "2026-12-03T10:00:00.5Z"] {
            assert!(parse_hour(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn batches_are_bounded_and_strict() {
        assert!(matches!(parse(b"not json"), Err(IngestError::Malformed(_))));
        assert!(matches!(parse(br#"{"records":[{"record_id":"a","workspace_id":"w","item":"logs","hour":"h","quantity":1.5}]}"#), Err(IngestError::Malformed(_))));
        assert!(matches!(parse(br#"{"records":[],"extra":1}"#), Err(IngestError::Malformed(_))));
        let record = r#"{"record_id":"a","workspace_id":"w","item":"logs","hour":"h","quantity":"1"}"#;
        let many = format!("{{\"records\":[{}]}}", vec![record; MAX_RECORDS + 1].join(","));
        assert_eq!(parse(many.as_bytes()).err(), Some(IngestError::TooLarge));
        let ok = format!("{{\"records\":[{}]}}", vec![record; MAX_RECORDS].join(","));
        assert_eq!(parse(ok.as_bytes()).expect("parsed").records.len(), MAX_RECORDS);
        // A gzip bomb stops at the limit.
        let mut packed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut packed, &vec![b' '; MAX_BODY + 10]).expect("packed");
        let bomb = packed.finish().expect("packed");
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(unpack(&bomb, true).err(), Some(IngestError::TooLarge));
        assert!(matches!(unpack(b"plain", true), Err(IngestError::Malformed(_))));
    }
}
