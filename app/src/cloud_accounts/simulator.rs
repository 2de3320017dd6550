//! The marketplaces' side, for development and tests: each simulator signs a call exactly as
//! its marketplace does, with the same keys this server checks them with, so subscriptions
//! arrive on one machine the way they arrive in production. AWS's part also answers
//! ResolveCustomer (checking our Signature Version 4) and serves the certificate its SNS
//! messages are signed with. Only with `BC_MARKETPLACE_SIMULATOR=1`.
use super::aws::{self, Customer, SigV4};
use super::provider::{AwsKeys, Keys};
use crate::server::db::Db;
use crate::server::signing;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

// ---------------------------------------------------------------------------------------------
// AWS: registration tokens and ResolveCustomer

/// A registration token for `customer`, as AWS would hand the buyer's browser (opaque to us:
/// only the simulator's ResolveCustomer reads it).
pub fn registration_token(keys: &AwsKeys, customer: &Customer) -> String {
    let body = data_encoding::BASE64URL_NOPAD.encode(serde_json::to_string(customer).unwrap_or_default().as_bytes());
    let mac = signing::sign_hex(keys.secret_access_key.expose().as_bytes(), &[b"registration.", body.as_bytes()]);
    format!("{body}.{mac}")
}

fn redeem(keys: &AwsKeys, token: &str) -> Option<Customer> {
    let (body, mac) = token.split_once('.')?;
    if !signing::verify_hex(keys.secret_access_key.expose().as_bytes(), &[b"registration.", body.as_bytes()], mac) {
        return None;
    }
    let json = data_encoding::BASE64URL_NOPAD.decode(body.as_bytes()).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Why the simulated ResolveCustomer refuses, as AWS names it.
#[derive(Debug, PartialEq, Eq)]
pub enum MeteringError {
    /// A bad or missing signature (AWS: 403 InvalidSignatureException / UnrecognizedClientException).
    Signature,
    InvalidToken,
    UnknownOperation,
}

/// Checks a call to AWS's metering service as AWS would: our credentials, the signed headers
/// it names, a time within 15 minutes; then says which operation it calls.
pub fn verify_aws<'h>(
    keys: &AwsKeys,
    headers: &'h axum::http::HeaderMap,
    path: &str,
    body: &[u8],
    now: i64,
) -> Result<&'h str, MeteringError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let authorization = header("authorization");
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256 ").ok_or(MeteringError::Signature)?;
    let mut credential = "";
    let mut signed = "";
    let mut signature = "";
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = v;
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = v;
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = v;
        }
    }
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, _, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(MeteringError::Signature);
    };
    if *key_id != keys.access_key_id || *region != keys.region || *service != "aws-marketplace" {
        return Err(MeteringError::Signature);
    }
    let date = header("x-amz-date");
    let at = crate::time::Zone::utc().parse_local(date, "%Y%m%dT%H%M%SZ").ok_or(MeteringError::Signature)?;
    if (now - at).abs() > 15 * crate::time::MINUTE_MS {
        return Err(MeteringError::Signature);
    }
    let names: Vec<&str> = signed.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-amz-date") {
        return Err(MeteringError::Signature);
    }
    let others: Vec<(&str, &str)> = names
        .iter()
        .filter(|n| **n != "host" && **n != "x-amz-date")
        .map(|n| (*n, header(n)))
        .collect();
    let request = SigV4 {
        method: "POST",
        host: header("host"),
        path,
        query: "",
        headers: &others,
        body,
        amz_date: date,
        region,
        service,
    };
    let expected = request.signature(keys.secret_access_key.expose());
    if !signing::equal(expected.as_bytes(), signature.to_ascii_lowercase().as_bytes()) {
        return Err(MeteringError::Signature);
    }
    Ok(headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default())
}

/// Answers ResolveCustomer (a call `verify_aws` passed): the token's customer.
pub fn resolve_customer(keys: &AwsKeys, body: &[u8]) -> Result<Customer, MeteringError> {
    let token = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("RegistrationToken").and_then(|t| t.as_str()).map(str::to_string))
        .ok_or(MeteringError::InvalidToken)?;
    redeem(keys, &token).ok_or(MeteringError::InvalidToken)
}

// ---------------------------------------------------------------------------------------------
// AWS: SNS

