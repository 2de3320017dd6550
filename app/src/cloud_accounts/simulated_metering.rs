//! The marketplaces' metering side, for development and tests (only with
//! `BC_MARKETPLACE_SIMULATOR=1`): AWS's BatchMeterUsage, Alibaba Cloud's PushMeteringData and
//! Huawei Cloud's usage push, each checking the call as its marketplace does (signature, time,
//! shape, limits, whether the buyer is subscribed) and keeping what it took in the database,
//! so that a repeat is answered as the marketplace answers it and tests can read what a cloud
//! was asked to collect.
use super::metering::{aliyun_signature, huawei_signature, UsagePush, UsageRecord, ALIYUN_VERSION, HUAWEI_TIME};
use super::model::{Cloud, CloudAccountStatus};
use super::store;
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// A simulator's answer: status and JSON body.
pub type Answer = (StatusCode, Value);

fn db_error(error: sqlx::Error) -> Answer {
    tracing::error!(%error, "metering simulator");
    (StatusCode::INTERNAL_SERVER_ERROR, json!({"message": "database unavailable"}))
}

/// Whether a subscription may be metered (it runs, or runs until its end).
fn meterable(row: Option<&store::CloudAccountRow>) -> bool {
    row.is_some_and(|row| matches!(row.status, CloudAccountStatus::Active | CloudAccountStatus::Ending))
}

/// Whether `cloud` has a subscription of that key that may be metered.
async fn subscribed(conn: &mut AnyConnection, cloud: Cloud, subscription: &str) -> Result<bool, sqlx::Error> {
    Ok(meterable(store::subscription(conn, cloud, subscription).await?.as_ref()))
}

// ---------------------------------------------------------------------------------------------
// AWS BatchMeterUsage (after `simulator::verify_aws`)

fn aws_error(kind: &str, message: &str) -> Answer {
    (StatusCode::BAD_REQUEST, json!({"__type": kind, "message": message}))
}

pub async fn batch_meter_usage(state: &AppState, body: &[u8], now: i64) -> Answer {
    let dimension = state.marketplace_keys.aws.as_ref().map(|k| k.dimension.clone()).unwrap_or_default();
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return aws_error("SerializationException", "The request body is not JSON.");
    };
    let product = request.get("ProductCode").and_then(Value::as_str).unwrap_or_default().to_string();
    let Some(records) = request.get("UsageRecords").and_then(Value::as_array) else {
        return aws_error("ValidationException", "UsageRecords is required.");
    };
    if records.len() > 25 {
        return aws_error("ValidationException", "UsageRecords has more than 25 records.");
    }
    let mut parsed = Vec::new();
    for record in records {
        let Ok(record) = serde_json::from_value::<UsageRecord>(record.clone()) else {
            return aws_error("ValidationException", "A usage record is not well formed.");
        };
        if !(0..=i64::from(i32::MAX)).contains(&record.quantity) || record.dimension.is_empty() {
            return aws_error("ValidationException", "Quantity or Dimension out of range.");
        }
        if record.account_id.is_empty() == record.customer_identifier.is_empty() {
            return aws_error("ValidationException", "Give CustomerAWSAccountId or CustomerIdentifier, not both.");
        }
        if record.dimension != dimension {
            return aws_error("InvalidUsageDimensionException", "The usage dimension does not match the product.");
        }
        let at = record.timestamp.checked_mul(SECOND_MS).unwrap_or(i64::MIN);
        if at == i64::MIN || now.saturating_sub(at) > 6 * HOUR_MS || at.saturating_sub(now) > 5 * MINUTE_MS {
            return aws_error("TimestampOutOfBoundsException", "A usage record's timestamp is out of bounds.");
        }
        parsed.push(record);
    }
    let result = async {
        let mut tx = state.db.begin_write().await?;
        let mut results = Vec::new();
        for record in &parsed {
            let (subject, known) = match record.account_id.is_empty() {
                false => {
                    let key = format!("{}|{}", record.account_id, record.license_arn);
                    let known = subscribed(&mut tx, Cloud::Aws, &key).await?;
                    (key, known)
                }
                true => {
                    let row = store::by_customer(&mut tx, Cloud::Aws, &record.customer_identifier, &product).await?;
                    (record.customer_identifier.clone(), meterable(row.as_ref()))
                }
            };
            // AWS may take records of one customer, dimension and hour as repeats: the
            // simulator holds the client to the strictest reading.
            let key = format!("{subject}|{}|{}", record.dimension, record.timestamp.div_euclid(3600));
            let id: String = crate::server::signing::sign_hex(b"metering-record", &[key.as_bytes()])[..32].to_string();
            let status = match known {
                false => "CustomerNotSubscribed",
                true => match store::keep_simulated(&mut tx, "aws", &key, &subject, &record.quantity.to_string(), now).await? {
                    None => "Success",
                    Some(kept) if kept == record.quantity.to_string() => "Success",
                    Some(_) => "DuplicateRecord",
                },
            };
            let mut result = json!({"UsageRecord": record, "Status": status});
            if status == "Success" {
                result["MeteringRecordId"] = Value::from(id);
            }
            results.push(result);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(results)
    };
    match result.await {
        Ok(results) => (StatusCode::OK, json!({"Results": results, "UnprocessedRecords": []})),
        Err(error) => db_error(error),
    }
}

