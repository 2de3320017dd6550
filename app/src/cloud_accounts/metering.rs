//! Telling a marketplace what to collect from its buyer, each in its own protocol. A report is
//! one record: the quantity is the amount in minor units (each listing meters one dimension
//! priced at one cent or fen), its time is fixed when the report is made, and a retry sends
//! the identical record.
//!
//! - **AWS** `AWSMPMeteringService.BatchMeterUsage` (JSON 1.1, Signature Version 4, service
//!   `aws-marketplace`, the ResolveCustomer endpoint): up to 25 records of one product, each
//!   `Timestamp` (epoch seconds), the customer (`CustomerAWSAccountId` + `LicenseArn`, or the
//!   older `CustomerIdentifier`), `Dimension`, `Quantity` (0..2^31-1). AWS answers a result per
//!   record (`Success`, `CustomerNotSubscribed`, `DuplicateRecord`) and `UnprocessedRecords` to
//!   retry; an identical record again is taken as a repeat (a success), which makes a retry
//!   safe.
//! - **Alibaba Cloud** `PushMeteringData` (Market 2015-11-01, RPC, HMAC-SHA1 under the
//!   AccessKey secret + `&`): `Metering` is a JSON array of `{InstanceId, StartTime, EndTime,
//!   Entities: [{Key, Value}]}` (seconds; more than five minutes wide); at most 100 records and
//!   one call per instance a minute (an account's reports are an hour apart).
//! - **Huawei Cloud** usage push (`/api/mkp-openapi-public/global/v1/isv/usage-data`): headers
//!   `ts` (ms), `nonce` and `signature` = base64 HMAC-SHA256 under the seller's key of
//!   `ts=..&nonce=..&body=..`, the body's keys in natural order; `usage_records` of up to 1,000
//!   `{begin_time, end_time, instance_id, metering_sn, record_time, usage_value}` (times
//!   `yyyyMMddTHHmmssZ` UTC, the value above 0); `error_code` `MKT.0000` is success.
//!
//! One report a call, so that one record's refusal never touches another's. A refusal about
//! the record itself (not subscribed, unknown instance) is final; a record past the
//! marketplace's window is "too late"; anything else is retried, and marked uncertain when the
//! call may have reached the marketplace without an answer (a timeout, an unreadable answer).
use super::aws::{amz_date, SigV4};
use super::provider::Keys;
use crate::server::signing;
use crate::workspaces::model::Cloud;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The simulator's PushMeteringData and usage push (only with `BC_MARKETPLACE_SIMULATOR=1`).
pub const SIMULATOR_ALIYUN_PATH: &str = "/dev/marketplace/aliyun/market";
pub const SIMULATOR_HUAWEI_PATH: &str = "/dev/marketplace/huawei/usage-data";
pub const AWS_TARGET: &str = "AWSMPMeteringService.BatchMeterUsage";
pub const ALIYUN_VERSION: &str = "2015-11-01";

/// A report to send, with what its marketplace knows the buyer by.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub cloud_account_id: i64,
    #[sqlx(try_from = "String")]
    pub cloud: Cloud,
    pub subscription_ref: String,
    pub cloud_account_ref: String,
    pub customer_ref: Option<String>,
    pub product_code: String,
    /// Minor units.
    pub quantity: i64,
    pub currency: String,
    pub period_start: i64,
    pub metered_at: i64,
    /// Random, made with the report: the record's own key where the marketplace has one.
    pub record_key: String,
    /// 1 once an attempt may have reached the marketplace without an answer.
    pub uncertain: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// What the marketplace said of one report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Taken (the marketplace's id of the record, or its request).
    Accepted(String),
    /// Refused for good.
    Refused(String),
    /// Not taken this time; `uncertain` when the call may have reached the marketplace.
    Retry { answer: String, uncertain: bool },
    /// Past the marketplace's window: it takes this record no more.
    TooLate(String),
}

fn retry(answer: impl Into<String>) -> Verdict {
    Verdict::Retry { answer: answer.into(), uncertain: false }
}

