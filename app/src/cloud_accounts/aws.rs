//! AWS Marketplace's SaaS integration.
//!
//! - **Registration**: after subscribing, the buyer's browser POSTs the form field
//!   `x-amzn-marketplace-token` to our registration address. We redeem it with
//!   `AWSMPMeteringService.ResolveCustomer` (JSON 1.1, signed with Signature Version 4 for the
//!   service `aws-marketplace`), which answers `CustomerAWSAccountId`, `LicenseArn`,
//!   `ProductCode` and, for older integrations, `CustomerIdentifier`. A subscription is keyed on
//!   account id + licence ARN, as AWS asks new integrations to. The buyer is then sent to the
//!   link page to sign in and link it.
//! - **Notifications**: SNS POSTs JSON. Its signature (`SignatureVersion` 1: SHA1withRSA, 2:
//!   SHA256withRSA) is over `Key\nValue\n` of the message's fields in order, checked against the
//!   certificate at `SigningCertURL`, which must be an https address of `sns.<region>.amazonaws.com`
//!   (fetched once, kept in the database). A subscription confirmation is confirmed by fetching
//!   its `SubscribeURL` (same rule). The `Message` of a notification names an action
//!   (subscribe-success, subscribe-fail, unsubscribe-pending, unsubscribe-success), the
//!   `customer-identifier` and the `product-code`; a repeat is known by its `MessageId`.
use super::provider::{AwsKeys, Incoming, Marketplace, Refusal};
use super::store;
use super::subscriptions::{Applied, Change, Notice};
use crate::server::signing;
use crate::state::AppState;
use crate::workspaces::model::{Cloud, CloudAccountStatus};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// (The simulator page writes it literally: the browser bundle has no server modules.)
pub const REGISTER_PATH: &str = "/marketplace/aws/register";
pub const SNS_PATH: &str = "/marketplace/aws/sns";
/// The simulator's ResolveCustomer endpoint (only with `BC_MARKETPLACE_SIMULATOR=1`).
pub const SIMULATOR_METERING_PATH: &str = "/dev/marketplace/aws/metering";
pub const SIMULATOR_CERTIFICATE_PATH: &str = "/dev/marketplace/aws/sns-certificate.pem";
const TARGET: &str = "AWSMPMeteringService.ResolveCustomer";
const SERVICE: &str = "aws-marketplace";
const JSON_11: &str = "application/x-amz-json-1.1";

// ---------------------------------------------------------------------------------------------
// Signature Version 4

/// A request to sign: method, host, path, query (already canonical), headers besides `host`
/// and `x-amz-date` (lower-case names), the body, and the time `YYYYMMDDTHHMMSSZ`.
pub struct SigV4<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

impl SigV4<'_> {
    fn signed_headers(&self) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .chain([("host".to_string(), self.host.to_string()), ("x-amz-date".to_string(), self.amz_date.to_string())])
            .collect();
        all.sort();
        all
    }

    fn canonical_request(&self) -> (String, String) {
        let headers = self.signed_headers();
        let names = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
        let lines: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            self.path,
            self.query,
            lines,
            names,
            hex::encode(Sha256::digest(self.body))
        );
        (request, names)
    }

    fn scope(&self) -> String {
        format!("{}/{}/{}/aws4_request", &self.amz_date[..8.min(self.amz_date.len())], self.region, self.service)
    }

    /// The signature under `secret`.
    pub fn signature(&self, secret: &str) -> String {
        let (request, _) = self.canonical_request();
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{}\n{}",
            self.amz_date,
            self.scope(),
            hex::encode(Sha256::digest(request.as_bytes()))
        );
        let date = &self.amz_date[..8.min(self.amz_date.len())];
        let k_date = signing::mac(format!("AWS4{secret}").as_bytes(), &[date.as_bytes()]);
        let k_region = signing::mac(&k_date, &[self.region.as_bytes()]);
        let k_service = signing::mac(&k_region, &[self.service.as_bytes()]);
        let k_signing = signing::mac(&k_service, &[b"aws4_request"]);
        signing::sign_hex(&k_signing, &[to_sign.as_bytes()])
    }

    /// The `Authorization` header.
    pub fn authorization(&self, access_key_id: &str, secret: &str) -> String {
        let (_, names) = self.canonical_request();
        format!(
            "AWS4-HMAC-SHA256 Credential={access_key_id}/{}, SignedHeaders={names}, Signature={}",
            self.scope(),
            self.signature(secret)
        )
    }
}

/// `ms` as SigV4 writes the time.
pub fn amz_date(ms: i64) -> String {
    crate::time::Zone::utc().write_local(ms, "%Y%m%dT%H%M%SZ")
}

// ---------------------------------------------------------------------------------------------
// ResolveCustomer