// ---------------------------------------------------------------------------------------------
// Alibaba Cloud PushMeteringData

fn aliyun_error(code: &str, message: &str) -> Answer {
    // Refusals of the caller's credentials are 401 here, as on every signed endpoint of this
    // server (Alibaba Cloud answers them 400 or 404; clients read the code).
    let status = match code {
        "InvalidAccessKeyId.NotFound" | "SignatureDoesNotMatch" | "SignatureNonceUsed" => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    (
        status,
        json!({"RequestId": crate::server::secrets::random_hex(16), "Code": code, "Message": message}),
    )
}

/// Answers a PushMeteringData call: the parameters of the query (GET) or the form (POST).
pub async fn push_metering_data(state: &AppState, method: &str, params: Vec<(String, String)>, now: i64) -> Answer {
    let Some(api) = state.marketplace_keys.aliyun_api.as_ref() else {
        return aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    };
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    if get("AccessKeyId") != api.access_key_id {
        return aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    }
    let unsigned: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "Signature").cloned().collect();
    let expected = aliyun_signature(method, &unsigned, api.access_key_secret.expose());
    if !crate::server::signing::equal(expected.as_bytes(), get("Signature").as_bytes()) {
        return aliyun_error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
    }
    match crate::time::Zone::utc().parse_local(get("Timestamp"), "%Y-%m-%dT%H:%M:%SZ") {
        Some(at) if now.abs_diff(at) <= 15 * MINUTE_MS as u64 => {}
        Some(_) => return aliyun_error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."),
        None => return aliyun_error("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."),
    }
    if get("SignatureMethod") != "HMAC-SHA1" || get("SignatureVersion") != "1.0" || get("Format") != "JSON" {
        return aliyun_error("InvalidParameter", "SignatureMethod, SignatureVersion or Format is not supported.");
    }
    if get("Action") != "PushMeteringData" || get("Version") != ALIYUN_VERSION {
        return aliyun_error("InvalidApi.NotFound", "Specified api is not found.");
    }
    let Some(entries) = serde_json::from_str::<Value>(get("Metering")).ok().and_then(|v| v.as_array().cloned()) else {
        return aliyun_error("InvalidParameter.Metering", "Metering is not a JSON array.");
    };
    if entries.is_empty() || entries.len() > 100 {
        return aliyun_error("InvalidParameter.Metering", "Metering has 1 to 100 records.");
    }
    let mut records = Vec::new();
    for entry in &entries {
        let text = |name: &str| entry.get(name).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_i64().map(|n| n.to_string())));
        let (Some(instance), Some(start), Some(end)) = (text("InstanceId"), text("StartTime"), text("EndTime")) else {
            return aliyun_error("InvalidParameter.Metering", "A record lacks InstanceId, StartTime or EndTime.");
        };
        let (Ok(start), Ok(end)) = (start.parse::<i64>(), end.parse::<i64>()) else {
            return aliyun_error("InvalidParameter.Metering", "StartTime and EndTime are Unix seconds.");
        };
        if end.checked_sub(start).is_none_or(|width| width <= 300) {
            return aliyun_error("InvalidParameter.Metering", "A record covers more than five minutes.");
        }
        let entities = entry.get("Entities").and_then(Value::as_array).cloned().unwrap_or_default();
        let values: Option<Vec<String>> = entities
            .iter()
            .map(|e| {
                let key = e.get("Key").and_then(Value::as_str)?;
                let value = e.get("Value").and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))?;
                value.parse::<u64>().ok().map(|_| format!("{key}={value}"))
            })
            .collect();
        let Some(values) = values.filter(|v| !v.is_empty()) else {
            return aliyun_error("InvalidParameter.Entities", "Entities are Key and a whole Value.");
        };
        records.push((instance, start, end, values.join(",")));
    }
    let result = async {
        let mut tx = state.db.begin_write().await?;
        if store::keep_simulated(&mut tx, "aliyun", &format!("nonce:{}", get("SignatureNonce")), "", "", now).await?.is_some() {
            return Ok(Err(aliyun_error("SignatureNonceUsed", "Specified signature nonce was used already.")));
        }
        for (instance, start, end, values) in &records {
            if !subscribed(&mut tx, Cloud::Aliyun, instance).await? {
                return Ok(Err(aliyun_error("InvalidInstance.NotFound", "Specified instance does not exist.")));
            }
            // One call per instance a minute.
            if store::last_simulated(&mut tx, "aliyun", instance).await?.is_some_and(|last| now - last < 60 * SECOND_MS) {
                return Ok(Err(aliyun_error("Throttling.User", "Request was denied due to user flow control.")));
            }
            let key = format!("{instance}|{start}|{end}");
            if let Some(kept) = store::keep_simulated(&mut tx, "aliyun", &key, instance, values, now).await? {
                if &kept != values {
                    return Ok(Err(aliyun_error("InvalidParameter.Duplicate", "The period was pushed with other values.")));
                }
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(()))
    };
    match result.await {
        Ok(Ok(())) => (StatusCode::OK, json!({"RequestId": crate::server::secrets::random_hex(16), "Success": true})),
        Ok(Err(answer)) => answer,
        Err(error) => db_error(error),
    }
}