/// A call that failed on the way: surely not received when the connection was never made.
fn failed_call(error: &reqwest::Error) -> Verdict {
    Verdict::Retry { answer: error.to_string(), uncertain: !error.is_connect() && !error.is_builder() }
}

/// An answer that could not be read: the marketplace may have taken the record.
fn unreadable(what: &str) -> Verdict {
    Verdict::Retry { answer: format!("unreadable answer: {what}"), uncertain: true }
}

/// The largest quantity one record carries: Huawei Cloud's `usage_value` has eight digits
/// before the point (AWS takes up to 2^31-1, Alibaba Cloud states no limit).
pub fn max_quantity() -> i64 {
    99_999_999
}

/// Whether this server can call `cloud`'s metering at all (reports of a cloud it cannot call
/// wait, untouched, until it is configured).
pub fn configured(keys: &Keys, cloud: Cloud) -> bool {
    match cloud {
        Cloud::Aws => keys.aws.is_some(),
        Cloud::Aliyun => keys.aliyun_api.is_some(),
        Cloud::Huawei => keys.huawei.is_some(),
    }
}

/// The last moment a report is sent: inside the marketplace's window with a margin (AWS takes
/// records up to six hours old; Alibaba Cloud wants an hour's usage before the next hour
/// ends; Huawei Cloud takes periods that began up to 21 days ago).
pub fn deadline(report: &Report) -> i64 {
    use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
    match report.cloud {
        Cloud::Aws => report.metered_at + 5 * HOUR_MS,
        Cloud::Aliyun => report.metered_at + 50 * MINUTE_MS,
        Cloud::Huawei => report.period_start + 20 * DAY_MS,
    }
}

/// The client a run's calls share.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    crate::server::outbound_client(std::time::Duration::from_secs(15))
}

/// Sends one report over `http` and says what became of it. No transaction may be open.
pub async fn send(http: &reqwest::Client, keys: &Keys, report: &Report, now: i64) -> Verdict {
    let listing = match report.cloud {
        Cloud::Aws => keys.aws.as_ref().map(|k| k.currency),
        Cloud::Aliyun => keys.aliyun_api.as_ref().map(|k| k.currency),
        Cloud::Huawei => keys.huawei.as_ref().map(|_| keys.huawei_currency),
    };
    match listing {
        None => return retry("this marketplace's metering is not configured on this server"),
        // A listing meters minor units of its own currency: another currency's would be
        // collected at the wrong value.
        Some(currency) if currency.code() != report.currency => {
            return Verdict::Refused(format!("the listing is priced in {}, the account pays {}", currency.code(), report.currency))
        }
        Some(_) => {}
    }
    match report.cloud {
        Cloud::Aws => aws(http, keys, report, now).await,
        Cloud::Aliyun => aliyun(http, keys, report, now).await,
        Cloud::Huawei => huawei(http, keys, report, now).await,
    }
}

// ---------------------------------------------------------------------------------------------
// AWS

/// A BatchMeterUsage record, as sent and as AWS echoes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    #[serde(rename = "CustomerAWSAccountId", default, skip_serializing_if = "String::is_empty")]
    pub account_id: String,
    #[serde(rename = "LicenseArn", default, skip_serializing_if = "String::is_empty")]
    pub license_arn: String,
    #[serde(rename = "CustomerIdentifier", default, skip_serializing_if = "String::is_empty")]
    pub customer_identifier: String,
    #[serde(rename = "Dimension")]
    pub dimension: String,
    #[serde(rename = "Quantity", default)]
    pub quantity: i64,
}

/// The record of a report: the licence where AWS named one, the customer identifier of an
/// older integration otherwise (never both).
pub fn usage_record(report: &Report, dimension: &str) -> UsageRecord {
    let (account, rest) = report.subscription_ref.split_once('|').unwrap_or((&report.subscription_ref, ""));
    let (account_id, license_arn, customer_identifier) = match rest.starts_with("arn:") {
        true => (account.to_string(), rest.to_string(), String::new()),
        false => (String::new(), String::new(), report.customer_ref.clone().unwrap_or_else(|| rest.to_string())),
    };
    UsageRecord {
        timestamp: report.metered_at / 1000,
        account_id,
        license_arn,
        customer_identifier,
        dimension: dimension.to_string(),
        quantity: report.quantity,
    }
}