/// The simulator's SNS signing key, made once per database.
async fn sns_key(db: &Db) -> Result<rsa::RsaPrivateKey, sqlx::Error> {
    let pem = crate::server::secrets::get_or_make(db, "marketplace_aws_sns_key", || {
        rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .ok()
            .and_then(|key| key.to_pkcs8_pem(LineEnding::LF).ok())
            .map(|pem| pem.to_string())
            .unwrap_or_default()
    })
    .await?;
    rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The simulator's certificate (self-signed over its key), as SNS serves its own.
pub async fn sns_certificate(db: &Db) -> Result<String, sqlx::Error> {
    use std::str::FromStr;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    let key = sns_key(db).await?;
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let decode = |e: String| sqlx::Error::Decode(e.into());
    let subject = x509_cert::name::Name::from_str("CN=sns.simulator.billing-center.local").map_err(|e| decode(e.to_string()))?;
    let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(|e| decode(e.to_string()))?;
    let validity = x509_cert::time::Validity::from_now(std::time::Duration::from_secs(10 * 365 * 86_400)).map_err(|e| decode(e.to_string()))?;
    let builder = CertificateBuilder::new(Profile::Root, x509_cert::serial_number::SerialNumber::from(1u32), validity, subject, spki, &signer)
        .map_err(|e| decode(e.to_string()))?;
    let cert = builder.build::<rsa::pkcs1v15::Signature>().map_err(|e| decode(e.to_string()))?;
    cert.to_pem(LineEnding::LF).map_err(|e| decode(e.to_string()))
}

/// An SNS notification of `action` for a customer's subscription to `product`, signed with
/// SignatureVersion 2 as SNS signs, its certificate at the simulator's address.
pub async fn sns_notification(
    db: &Db,
    origin: &str,
    topic_arn: &str,
    action: &str,
    customer: &str,
    product: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    use rsa::signature::{SignatureEncoding, Signer};
    let message = serde_json::json!({
        "action": action,
        "customer-identifier": customer,
        "product-code": product,
        "offer-identifier": "offer-simulator",
    })
    .to_string();
    let mut sns = serde_json::json!({
        "Type": "Notification",
        "MessageId": uuid_like(),
        "TopicArn": topic_arn,
        "Message": message,
        "Timestamp": crate::time::Zone::utc().write_local(now, "%Y-%m-%dT%H:%M:%S%.3fZ"),
        "SignatureVersion": "2",
        "SigningCertURL": format!("{origin}{}", aws::SIMULATOR_CERTIFICATE_PATH),
        "UnsubscribeURL": format!("{origin}/dev/marketplace/aws/unsubscribe"),
    });
    let parsed: aws::SnsMessage = serde_json::from_value({
        let mut v = sns.clone();
        v["Signature"] = "".into();
        v
    })
    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let text = parsed.string_to_sign().unwrap_or_default();
    let key = sns_key(db).await?;
    let signature = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key).sign(text.as_bytes());
    sns["Signature"] = data_encoding::BASE64.encode(&signature.to_bytes()).into();
    Ok(sns.to_string())
}

/// The topic the simulator's notifications come from.
pub const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-simulator";

