//! What every marketplace's endpoint does alike: verify the call before reading it further,
//! turn it into a [`Notice`], act on it once (`subscriptions::apply`), and answer in the
//! marketplace's own format. Each marketplace is a [`Marketplace`]; its keys are [`Keys`].
use super::subscriptions::{self, Applied, Notice, NoticeError};
use crate::config::Secret;
use crate::money::Currency;
use crate::server::db::Db;
use crate::state::AppState;
use axum::http::HeaderMap;
use axum::response::Response;

/// A marketplace's request as received.
pub struct Incoming<'a> {
    /// The raw query string (without `?`).
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Incoming<'_> {
    /// The query's parameters, decoded, in the order sent.
    pub fn params(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes()).into_owned().collect()
    }
}

/// Why a marketplace call is not acted on. Nothing changes for any of them.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this marketplace is not configured on this server")]
    Unconfigured,
    #[error("missing or bad signature")]
    BadSignature,
    #[error("timestamp too far from the server's clock")]
    Stale,
    #[error("malformed call: {0}")]
    Malformed(&'static str),
    #[error("no such subscription")]
    UnknownSubscription,
    /// (The detail goes to the log, not to the caller: it may name internal addresses.)
    #[error("the marketplace's own service could not be reached or refused")]
    Upstream(String),
    #[error("database unavailable")]
    Database,
}

impl From<NoticeError> for Refusal {
    fn from(error: NoticeError) -> Self {
        match error {
            NoticeError::UnknownSubscription => Refusal::UnknownSubscription,
            NoticeError::Database => Refusal::Database,
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "marketplace call");
        Refusal::Database
    }
}

/// One marketplace's side of the conversation.
pub trait Marketplace {
    /// Checks the call (signature, time, shape) and says what it means; `None` when the call
    /// needs no change (a subscription confirmation, answered in `verify`).
    fn verify(
        &self,
        state: &AppState,
        request: &Incoming<'_>,
    ) -> impl std::future::Future<Output = Result<Option<Notice>, Refusal>> + Send;

    /// The answer the marketplace expects to `action` (the call's name; empty when the call
    /// was refused before it was read).
    fn answer(&self, state: &AppState, action: &str, outcome: Result<Option<&Applied>, &Refusal>) -> Response;
}

/// Verifies, acts once, answers.
pub async fn handle<M: Marketplace>(marketplace: &M, state: &AppState, request: Incoming<'_>) -> Response {
    let mut action = String::new();
    let outcome = match marketplace.verify(state, &request).await {
        Ok(Some(notice)) => {
            action.clone_from(&notice.action);
            subscriptions::apply(state, &notice).await.map(Some).map_err(Refusal::from)
        }
        Ok(None) => Ok(None),
        Err(refusal) => Err(refusal),
    };
    match &outcome {
        Err(Refusal::Upstream(detail)) => tracing::warn!(%detail, "marketplace's own service failed"),
        Err(refusal @ (Refusal::BadSignature | Refusal::Stale)) => {
            tracing::warn!(%refusal, "marketplace call refused")
        }
        _ => {}
    }
    marketplace.answer(state, &action, outcome.as_ref().map(Option::as_ref))
}

/// Every marketplace's keys as this server holds them: configured, or (with the simulator on
/// only) made by this server once and kept in the database, so every replica and the
/// simulator sign alike.
#[derive(Clone, Debug)]
pub struct Keys {
    pub aliyun: Option<Secret>,
    pub huawei: Option<Secret>,
    pub aws: Option<AwsKeys>,
    /// Alibaba Cloud's OpenAPI, where PushMeteringData is called.
    pub aliyun_api: Option<AliyunApi>,
    /// Huawei Cloud's usage push (signed with `huawei`), and its listing's currency.
    pub huawei_usage_url: String,
    pub huawei_currency: Currency,
}

#[derive(Clone, Debug)]
pub struct AliyunApi {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub url: String,
    /// The listing's metering entity key, and its currency.
    pub entity: String,
    pub currency: Currency,
}