/// An AWS error's name (`__type`, without a namespace prefix).
fn aws_error(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("__type").and_then(Value::as_str).map(str::to_string))
        .map(|t| t.rsplit('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

async fn aws(http: &reqwest::Client, keys: &Keys, report: &Report, now: i64) -> Verdict {
    let Some(aws) = keys.aws.as_ref() else {
        return retry("AWS metering is not configured");
    };
    let record = usage_record(report, &aws.dimension);
    let body = serde_json::json!({ "ProductCode": report.product_code, "UsageRecords": [record] }).to_string();
    match aws_call(http, aws, &body, now).await {
        Ok(answer) => aws_verdict(&answer, &record),
        Err(verdict) => verdict,
    }
}

/// POSTs one BatchMeterUsage call; its answer, or what became of the record.
async fn aws_call(
    http: &reqwest::Client,
    aws: &super::provider::AwsKeys,
    body: &str,
    now: i64,
) -> Result<Value, Verdict> {
    let url = reqwest::Url::parse(&aws.metering_url).map_err(|_| retry("bad metering address"))?;
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => return Err(retry("bad metering address")),
    };
    let date = amz_date(now);
    let headers = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", AWS_TARGET)];
    let request = SigV4 {
        method: "POST",
        host: &host,
        path: url.path(),
        query: "",
        headers: &headers,
        body: body.as_bytes(),
        amz_date: &date,
        region: &aws.region,
        service: "aws-marketplace",
    };
    let authorization = request.authorization(&aws.access_key_id, aws.secret_access_key.expose());
    let response = http
        .post(url.clone())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", AWS_TARGET)
        .header("x-amz-date", &date)
        .header("authorization", authorization)
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| failed_call(&e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| unreadable(&e.to_string()))?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|_| unreadable("not JSON"));
    }
    let kind = aws_error(&text);
    Err(match kind.as_str() {
        "TimestampOutOfBoundsException" => Verdict::TooLate(kind),
        // About the record itself: sending it again changes nothing.
        "InvalidCustomerIdentifierException"
        | "InvalidLicenseException"
        | "InvalidUsageAllocationsException"
        | "InvalidTagException" => Verdict::Refused(kind),
        // AWS's own failure: it may have taken the record.
        "" | "InternalServiceErrorException" => Verdict::Retry {
            answer: if kind.is_empty() { format!("answered {status}") } else { kind },
            uncertain: status.is_server_error(),
        },
        // Throttling, our keys, dimension or product: refused before anything was metered.
        _ => retry(kind),
    })
}

/// Whether AWS's echo of a record is `record`: the customer, the dimension and the time (which
/// AWS may write as a fraction).
fn same_record(echoed: &Value, record: &UsageRecord) -> bool {
    let text = |name: &str| echoed.get(name).and_then(Value::as_str).unwrap_or_default();
    let seconds = echoed.get("Timestamp").and_then(Value::as_f64).map(|t| t.trunc() as i64);
    seconds == Some(record.timestamp)
        && text("CustomerAWSAccountId") == record.account_id
        && text("CustomerIdentifier") == record.customer_identifier
        && text("Dimension") == record.dimension
}