/// What ResolveCustomer answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Customer {
    #[serde(rename = "CustomerAWSAccountId", default)]
    pub account_id: String,
    #[serde(rename = "CustomerIdentifier", default)]
    pub identifier: String,
    #[serde(rename = "ProductCode", default)]
    pub product_code: String,
    #[serde(rename = "LicenseArn", default)]
    pub license_arn: String,
}

/// The parts of a metering URL: host and path.
fn host_and_path(url: &str) -> Option<(String, String)> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_string(),
    };
    Some((host, url.path().to_string()))
}

/// Redeems a registration token (network I/O: no transaction is open).
pub async fn resolve_customer(keys: &AwsKeys, token: &str, now: i64) -> Result<Customer, Refusal> {
    let body = serde_json::json!({ "RegistrationToken": token }).to_string();
    let (host, path) = host_and_path(&keys.metering_url).ok_or(Refusal::Unconfigured)?;
    let date = amz_date(now);
    let headers = [("content-type", JSON_11), ("x-amz-target", TARGET)];
    let request = SigV4 {
        method: "POST",
        host: &host,
        path: &path,
        query: "",
        headers: &headers,
        body: body.as_bytes(),
        amz_date: &date,
        region: &keys.region,
        service: SERVICE,
    };
    let authorization = request.authorization(&keys.access_key_id, keys.secret_access_key.expose());
    let response = client()?
        .post(&keys.metering_url)
        .header("content-type", JSON_11)
        .header("x-amz-target", TARGET)
        .header("x-amz-date", &date)
        .header("authorization", authorization)
        .body(body)
        .send()
        .await
        .map_err(|e| Refusal::Upstream(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| Refusal::Upstream(e.to_string()))?;
    if !status.is_success() {
        let kind = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("__type").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| status.to_string());
        return Err(match kind.as_str() {
            // The token is the buyer's only credential: one AWS does not know proves nothing.
            k if k.ends_with("InvalidTokenException") || k.ends_with("ExpiredTokenException") => Refusal::BadSignature,
            _ => Refusal::Upstream(kind),
        });
    }
    let customer: Customer = serde_json::from_str(&text).map_err(|_| Refusal::Upstream("unreadable answer".into()))?;
    if customer.account_id.is_empty() && customer.identifier.is_empty() {
        return Err(Refusal::Upstream("no customer in the answer".into()));
    }
    Ok(customer)
}

/// The subscription's key: account id and licence ARN (the customer identifier where an old
/// integration has no licence).
pub fn subscription_key(customer: &Customer) -> String {
    match customer.license_arn.is_empty() {
        false => format!("{}|{}", customer.account_id, customer.license_arn),
        true => format!("{}|{}", customer.account_id, customer.identifier),
    }
}

pub struct Registration;

impl Marketplace for Registration {
    async fn verify(&self, state: &AppState, request: &Incoming<'_>) -> Result<Option<Notice>, Refusal> {
        let keys = state.marketplace_keys.aws.as_ref().ok_or(Refusal::Unconfigured)?;
        let form: Vec<(String, String)> = form_urlencoded::parse(request.body).into_owned().collect();
        let token = form
            .iter()
            .find(|(k, _)| k == "x-amzn-marketplace-token")
            .map(|(_, v)| v.trim().to_string())
            .filter(|t| !t.is_empty() && t.len() <= 4096)
            .ok_or(Refusal::BadSignature)?;
        let customer = resolve_customer(keys, &token, state.clock.now()).await?;
        let subscription = subscription_key(&customer);
        // A subscribe-success may have come before the buyer registered.
        let subject = notice_subject(&customer.identifier, &customer.product_code);
        let mut conn = state.db.pool().acquire().await?;
        let confirmed = !customer.identifier.is_empty()
            && store::last_call_about(&mut conn, Cloud::Aws, &subject).await?.as_deref() == Some("subscribe-success");
        Ok(Some(Notice {
            cloud: Cloud::Aws,
            call_key: format!("register:{subscription}"),
            action: "register".into(),
            subscription,
            change: Change::Opened {
                cloud_account: customer.account_id.clone(),
                product: customer.product_code.chars().take(64).collect(),
                status: if confirmed { CloudAccountStatus::Active } else { CloudAccountStatus::Pending },
                expires_at: None,
                customer: (!customer.identifier.is_empty()).then(|| customer.identifier.clone()),
            },
        }))
    }

    fn answer(&self, _state: &AppState, _action: &str, outcome: Result<Option<&Applied>, &Refusal>) -> Response {
        match outcome {
            Ok(Some(applied)) => (StatusCode::SEE_OTHER, [(header::LOCATION, applied.link_path.clone())]).into_response(),
            Ok(None) => StatusCode::NO_CONTENT.into_response(),
            Err(refusal) => (super::aliyun::status_of(refusal), format!("AWS Marketplace registration failed: {refusal}")).into_response(),
        }
    }
}