#[derive(Clone, Debug)]
pub struct AwsKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub region: String,
    /// ResolveCustomer's endpoint.
    pub metering_url: String,
    pub topic_arns: Vec<String>,
    /// The listing's metering dimension, and its currency.
    pub dimension: String,
    pub currency: Currency,
    /// Where the simulator's signing certificate is served (allowed beside AWS's own, exactly
    /// this address).
    pub simulator_certificate: Option<String>,
}

/// The access key id the simulator's credentials go by.
pub const SIMULATOR_ACCESS_KEY_ID: &str = "AKIABILLINGCENTERSIM";
/// The AccessKey id the simulator's Alibaba Cloud OpenAPI credentials go by.
pub const SIMULATOR_ALIYUN_KEY_ID: &str = "LTAIBILLINGCENTERSIM";

impl Keys {
    pub async fn load(db: &Db, config: &crate::config::Config) -> Result<Keys, sqlx::Error> {
        let m = &config.marketplaces;
        let made = |name: &'static str| async move {
            crate::server::secrets::get_or_create(db, name).await.map(Secret::new)
        };
        let pick = |configured: &Option<Secret>, name: &'static str| {
            let configured = configured.clone();
            async move {
                match (configured, m.simulator) {
                    (Some(key), _) => Ok(Some(key)),
                    (None, true) => made(name).await.map(Some),
                    (None, false) => Ok(None),
                }
            }
        };
        let aliyun = pick(&m.aliyun_key, "marketplace_aliyun_key").await?;
        let huawei = pick(&m.huawei_key, "marketplace_huawei_key").await?;
        let origin = config.public_origin.url();
        let aws = match (&m.aws_access_key_id, &m.aws_secret_access_key, m.simulator) {
            (Some(id), Some(secret), _) => Some((id.clone(), secret.clone())),
            (_, _, true) => Some((SIMULATOR_ACCESS_KEY_ID.to_string(), made("marketplace_aws_secret").await?)),
            _ => None,
        }
        .map(|(access_key_id, secret_access_key)| AwsKeys {
            metering_url: m.aws_metering_url.clone().unwrap_or_else(|| match m.simulator {
                true => format!("{origin}{}", super::aws::SIMULATOR_METERING_PATH),
                false => format!("https://metering.marketplace.{}.amazonaws.com/", m.aws_region),
            }),
            simulator_certificate: m
                .simulator
                .then(|| format!("{origin}{}", super::aws::SIMULATOR_CERTIFICATE_PATH)),
            access_key_id,
            secret_access_key,
            region: m.aws_region.clone(),
            topic_arns: m.aws_topic_arns.clone(),
            dimension: or_default(&m.aws_dimension, "spend"),
            currency: m.aws_listing_currency.unwrap_or(Currency::USD),
        });
        let aliyun_api = match (&m.aliyun_access_key_id, &m.aliyun_access_key_secret, m.simulator) {
            (Some(id), Some(secret), _) => Some((id.clone(), secret.clone())),
            (_, _, true) => Some((SIMULATOR_ALIYUN_KEY_ID.to_string(), made("marketplace_aliyun_api_secret").await?)),
            _ => None,
        }
        .map(|(access_key_id, access_key_secret)| AliyunApi {
            url: m.aliyun_market_url.clone().unwrap_or_else(|| match m.simulator {
                true => format!("{origin}{}", super::metering::SIMULATOR_ALIYUN_PATH),
                false => "https://market.aliyuncs.com/".to_string(),
            }),
            access_key_id,
            access_key_secret,
            entity: or_default(&m.aliyun_metering_key, "Frequency"),
            currency: m.aliyun_listing_currency.unwrap_or(Currency::CNY),
        });
        let huawei_usage_url = m.huawei_usage_url.clone().unwrap_or_else(|| match m.simulator {
            true => format!("{origin}{}", super::metering::SIMULATOR_HUAWEI_PATH),
            false => "https://mkt.myhuaweicloud.com/api/mkp-openapi-public/global/v1/isv/usage-data".to_string(),
        });
        let huawei_currency = m.huawei_listing_currency.unwrap_or(Currency::CNY);
        Ok(Keys { aliyun, huawei, aws, aliyun_api, huawei_usage_url, huawei_currency })
    }
}

fn or_default(name: &str, default: &str) -> String {
    match name.is_empty() {
        true => default.to_string(),
        false => name.to_string(),
    }
}