fn uuid_like() -> String {
    let h = crate::server::secrets::random_hex(16);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

// ---------------------------------------------------------------------------------------------
// Alibaba Cloud and Huawei Cloud: the calls

/// A marketplace call to send to this server: method, path with query, body.
#[derive(Clone, Debug)]
pub struct Call {
    pub post: bool,
    pub path_and_query: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// An Alibaba Cloud SPI call of `params`, signed with the SPI key.
pub fn aliyun_call(keys: &Keys, params: &[(&str, &str)]) -> Option<Call> {
    let key = keys.aliyun.as_ref()?;
    Some(Call {
        post: false,
        path_and_query: format!("{}?{}", super::aliyun::PATH, super::aliyun::signed_query(params, key.expose())),
        body: Vec::new(),
        content_type: "text/plain",
    })
}

/// A Huawei KooGallery call with `body`, signed with the access key at `now`.
pub fn huawei_call(keys: &Keys, body: &serde_json::Value, now: i64) -> Option<Call> {
    let key = keys.huawei.as_ref()?;
    let body = body.to_string().into_bytes();
    let query = super::huawei::signed_query(key.expose(), &body, now, &crate::server::secrets::random_hex(16));
    Some(Call {
        post: true,
        path_and_query: format!("{}?{query}", super::huawei::PATH),
        body,
        content_type: "application/json",
    })
}

/// Sends `call` to this server at `origin`, as the marketplace would; the status and body.
pub async fn send(origin: &str, call: &Call) -> Result<(u16, String), String> {
    let http = crate::server::outbound_client(std::time::Duration::from_secs(15)).map_err(|e| e.to_string())?;
    let url = format!("{origin}{}", call.path_and_query);
    let request = match call.post {
        true => http.post(url).header("content-type", call.content_type).body(call.body.clone()),
        false => http.get(url),
    };
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

// ---------------------------------------------------------------------------------------------
// Driving a marketplace, for the simulator page and `server marketplace`

/// What the simulator did: the marketplace's answer, the subscription (instance or customer)
/// to act on next, and where the buyer goes next (a link page, or AWS's registration token).
#[derive(Clone, Debug, Default)]
pub struct Driven {
    pub status: u16,
    pub answer: String,
    pub subject: String,
    pub link: String,
    pub aws_token: String,
}

/// The simulated AWS product.
pub const AWS_PRODUCT: &str = "prod-billingcentersim";

/// Plays `action` of `cloud`'s marketplace against this server at `origin`: "buy" (a new
/// subscription for the buyer `buyer`), then on `subject`: Alibaba Cloud "renew", "expire",
/// "release"; Huawei Cloud "renew", "freeze", "unfreeze", "release"; AWS "subscribe-success",
/// "subscribe-fail", "unsubscribe-pending", "unsubscribe-success".
pub async fn drive(
    state: &crate::state::AppState,
    cloud: crate::workspaces::model::Cloud,
    action: &str,
    subject: &str,
    buyer: &str,
) -> Result<Driven, String> {
    use crate::workspaces::model::Cloud;
    let keys = &*state.marketplace_keys;
    let origin = state.config.public_origin.url();
    let now = state.clock.now();
    let fresh = || crate::server::secrets::random_hex(8);
    let unconfigured = || "this marketplace has no key on this server".to_string();
    let call = match (cloud, action) {
        (Cloud::Aws, "buy") => {
            let aws = keys.aws.as_ref().ok_or_else(unconfigured)?;
            let identifier = format!("SIM{}", fresh().to_uppercase());
            let customer = Customer {
                account_id: buyer.to_string(),
                identifier: identifier.clone(),
                product_code: AWS_PRODUCT.to_string(),
                license_arn: format!("arn:aws:license-manager::294406891311:license:l-{}", fresh()),
            };
            return Ok(Driven {
                status: 200,
                subject: identifier,
                aws_token: registration_token(aws, &customer),
                ..Driven::default()
            });
        }
        (Cloud::Aws, sns_action) => {
            let body = sns_notification(&state.db, &origin, TOPIC_ARN, sns_action, subject, AWS_PRODUCT, now)
                .await
                .map_err(|e| e.to_string())?;
            Call { post: true, path_and_query: aws::SNS_PATH.to_string(), body: body.into_bytes(), content_type: "text/plain; charset=UTF-8" }
        }
        (Cloud::Aliyun, "buy") => {
            let (order_biz, order) = (format!("sim{}", fresh()), format!("2{}", &fresh()[..10]));
            // A short first term (five minutes), so that an expiry may follow at once.
            let ends = super::aliyun::expiry_text(now + 5 * crate::time::MINUTE_MS);
            let params = [
                ("action", "createInstance"), ("aliUid", buyer), ("orderBizId", &order_biz), ("orderId", &order),
                ("productCode", "cmjj00sim"), ("skuId", "yuncode-sim-1"), ("trial", "false"), ("expiredOn", &ends),
            ];
            aliyun_call(keys, &params).ok_or_else(unconfigured)?
        }
        (Cloud::Aliyun, "renew") => {
            let ends = super::aliyun::expiry_text(now + 365 * crate::time::DAY_MS);
            let order = format!("3{}", &fresh()[..10]);
            let params = [("action", "renewInstance"), ("instanceId", subject), ("orderId", &order), ("expiredOn", &ends)];
            aliyun_call(keys, &params).ok_or_else(unconfigured)?
        }
        (Cloud::Aliyun, "expire") => aliyun_call(keys, &[("action", "expiredInstance"), ("instanceId", subject)]).ok_or_else(unconfigured)?,
        (Cloud::Aliyun, "release") => {
            aliyun_call(keys, &[("action", "releaseInstance"), ("instanceId", subject), ("isRefund", "false")]).ok_or_else(unconfigured)?
        }
        (Cloud::Huawei, huawei_action) => {
            let ends = super::huawei::expiry_text(now + 365 * crate::time::DAY_MS);
            let body = match huawei_action {
                "buy" => serde_json::json!({
                    "activity": "newInstance", "orderId": format!("CS{}", fresh()), "orderLineId": format!("CS{}-000001", fresh()),
                    "businessId": fresh(), "productId": "OFFI-sim", "expireTime": ends, "testFlag": "1",
                    "buyerInfo": {"customerId": buyer, "customerName": "Simulated buyer"},
                }),
                "renew" => serde_json::json!({
                    "activity": "refreshInstance", "instanceId": subject, "orderId": format!("CS{}", fresh()),
                    "orderLineId": format!("CS{}-000001", fresh()), "scene": "RENEWAL", "expireTime": ends, "testFlag": "1",
                }),
                "freeze" | "unfreeze" => serde_json::json!({
                    "activity": "updateInstanceStatus", "instanceId": subject, "status": huawei_action.to_uppercase(), "testFlag": "1",
                }),
                "release" => serde_json::json!({"activity": "releaseInstance", "instanceId": subject, "testFlag": "1"}),
                _ => return Err(format!("no action {huawei_action:?}")),
            };
            huawei_call(keys, &body, now).ok_or_else(unconfigured)?
        }
        (_, other) => return Err(format!("no action {other:?}")),
    };
    let (status, answer) = send(&origin, &call).await?;
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    let link = json.pointer("/appInfo/frontEndUrl").and_then(|v| v.as_str()).unwrap_or_default();
    let instance = json.get("instanceId").and_then(|v| v.as_str());
    Ok(Driven {
        status,
        subject: instance.unwrap_or(subject).to_string(),
        link: link.strip_prefix(&origin).unwrap_or(link).to_string(),
        answer: answer.chars().take(500).collect(),
        aws_token: String::new(),
    })
}