fn notice_subject(customer: &str, product: &str) -> String {
    format!("{customer}|{product}")
}

// ---------------------------------------------------------------------------------------------
// SNS

/// An SNS message as POSTed.
#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "MessageId")]
    pub message_id: String,
    #[serde(rename = "TopicArn")]
    pub topic_arn: String,
    #[serde(rename = "Subject")]
    pub subject: Option<String>,
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    #[serde(rename = "SignatureVersion")]
    pub signature_version: String,
    #[serde(rename = "Signature")]
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    #[serde(rename = "Token")]
    pub token: Option<String>,
}

impl SnsMessage {
    /// What SNS signs: `Key\nValue\n` of the type's fields, in order.
    pub fn string_to_sign(&self) -> Option<String> {
        let mut fields: Vec<(&str, &str)> = vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind.as_str() {
            "Notification" => {
                if let Some(subject) = &self.subject {
                    fields.push(("Subject", subject));
                }
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                fields.push(("SubscribeURL", self.subscribe_url.as_deref()?));
            }
            _ => return None,
        }
        fields.push(("Timestamp", &self.timestamp));
        if self.kind != "Notification" {
            fields.push(("Token", self.token.as_deref()?));
        }
        fields.push(("TopicArn", &self.topic_arn));
        fields.push(("Type", &self.kind));
        Some(fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect())
    }
}