// ---------------------------------------------------------------------------------------------
// Huawei Cloud usage push

fn huawei_answer(status: StatusCode, code: &str, message: &str) -> Answer {
    (status, json!({"error_code": code, "error_msg": message}))
}

pub async fn usage_push(state: &AppState, headers: &HeaderMap, body: &[u8], now: i64) -> Answer {
    let Some(key) = state.marketplace_keys.huawei.as_ref() else {
        return huawei_answer(StatusCode::UNAUTHORIZED, "MKT.0151", "No authority.");
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (ts, nonce) = (header("ts"), header("nonce"));
    let expected = huawei_signature(key.expose(), &ts, &nonce, body);
    let fresh = ts.len() <= 20 && ts.parse::<i64>().is_ok_and(|at| now.abs_diff(at) <= 5 * MINUTE_MS as u64);
    if !fresh || nonce.is_empty() || nonce.len() > 64 || !crate::server::signing::equal(expected.as_bytes(), header("signature").as_bytes()) {
        // 401 as on every signed endpoint of this server (Huawei Cloud answers 400).
        return huawei_answer(StatusCode::UNAUTHORIZED, "MKT.0102", "Invalid body sign.");
    }
    let Ok(push) = serde_json::from_slice::<UsagePush>(body) else {
        return huawei_answer(StatusCode::BAD_REQUEST, "MKT.0101", "Invalid parameter.");
    };
    if push.usage_records.is_empty() || push.usage_records.len() > 1000 {
        return huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.9003", "Usage records extends size limit.");
    }
    let utc = crate::time::Zone::utc();
    for record in &push.usage_records {
        let times: Option<Vec<i64>> = [&record.begin_time, &record.end_time, &record.record_time]
            .iter()
            .map(|t| utc.parse_local(t, HUAWEI_TIME))
            .collect();
        let Some(times) = times.filter(|t| t[0] < t[1]) else {
            return huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.0100", "Failure of input parameter.");
        };
        if now.saturating_sub(times[0]) > 21 * DAY_MS {
            return huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.9004", "Record beginTime extends limit.");
        }
        let value_ok = record.usage_value.parse::<rust_decimal::Decimal>().is_ok_and(|v| v > rust_decimal::Decimal::ZERO && v.scale() <= 4);
        if !value_ok || record.metering_sn.is_empty() || record.metering_sn.len() > 64 {
            return huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.0100", "Failure of input parameter.");
        }
    }
    let result = async {
        let mut tx = state.db.begin_write().await?;
        if store::keep_simulated(&mut tx, "huawei", &format!("nonce:{nonce}"), "", "", now).await?.is_some() {
            return Ok(huawei_answer(StatusCode::UNAUTHORIZED, "MKT.0154", "Illegal token."));
        }
        for record in &push.usage_records {
            if !subscribed(&mut tx, Cloud::Huawei, &record.instance_id).await? {
                return Ok(huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.9001", "Instance ID not found."));
            }
            let content = format!("{}|{}|{}", record.begin_time, record.end_time, record.usage_value);
            let kept = store::keep_simulated(&mut tx, "huawei", &record.metering_sn, &record.instance_id, &content, now).await?;
            if kept.is_some_and(|kept| kept != content) {
                return Ok(huawei_answer(StatusCode::INTERNAL_SERVER_ERROR, "MKT.0100", "metering_sn was pushed with other content."));
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(huawei_answer(StatusCode::OK, "MKT.0000", "success"))
    };
    result.await.unwrap_or_else(db_error)
}