/// What AWS's answer says of `record`: its result, or unprocessed.
fn aws_verdict(answer: &Value, record: &UsageRecord) -> Verdict {
    let results = answer.get("Results").and_then(Value::as_array).cloned().unwrap_or_default();
    for result in results {
        if !result.get("UsageRecord").is_some_and(|echoed| same_record(echoed, record)) {
            continue;
        }
        let status = result.get("Status").and_then(Value::as_str).unwrap_or_default();
        return match status {
            "Success" => Verdict::Accepted(
                result.get("MeteringRecordId").and_then(Value::as_str).unwrap_or("Success").to_string(),
            ),
            "CustomerNotSubscribed" | "DuplicateRecord" => Verdict::Refused(status.to_string()),
            other => Verdict::Retry { answer: format!("unknown status {other:?}"), uncertain: true },
        };
    }
    let unprocessed = answer.get("UnprocessedRecords").and_then(Value::as_array).is_some_and(|all| all.iter().any(|r| same_record(r, record)));
    match unprocessed {
        true => retry("unprocessed"),
        // Neither taken nor unprocessed: AWS may have taken it.
        false => Verdict::Retry { answer: "not in the answer".into(), uncertain: true },
    }
}

// ---------------------------------------------------------------------------------------------
// Alibaba Cloud

/// RFC 3986 encoding, as Alibaba Cloud's signature wants it (`~` plain, space `%20`).
pub fn aliyun_encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

/// The `Signature` of an RPC call with `params` (every parameter but `Signature`).
pub fn aliyun_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let canonical: Vec<String> = sorted.iter().map(|(k, v)| format!("{}={}", aliyun_encode(k), aliyun_encode(v))).collect();
    let to_sign = format!("{method}&{}&{}", aliyun_encode("/"), aliyun_encode(&canonical.join("&")));
    data_encoding::BASE64.encode(&signing::mac_sha1(format!("{secret}&").as_bytes(), to_sign.as_bytes()))
}

/// One `Metering` entry.
pub fn aliyun_metering(report: &Report, entity: &str) -> Value {
    serde_json::json!({
        "InstanceId": report.subscription_ref,
        "StartTime": report.period_start / 1000,
        "EndTime": report.metered_at / 1000,
        "Entities": [{ "Key": entity, "Value": report.quantity.to_string() }],
    })
}