/// Whether `url` is where SNS may serve a certificate (`certificate`) or a subscription
/// confirmation from: https on `sns.<region>.amazonaws.com(.cn)`, a certificate named
/// `SimpleNotificationService-<hex>.pem`; or, with the simulator on, exactly its certificate.
pub fn sns_address_allowed(keys: &AwsKeys, url: &str, certificate: bool) -> bool {
    if certificate && keys.simulator_certificate.as_deref() == Some(url) {
        return true;
    }
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let region_host = host
        .strip_prefix("sns.")
        .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")))
        .is_some_and(|region| {
            // A region is letters, digits and dashes with a dash in it ("us-east-1"); not an
            // old S3 bucket host ("s3-us-west-2" has no place under sns.).
            region.len() >= 3
                && region.contains('-')
                && !region.starts_with("s3")
                && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let certificate_path = |path: &str| {
        path.strip_prefix("/SimpleNotificationService-")
            .and_then(|rest| rest.strip_suffix(".pem"))
            .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    parsed.scheme() == "https"
        && parsed.port().is_none()
        && parsed.username().is_empty()
        && region_host
        && (!certificate || certificate_path(parsed.path()))
}

/// The account AWS Marketplace publishes its subscription notifications from.
const MARKETPLACE_ACCOUNT: &str = "287250355862";

/// Whether notifications may come from `topic`: one configured, or by default AWS
/// Marketplace's own subscription topic (its account, its name). A topic of anyone else's
/// account is refused even with a good signature: anyone may make an SNS topic of that name.
fn topic_allowed(keys: &AwsKeys, topic: &str) -> bool {
    if !keys.topic_arns.is_empty() {
        return keys.topic_arns.iter().any(|t| t == topic);
    }
    let parts: Vec<&str> = topic.split(':').collect();
    matches!(parts.as_slice(), ["arn", "aws" | "aws-cn", "sns", _, account, name]
        if *account == MARKETPLACE_ACCOUNT && name.starts_with("aws-mp-subscription-notification-"))
}

/// The certificate at `url`, from the database or fetched once (network I/O: no transaction).
async fn certificate(state: &AppState, url: &str) -> Result<String, Refusal> {
    let mut conn = state.db.pool().acquire().await?;
    if let Some(pem) = store::certificate(&mut conn, url).await? {
        return Ok(pem);
    }
    drop(conn);
    let response = get(url).await?;
    if !response.status().is_success() {
        return Err(Refusal::Upstream(format!("certificate: {}", response.status())));
    }
    let pem = response.text().await.map_err(|e| Refusal::Upstream(e.to_string()))?;
    if pem.len() > 16 * 1024 || public_key(&pem).is_none() {
        return Err(Refusal::BadSignature);
    }
    let mut conn = state.db.pool().acquire().await?;
    store::keep_certificate(&mut conn, url, &pem, state.clock.now()).await?;
    Ok(pem)
}

/// The RSA key of a PEM certificate.
fn public_key(pem: &str) -> Option<rsa::RsaPublicKey> {
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{DecodePem, Encode};
    let cert = x509_cert::Certificate::from_pem(pem.as_bytes()).ok()?;
    let der = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
    rsa::RsaPublicKey::from_public_key_der(&der).ok()
}

/// Whether `signature` (base64) over `text` holds under the certificate's key.
pub fn signature_holds(pem: &str, version: &str, text: &str, signature: &str) -> bool {
    use rsa::signature::Verifier;
    let (Some(key), Ok(bytes)) = (public_key(pem), data_encoding::BASE64.decode(signature.trim().as_bytes())) else {
        return false;
    };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    match version {
        "1" => rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key).verify(text.as_bytes(), &signature).is_ok(),
        "2" => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(text.as_bytes(), &signature).is_ok(),
        _ => false,
    }
}

/// How old an SNS message may be (SNS retries for about an hour).
const SNS_MAX_AGE_MS: i64 = 2 * crate::time::HOUR_MS;

pub struct Notifications;

impl Marketplace for Notifications {
    async fn verify(&self, state: &AppState, request: &Incoming<'_>) -> Result<Option<Notice>, Refusal> {
        let keys = state.marketplace_keys.aws.as_ref().ok_or(Refusal::Unconfigured)?;
        let message: SnsMessage = serde_json::from_slice(request.body).map_err(|_| Refusal::BadSignature)?;
        let text = message.string_to_sign().ok_or(Refusal::BadSignature)?;
        // The cheap checks first: nothing is fetched for a message that would be refused anyway.
        if !sns_address_allowed(keys, &message.signing_cert_url, true) || !topic_allowed(keys, &message.topic_arn) {
            return Err(Refusal::BadSignature);
        }
        let sent = crate::time::Zone::utc()
            .parse_local(message.timestamp.get(..19).unwrap_or_default(), "%Y-%m-%dT%H:%M:%S")
            .ok_or(Refusal::Stale)?;
        if state.clock.now().saturating_sub(sent) > SNS_MAX_AGE_MS {
            return Err(Refusal::Stale);
        }
        let pem = certificate(state, &message.signing_cert_url).await?;
        if !signature_holds(&pem, &message.signature_version, &text, &message.signature) {
            return Err(Refusal::BadSignature);
        }
        match message.kind.as_str() {
            "SubscriptionConfirmation" => {
                let url = message.subscribe_url.as_deref().unwrap_or_default();
                if !sns_address_allowed(keys, url, false) {
                    return Err(Refusal::BadSignature);
                }
                confirm(url).await?;
                return Ok(None);
            }
            "UnsubscribeConfirmation" => return Ok(None),
            _ => {}
        }
        let body: Value = serde_json::from_str(&message.message).map_err(|_| Refusal::Malformed("Message"))?;
        let field = |name: &'static str| {
            body.get(name).and_then(Value::as_str).map(str::to_string).filter(|v| !v.is_empty() && v.len() <= 128).ok_or(Refusal::Malformed(name))
        };
        let action = field("action")?;
        let status = match action.as_str() {
            "subscribe-success" => CloudAccountStatus::Active,
            "subscribe-fail" => CloudAccountStatus::Failed,
            "unsubscribe-pending" => CloudAccountStatus::Ending,
            "unsubscribe-success" => CloudAccountStatus::Ended,
            _ => return Err(Refusal::Malformed("action")),
        };
        let (customer, product) = (field("customer-identifier")?, field("product-code")?);
        let subject = notice_subject(&customer, &product);
        let mut conn = state.db.pool().acquire().await?;
        let Some(row) = store::by_customer(&mut conn, Cloud::Aws, &customer, &product).await? else {
            // Not registered yet: kept, and applied when the buyer registers.
            store::keep_early_call(&mut conn, Cloud::Aws, &format!("sns:{}", message.message_id), &action, &subject, state.clock.now()).await?;
            return Ok(None);
        };
        Ok(Some(Notice {
            cloud: Cloud::Aws,
            call_key: format!("sns:{}", message.message_id),
            action,
            subscription: row.subscription_ref,
            change: Change::Status { status, expires_at: None },
        }))
    }

    fn answer(&self, _state: &AppState, _action: &str, outcome: Result<Option<&Applied>, &Refusal>) -> Response {
        match outcome {
            Ok(_) => StatusCode::OK.into_response(),
            Err(refusal) => (super::aliyun::status_of(refusal), refusal.to_string()).into_response(),
        }
    }
}

/// The HTTP client of every call to AWS.
fn client() -> Result<reqwest::Client, Refusal> {
    crate::server::outbound_client(std::time::Duration::from_secs(10)).map_err(|e| Refusal::Upstream(e.to_string()))
}

async fn get(url: &str) -> Result<reqwest::Response, Refusal> {
    client()?.get(url).send().await.map_err(|e| Refusal::Upstream(e.to_string()))
}

/// Confirms an SNS subscription by fetching its SubscribeURL.
async fn confirm(url: &str) -> Result<(), Refusal> {
    let response = get(url).await?;
    match response.status().is_success() {
        true => Ok(()),
        false => Err(Refusal::Upstream(format!("subscription confirmation: {}", response.status()))),
    }
}