/// A JSON answer to a call: its status and body, or what became of the record when there is
/// none to read.
async fn json_answer(sent: Result<reqwest::Response, reqwest::Error>) -> Result<(reqwest::StatusCode, Value), Verdict> {
    let response = sent.map_err(|e| failed_call(&e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| unreadable(&e.to_string()))?;
    match serde_json::from_str(&text) {
        Ok(answer) => Ok((status, answer)),
        // A success or a failure of the marketplace itself that says nothing readable.
        Err(_) if status.is_success() || status.is_server_error() => Err(unreadable(status.as_str())),
        Err(_) => Err(retry(format!("answered {status}"))),
    }
}

/// Alibaba Cloud's codes about the record itself.
const ALIYUN_FINAL: &[&str] = &[
    "InvalidInstance.NotFound",
    "InvalidParameter.Metering",
    "InvalidParameter.Entities",
    "InvalidParameter.Duplicate",
];

async fn aliyun(http: &reqwest::Client, keys: &Keys, report: &Report, now: i64) -> Verdict {
    let Some(api) = keys.aliyun_api.as_ref() else {
        return retry("Alibaba Cloud metering is not configured");
    };
    let metering = Value::from(vec![aliyun_metering(report, &api.entity)]);
    let mut params: Vec<(String, String)> = [
        ("Action", "PushMeteringData".to_string()),
        ("Version", ALIYUN_VERSION.to_string()),
        ("Format", "JSON".to_string()),
        ("AccessKeyId", api.access_key_id.clone()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureVersion", "1.0".to_string()),
        ("SignatureNonce", crate::server::secrets::random_hex(16)),
        ("Timestamp", crate::time::Zone::utc().write_local(now, "%Y-%m-%dT%H:%M:%SZ")),
        ("Metering", metering.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let signature = aliyun_signature("POST", &params, api.access_key_secret.expose());
    params.push(("Signature".to_string(), signature));
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{}={}", aliyun_encode(k), aliyun_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let sent = http.post(&api.url).header("content-type", "application/x-www-form-urlencoded").body(body).send().await;
    let (status, answer) = match json_answer(sent).await {
        Ok(answer) => answer,
        Err(verdict) => return verdict,
    };
    let request = answer.get("RequestId").and_then(Value::as_str).unwrap_or_default().to_string();
    let code = answer.get("Code").and_then(Value::as_str).unwrap_or_default().to_string();
    match (answer.get("Success").and_then(Value::as_bool), code.as_str()) {
        (Some(true), _) if status.is_success() => Verdict::Accepted(request),
        (_, c) if ALIYUN_FINAL.contains(&c) => Verdict::Refused(code),
        (_, "") => Verdict::Retry { answer: format!("answered {status}"), uncertain: status.is_success() || status.is_server_error() },
        (_, c) if c.starts_with("InternalError") || c.starts_with("ServiceUnavailable") => Verdict::Retry { answer: code, uncertain: true },
        _ => retry(code),
    }
}

// ---------------------------------------------------------------------------------------------
// Huawei Cloud

/// A usage push record; fields in natural order, as the signature wants the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagePushData {
    pub begin_time: String,
    pub end_time: String,
    pub instance_id: String,
    pub metering_sn: String,
    pub record_time: String,
    pub usage_value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagePush {
    pub usage_records: Vec<UsagePushData>,
}

pub const HUAWEI_TIME: &str = "%Y%m%dT%H%M%SZ";

pub fn huawei_record(report: &Report) -> UsagePushData {
    let utc = crate::time::Zone::utc();
    UsagePushData {
        begin_time: utc.write_local(report.period_start, HUAWEI_TIME),
        end_time: utc.write_local(report.metered_at, HUAWEI_TIME),
        instance_id: report.subscription_ref.clone(),
        metering_sn: format!("bc-{}", report.record_key),
        record_time: utc.write_local(report.metered_at, HUAWEI_TIME),
        usage_value: report.quantity.to_string(),
    }
}

/// The `signature` header of a usage push.
pub fn huawei_signature(key: &str, ts: &str, nonce: &str, body: &[u8]) -> String {
    let mac = signing::mac(key.as_bytes(), &[b"ts=", ts.as_bytes(), b"&nonce=", nonce.as_bytes(), b"&body=", body]);
    data_encoding::BASE64.encode(&mac)
}

/// Huawei Cloud's codes about the record itself.
const HUAWEI_FINAL: &[&str] = &["MKT.0100", "MKT.0101", "MKT.0150", "MKT.0199", "MKT.9001", "MKT.9002"];

async fn huawei(http: &reqwest::Client, keys: &Keys, report: &Report, now: i64) -> Verdict {
    let Some(key) = keys.huawei.as_ref() else {
        return retry("Huawei Cloud metering is not configured");
    };
    // Huawei takes no record of nothing; a report of nothing is done.
    if report.quantity == 0 {
        return Verdict::Accepted("nothing to collect".into());
    }
    let body = serde_json::to_string(&UsagePush { usage_records: vec![huawei_record(report)] }).unwrap_or_default();
    let ts = now.to_string();
    let nonce = crate::server::secrets::random_hex(16);
    let sent = http
        .post(&keys.huawei_usage_url)
        .header("content-type", "application/json")
        .header("ts", &ts)
        .header("nonce", &nonce)
        .header("signature", huawei_signature(key.expose(), &ts, &nonce, body.as_bytes()))
        .body(body)
        .send()
        .await;
    let (status, answer) = match json_answer(sent).await {
        Ok(answer) => answer,
        Err(verdict) => return verdict,
    };
    let code = answer.get("error_code").and_then(Value::as_str).unwrap_or_default().to_string();
    match code.as_str() {
        "MKT.0000" => Verdict::Accepted(code),
        "MKT.9004" => Verdict::TooLate(code),
        c if HUAWEI_FINAL.contains(&c) => Verdict::Refused(code),
        // The marketplace's own failure: it may have taken the record.
        "" | "MKT.0999" => Verdict::Retry {
            answer: if code.is_empty() { format!("answered {status}") } else { code },
            uncertain: true,
        },
        // Our keys, throttling, the gateway: refused before anything was taken.
        _ => retry(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(subscription: &str, customer: Option<&str>) -> Report {
        Report {
            id: 7,
            cloud_account_id: 3,
            cloud: Cloud::Aws,
            subscription_ref: subscription.into(),
            cloud_account_ref: "123456789012".into(),
            customer_ref: customer.map(str::to_string),
            product_code: "prod-1".into(),
            quantity: 1234,
            currency: "USD".into(),
            period_start: 1_700_000_000_000,
            metered_at: 1_700_003_600_000,
            record_key: "k1".into(),
            uncertain: 0,
            attempts: 0,
            next_attempt_at: 0,
        }
    }

    #[test]
    fn aws_records_name_the_licence_or_else_the_customer_never_both() {
        let new = usage_record(&report("123456789012|arn:aws:license-manager::1:license/l-1", Some("cust")), "spend");
        assert_eq!((new.account_id.as_str(), new.customer_identifier.as_str()), ("123456789012", ""));
        assert_eq!(new.timestamp, 1_700_003_600);
        let json = serde_json::to_value(&new).expect("json");
        assert!(json.get("CustomerIdentifier").is_none());
        let old = usage_record(&report("123456789012|cust-9", Some("cust-9")), "spend");
        assert_eq!((old.account_id.as_str(), old.license_arn.as_str(), old.customer_identifier.as_str()), ("", "", "cust-9"));
    }

    #[test]
    fn aws_results_are_matched_to_their_record() {
        let record = usage_record(&report("1|arn:aws:x::1:l/1", None), "spend");
        let other = UsageRecord { dimension: "other".into(), ..record.clone() };
        let answer = serde_json::json!({
            "Results": [
                {"UsageRecord": other, "Status": "DuplicateRecord"},
                {"UsageRecord": record, "MeteringRecordId": "m-1", "Status": "Success"},
            ],
            "UnprocessedRecords": []
        });
        assert_eq!(aws_verdict(&answer, &record), Verdict::Accepted("m-1".into()));
        assert_eq!(aws_verdict(&answer, &other), Verdict::Refused("DuplicateRecord".into()));
        // AWS may write the time as a fraction.
        let mut echoed = serde_json::to_value(&record).expect("json");
        echoed["Timestamp"] = serde_json::json!(1_700_003_600.0);
        let float = serde_json::json!({"Results": [{"UsageRecord": echoed, "MeteringRecordId": "m-2", "Status": "Success"}]});
        assert_eq!(aws_verdict(&float, &record), Verdict::Accepted("m-2".into()));
        let unprocessed = serde_json::json!({"Results": [], "UnprocessedRecords": [record]});
        assert_eq!(aws_verdict(&unprocessed, &record), retry("unprocessed"));
        // Neither: AWS may have taken it.
        let silent = serde_json::json!({"Results": [], "UnprocessedRecords": []});
        assert!(matches!(aws_verdict(&silent, &record), Verdict::Retry { uncertain: true, .. }));
    }

    #[test]
    fn aliyun_encoding_and_signature_follow_the_rpc_rules() {
        assert_eq!(aliyun_encode("a b*~/"), "a%20b%2A~%2F");
        // Alibaba Cloud's documented example: DescribeRegions with the key secret "testsecret".
        let params: Vec<(String, String)> = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(aliyun_signature("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn huawei_records_are_sorted_and_times_in_its_format() {
        let record = huawei_record(&report("inst-1", None));
        assert_eq!(record.begin_time, "20231114T221320Z");
        assert_eq!(record.end_time, "20231114T231320Z");
        let body = serde_json::to_string(&UsagePush { usage_records: vec![record] }).expect("json");
        let keys: Vec<&str> = ["begin_time", "end_time", "instance_id", "metering_sn", "record_time", "usage_value"].to_vec();
        let positions: Vec<usize> = keys.iter().map(|k| body.find(k).expect("field")).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
    }
}
