//! Configuration from environment variables, checked once at start-up.
//!
//! A bad value stops the server with a message that names the variable. Every variable is
//! documented in the README's configuration table.
use std::net::SocketAddr;
use std::path::PathBuf;

/// Beijing time, the billing zone of the CN sites.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub database_url: String,
    pub brand_name: String,
    pub support_contact: String,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
    pub payment_callback_secret: Option<Secret>,
    pub operator_email: Option<String>,
    pub bank_transfer: BankTransferDetails,
    pub funds: crate::funds::model::FundsPolicy,
    /// Verification codes one client address may ask for per hour and per day (an office
    /// behind one NAT address may need more than the default).
    pub codes_per_client: (i64, i64),
    /// Fill the demo account with data at start-up (`--demo` or `BC_DEMO=1`).
    pub demo: bool,
    /// The sandbox payment provider (a local checkout that pays without money): only when
    /// switched on by `BC_PAYMENT_SANDBOX=1`, never because nothing else is configured.
    pub payment_sandbox: bool,
    /// The development outbox (`BC_DEV_OUTBOX=1`): messages for a channel with no real delivery
    /// are kept in the database and listed at `/outbox` instead of being refused.
    pub dev_outbox: bool,
    /// The site simulator page (`BC_SITE_SIMULATOR=1`): mints bind links and codes as a site
    /// would, for development and tests; never on unless asked for.
    pub site_simulator: bool,
    /// The development clock (`BC_DEV_CLOCK=1`): the time may be moved forward at `/dev/clock`.
    pub dev_clock: bool,
    /// What every site's key is derived from (`BC_SITE_KEY_SECRET`, at least 32 characters):
    /// set, the site keys cannot be derived from a copy of the database. Unset, the server
    /// makes one and keeps it in the database like its other secrets.
    pub site_key_secret: Option<Secret>,
    /// Each cloud marketplace's keys, and whether its simulator is on.
    pub marketplaces: MarketplaceConfig,
    /// Where browsers reach this server (`BC_PUBLIC_ORIGIN`); requests naming another `Host`
    /// are refused, and its scheme decides the cookie's `Secure` flag and HSTS.
    pub public_origin: PublicOrigin,
    /// The largest amount an operator may credit or give in one action, whole currency units.
    pub operator_amount_max: i64,
    /// Country calling codes that phone numbers may have (`BC_PHONE_COUNTRY_CODES`): texts go
    /// only where the business is, which keeps SMS pumping to far-away numbers out.
    pub phone_country_codes: Vec<String>,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry
    /// (the one the proxy added) instead of the TCP peer, which is then the proxy.
    pub trust_forwarded_for: bool,
    /// The zone times are shown in (`BC_TIME_ZONE`, an IANA name; Beijing time by default, as
    /// for the CN sites).
    pub time_zone: crate::time::Zone,
}

/// A secret from the configuration: shown as `[redacted]` by `Debug`, so a logged
/// configuration or state never carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The scheme and authority (`host[:port]`) browsers use to reach the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin {
    pub https: bool,
    /// Lower-case `host[:port]` as browsers send it in `Host` (no default port).
    pub authority: String,
    /// Another spelling of the same loopback address (`localhost:3000` beside
    /// `127.0.0.1:3000`) when no public origin is configured.
    pub alias: Option<String>,
}

impl PublicOrigin {
    /// Reads "https://billing.example.com" or "http://127.0.0.1:3000" (no path).
    pub fn parse(text: &str) -> Option<Self> {
        let (https, rest) = match text.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix("http://")?),
        };
        let authority = rest.trim_end_matches('/').to_ascii_lowercase();
        let valid = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        let default_port = if https { ":443" } else { ":80" };
        let authority = authority
            .strip_suffix(default_port)
            .map(str::to_string)
            .unwrap_or(authority);
        valid.then_some(Self {
            https,
            authority,
            alias: None,
        })
    }

    /// The origin of a server reached at its own listening address on this machine.
    fn local(addr: SocketAddr) -> Self {
        Self {
            https: false,
            authority: addr.to_string(),
            alias: Some(format!("localhost:{}", addr.port())),
        }
    }

    /// Whether a `Host` header (or the authority of an `Origin`) names this server: the same
    /// name, ignoring case, a trailing dot and the scheme's default port.
    pub fn is_host(&self, host: &str) -> bool {
        let default_port = if self.https { ":443" } else { ":80" };
        let host = host.strip_suffix(default_port).unwrap_or(host);
        let host = host.strip_suffix('.').unwrap_or(host);
        host.eq_ignore_ascii_case(&self.authority)
            || self
                .alias
                .as_deref()
                .is_some_and(|alias| host.eq_ignore_ascii_case(alias))
    }

    /// "https://billing.example.com".
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsConfig {
    pub endpoint: String,
    pub secret: Secret,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BankTransferDetails {
    pub account_name: String,
    pub bank_name: String,
    pub account_number: String,
}

/// A configuration value that cannot be used, named by its variable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration variable {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/billing-center.db";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests can pass their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let listen_addr = match get("BC_LISTEN_ADDR").or_else(|| get("LEPTOS_SITE_ADDR")) {
            Some(addr) => addr.parse().map_err(|_| {
                error(
                    "BC_LISTEN_ADDR",
                    format!("{addr:?} is not an address like 127.0.0.1:3000"),
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(error(
                "DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }

        let smtp = match get("SMTP_HOST") {
            None => None,
            Some(host) => {
                let tls = match get("SMTP_TLS").as_deref().unwrap_or("starttls") {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => {
                        return Err(error(
                            "SMTP_TLS",
                            format!("{other:?} is not one of none, starttls, tls"),
                        ))
                    }
                };
                let default_port = match tls {
                    SmtpTls::None => 25,
                    SmtpTls::StartTls => 587,
                    SmtpTls::Tls => 465,
                };
                let port = match get("SMTP_PORT") {
                    Some(port) => port.parse().map_err(|_| {
                        error("SMTP_PORT", format!("{port:?} is not a port number"))
                    })?,
                    None => default_port,
                };
                let from = get("SMTP_FROM")
                    .ok_or_else(|| error("SMTP_FROM", "is required when SMTP_HOST is set"))?;
                if !from.contains('@') {
                    return Err(error("SMTP_FROM", "must be an email address"));
                }
                Some(SmtpConfig {
                    host,
                    port,
                    tls,
                    username: get("SMTP_USERNAME"),
                    password: get("SMTP_PASSWORD").map(Secret::new),
                    from,
                })
            }
        };

        let sms = match (get("SMS_ENDPOINT"), get("SMS_SECRET")) {
            (None, None) => None,
            (Some(endpoint), Some(secret)) => {
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(error("SMS_ENDPOINT", "must be an http:// or https:// URL"));
                }
                Some(SmsConfig {
                    endpoint,
                    secret: Secret::new(secret),
                })
            }
            (Some(_), None) => {
                return Err(error("SMS_SECRET", "is required when SMS_ENDPOINT is set"))
            }
            (None, Some(_)) => {
                return Err(error("SMS_ENDPOINT", "is required when SMS_SECRET is set"))
            }
        };

        let payment_callback_secret = get("PAYMENT_CALLBACK_SECRET");
        if let Some(secret) = &payment_callback_secret {
            if secret.len() < 16 {
                return Err(error(
                    "PAYMENT_CALLBACK_SECRET",
                    "must be at least 16 characters",
                ));
            }
        }

        let operator_email = get("BC_OPERATOR_EMAIL");
        if let Some(email) = &operator_email {
            if !email.contains('@') {
                return Err(error("BC_OPERATOR_EMAIL", "must be an email address"));
            }
        }

        let flag = |variable: &'static str| match get(variable).as_deref() {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(other) => Err(error(
                variable,
                format!("{other:?} is not 0, 1, true or false"),
            )),
        };
        let funds = funds_policy(&get)?;
        let defaults = crate::verification::rules::CodePolicy::default();
        let codes_per_client = (
            positive(&get, "BC_CODES_PER_CLIENT_HOUR", defaults.per_client_hour)?,
            positive(&get, "BC_CODES_PER_CLIENT_DAY", defaults.per_client_day)?,
        );
        let demo = flag("BC_DEMO")?;
        let trust_forwarded_for = flag("BC_TRUST_FORWARDED_FOR")?;
        let public_origin = match get("BC_PUBLIC_ORIGIN") {
            Some(text) => PublicOrigin::parse(&text).ok_or_else(|| {
                error(
                    "BC_PUBLIC_ORIGIN",
                    format!("{text:?} is not an origin like https://billing.example.com"),
                )
            })?,
            None if listen_addr.ip().is_loopback() => PublicOrigin::local(listen_addr),
            None => {
                return Err(error(
                    "BC_PUBLIC_ORIGIN",
                    "is required when listening on an address other machines reach",
                ))
            }
        };
        let phone_country_codes: Vec<String> = get("BC_PHONE_COUNTRY_CODES")
            .unwrap_or_else(|| "86".to_string())
            .split(',')
            .map(|code| code.trim().trim_start_matches('+').to_string())
            .collect();
        if phone_country_codes.iter().any(|code| {
            code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit())
        }) {
            return Err(error(
                "BC_PHONE_COUNTRY_CODES",
                "must be country calling codes separated by commas, like 86,852",
            ));
        }
        let operator_amount_max = positive(&get, "BC_OPERATOR_AMOUNT_MAX", 10_000_000)?
            .min(crate::money::MAX_AMOUNT_MAJOR);
        let time_zone =
            crate::time::Zone::named(get("BC_TIME_ZONE").as_deref().unwrap_or(DEFAULT_TIME_ZONE))
                .map_err(|_| {
                error(
                    "BC_TIME_ZONE",
                    "must be an IANA time zone, like Asia/Shanghai or UTC",
                )
            })?;

        let site_simulator = flag("BC_SITE_SIMULATOR")?;
        if site_simulator && public_origin.https {
            return Err(error(
                "BC_SITE_SIMULATOR",
                "mints bind proofs for any workspace: development only, not with an https BC_PUBLIC_ORIGIN",
            ));
        }
        let dev_clock = flag("BC_DEV_CLOCK")?;
        if dev_clock && public_origin.https {
            return Err(error(
                "BC_DEV_CLOCK",
                "moves the time of every account: development only, not with an https BC_PUBLIC_ORIGIN",
            ));
        }
        let site_key_secret = get("BC_SITE_KEY_SECRET");
        if site_key_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(error("BC_SITE_KEY_SECRET", "must be at least 32 characters"));
        }
        let marketplaces = marketplace_config(&get, &flag, &public_origin)?;
        Ok(Config {
            marketplaces,
            listen_addr,
            database_url,
            brand_name: get("BC_BRAND_NAME").unwrap_or_else(|| "Billing Center".to_string()),
            support_contact: get("BC_SUPPORT_CONTACT")
                .unwrap_or_else(|| "support@example.com".to_string()),
            smtp,
            sms,
            payment_callback_secret: payment_callback_secret.map(Secret::new),
            operator_email,
            bank_transfer: BankTransferDetails {
                account_name: get("BC_BANK_ACCOUNT_NAME").unwrap_or_default(),
                bank_name: get("BC_BANK_NAME").unwrap_or_default(),
                account_number: get("BC_BANK_ACCOUNT_NUMBER").unwrap_or_default(),
            },
            funds,
            codes_per_client,
            demo,
            trust_forwarded_for,
            payment_sandbox: flag("BC_PAYMENT_SANDBOX")?,
            dev_outbox: flag("BC_DEV_OUTBOX")?,
            site_simulator,
            dev_clock,
            site_key_secret: site_key_secret.map(Secret::new),
            public_origin,
            operator_amount_max,
            phone_country_codes,
            time_zone,
        })
    }

    /// The folder a SQLite database file lives in, which start-up creates if missing.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        let path = self.database_url.strip_prefix("sqlite:")?;
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        PathBuf::from(path).parent().map(PathBuf::from)
    }
}

/// The cloud marketplaces' keys as configured. A marketplace without its key is off (its
/// endpoints answer 503), unless `BC_MARKETPLACE_SIMULATOR=1`, when a missing key is one this
/// server makes and its simulator signs with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketplaceConfig {
    pub simulator: bool,
    /// Alibaba Cloud Marketplace: the service provider's SPI key.
    pub aliyun_key: Option<Secret>,
    /// Huawei Cloud KooGallery: the seller's access key.
    pub huawei_key: Option<Secret>,
    /// AWS Marketplace: the seller account's credentials for ResolveCustomer.
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<Secret>,
    pub aws_region: String,
    /// Where ResolveCustomer is called (AWS's metering endpoint of the region by default).
    pub aws_metering_url: Option<String>,
    /// The SNS topics subscription notifications may come from (any AWS Marketplace
    /// subscription topic when empty).
    pub aws_topic_arns: Vec<String>,
    /// The AWS listing's metering dimension (priced at one minor unit, so the quantity is
    /// the amount in cents).
    pub aws_dimension: String,
    /// Alibaba Cloud OpenAPI credentials of the seller's account, for PushMeteringData.
    pub aliyun_access_key_id: Option<String>,
    pub aliyun_access_key_secret: Option<Secret>,
    /// Where PushMeteringData is called (the China site's endpoint by default).
    pub aliyun_market_url: Option<String>,
    /// The Alibaba Cloud listing's metering entity key (priced at one fen a unit).
    pub aliyun_metering_key: String,
    /// Where Huawei Cloud's usage push is called.
    pub huawei_usage_url: Option<String>,
    /// The currency each listing is priced in (unset: AWS USD, Alibaba Cloud and Huawei Cloud
    /// CNY): only accounts of that currency are reported to it.
    pub aws_listing_currency: Option<crate::money::Currency>,
    pub aliyun_listing_currency: Option<crate::money::Currency>,
    pub huawei_listing_currency: Option<crate::money::Currency>,
}

fn marketplace_config(
    get: &impl Fn(&str) -> Option<String>,
    flag: &impl Fn(&'static str) -> Result<bool, ConfigError>,
    origin: &PublicOrigin,
) -> Result<MarketplaceConfig, ConfigError> {
    let simulator = flag("BC_MARKETPLACE_SIMULATOR")?;
    if simulator && origin.https {
        return Err(error(
            "BC_MARKETPLACE_SIMULATOR",
            "signs marketplace calls for anyone: development only, not with an https BC_PUBLIC_ORIGIN",
        ));
    }
    let key = |variable: &'static str| match get(variable) {
        Some(key) if key.len() < 16 => Err(error(variable, "must be at least 16 characters")),
        other => Ok(other.map(Secret::new)),
    };
    let aws_region = get("BC_AWS_REGION").unwrap_or_else(|| "us-east-1".to_string());
    if !aws_region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(error("BC_AWS_REGION", "must be a region name like us-east-1"));
    }
    let aws_metering_url = get("BC_AWS_METERING_URL");
    if aws_metering_url.as_ref().is_some_and(|u| !u.starts_with("https://")) {
        return Err(error("BC_AWS_METERING_URL", "must be an https:// URL"));
    }
    for variable in ["BC_ALIYUN_MARKET_URL", "BC_HUAWEI_USAGE_URL"] {
        if get(variable).is_some_and(|u| !u.starts_with("https://")) {
            return Err(error(variable, "must be an https:// URL"));
        }
    }
    let name = |variable: &'static str, default: &str| match get(variable) {
        Some(n) if n.is_empty() || n.len() > 64 || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') => {
            Err(error(variable, "must be a name of letters, digits, _ and -"))
        }
        other => Ok(other.unwrap_or_else(|| default.to_string())),
    };
    let listing = |variable: &'static str| match get(variable) {
        None => Ok(None),
        Some(code) => code.parse().map(Some).map_err(|_| error(variable, "must be CNY or USD")),
    };
    let aliyun_access_key_id = get("BC_ALIYUN_ACCESS_KEY_ID");
    let aliyun_access_key_secret = get("BC_ALIYUN_ACCESS_KEY_SECRET").map(Secret::new);
    if aliyun_access_key_id.is_some() != aliyun_access_key_secret.is_some() {
        return Err(error(
            "BC_ALIYUN_ACCESS_KEY_SECRET",
            "BC_ALIYUN_ACCESS_KEY_ID and BC_ALIYUN_ACCESS_KEY_SECRET are set together",
        ));
    }
    let aws_access_key_id = get("BC_AWS_ACCESS_KEY_ID");
    let aws_secret_access_key = get("BC_AWS_SECRET_ACCESS_KEY").map(Secret::new);
    if aws_access_key_id.is_some() != aws_secret_access_key.is_some() {
        return Err(error(
            "BC_AWS_SECRET_ACCESS_KEY",
            "BC_AWS_ACCESS_KEY_ID and BC_AWS_SECRET_ACCESS_KEY are set together",
        ));
    }
    Ok(MarketplaceConfig {
        simulator,
        aliyun_key: key("BC_ALIYUN_SPI_KEY")?,
        huawei_key: key("BC_HUAWEI_ACCESS_KEY")?,
        aws_access_key_id,
        aws_secret_access_key,
        aws_region,
        aws_metering_url,
        aws_topic_arns: get("BC_AWS_SNS_TOPIC_ARNS")
            .map(|list| list.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default(),
        aws_dimension: name("BC_AWS_DIMENSION", "spend")?,
        aliyun_access_key_id,
        aliyun_access_key_secret,
        aliyun_market_url: get("BC_ALIYUN_MARKET_URL"),
        aliyun_metering_key: name("BC_ALIYUN_METERING_KEY", "Frequency")?,
        huawei_usage_url: get("BC_HUAWEI_USAGE_URL"),
        aws_listing_currency: listing("BC_AWS_LISTING_CURRENCY")?,
        aliyun_listing_currency: listing("BC_ALIYUN_LISTING_CURRENCY")?,
        huawei_listing_currency: listing("BC_HUAWEI_LISTING_CURRENCY")?,
    })
}

/// A positive whole number from `variable`, or `default` when unset.
fn positive(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: i64,
) -> Result<i64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n: &i64| *n > 0)
            .ok_or_else(|| error(variable, format!("{text:?} is not a positive whole number"))),
    }
}

/// Recharge limits, card validity and reminder, and discount tiers (defaults from the spec).
fn funds_policy(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<crate::funds::model::FundsPolicy, ConfigError> {
    let mut policy = crate::funds::model::FundsPolicy::default();
    let whole =
        |variable: &'static str, default: i64| -> Result<i64, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(text) => text.parse().ok().filter(|n: &i64| *n > 0).ok_or_else(|| {
                    error(variable, format!("{text:?} is not a positive whole number"))
                }),
            }
        };
    policy.recharge_min = whole("BC_RECHARGE_MIN", policy.recharge_min)?;
    policy.recharge_max = whole("BC_RECHARGE_MAX", policy.recharge_max)?;
    if policy.recharge_max < policy.recharge_min {
        return Err(error(
            "BC_RECHARGE_MAX",
            "must not be below BC_RECHARGE_MIN",
        ));
    }
    policy.card_validity_days = whole("BC_CARD_VALIDITY_DAYS", policy.card_validity_days)?;
    policy.card_reminder_days = whole("BC_CARD_REMINDER_DAYS", policy.card_reminder_days)?;
    policy.arrears_days = whole("BC_ARREARS_DAYS", policy.arrears_days)?;
    policy.arrears_reminder_days =
        whole("BC_ARREARS_REMINDER_DAYS", policy.arrears_reminder_days)?;
    if policy.arrears_reminder_days >= policy.arrears_days || policy.arrears_days > 365 {
        return Err(error(
            "BC_ARREARS_REMINDER_DAYS",
            "must be below BC_ARREARS_DAYS, which is at most 365",
        ));
    }
    if let Some(text) = get("BC_DISCOUNT_TIERS") {
        policy.discount_tiers = if text == "none" {
            Vec::new()
        } else {
            crate::funds::model::FundsPolicy::parse_tiers(&text)
                .map_err(|message| error("BC_DISCOUNT_TIERS", message))?
        };
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_run_on_embedded_sqlite() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.smtp, None);
        assert_eq!(config.sms, None);
        assert!(!config.demo);
        assert_eq!(config.sqlite_dir(), Some(PathBuf::from("data")));
        assert_eq!(config.funds, crate::funds::model::FundsPolicy::default());
        assert_eq!(config.codes_per_client, (20, 100));
        // Conveniences are off unless asked for.
        assert!(!config.payment_sandbox);
        assert!(!config.dev_outbox);
        assert!(config.public_origin.is_host("127.0.0.1:3000"));
        assert!(config.public_origin.is_host("localhost:3000"));
        assert!(!config.public_origin.is_host("evil.example:3000"));
        assert_eq!(config.phone_country_codes, vec!["86".to_string()]);
    }

    #[test]
    fn the_public_origin_names_the_host_and_scheme() {
        let config = config(&[
            ("BC_LISTEN_ADDR", "0.0.0.0:8080"),
            ("BC_PUBLIC_ORIGIN", "https://Billing.Example.com:443/"),
        ])
        .expect("valid");
        assert!(config.public_origin.https);
        assert!(config.public_origin.is_host("billing.example.com"));
        assert!(!config.public_origin.is_host("0.0.0.0:8080"));
        assert_eq!(config.public_origin.url(), "https://billing.example.com");
    }

    #[test]
    fn funds_rules_are_configuration() {
        let config = config(&[
            ("BC_CARD_VALIDITY_DAYS", "180"),
            ("BC_DISCOUNT_TIERS", "5000:300"),
            ("BC_RECHARGE_MAX", "5000"),
        ])
        .expect("valid");
        assert_eq!(config.funds.card_validity_days, 180);
        assert_eq!(config.funds.discount_tiers, vec![(5_000, 300)]);
        assert_eq!(config.funds.recharge_max, 5_000);
        let none = super::Config::from_lookup(|name| {
            (name == "BC_DISCOUNT_TIERS").then(|| "none".to_string())
        })
        .expect("valid");
        assert!(none.funds.discount_tiers.is_empty());
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("BC_LISTEN_ADDR", "localhost")], "BC_LISTEN_ADDR"),
            (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (
                &[
                    ("SMTP_HOST", "mail"),
                    ("SMTP_FROM", "a@b"),
                    ("SMTP_TLS", "ssl"),
                ],
                "SMTP_TLS",
            ),
            (
                &[
                    ("SMTP_HOST", "mail"),
                    ("SMTP_FROM", "a@b"),
                    ("SMTP_PORT", "x"),
                ],
                "SMTP_PORT",
            ),
            (&[("SMTP_HOST", "mail")], "SMTP_FROM"),
            (&[("SMS_ENDPOINT", "http://sms")], "SMS_SECRET"),
            (
                &[("SMS_ENDPOINT", "ftp://sms"), ("SMS_SECRET", "s")],
                "SMS_ENDPOINT",
            ),
            (
                &[("BC_SITE_SIMULATOR", "1"), ("BC_PUBLIC_ORIGIN", "https://billing.example.com")],
                "BC_SITE_SIMULATOR",
            ),
            (&[("BC_SITE_KEY_SECRET", "too short")], "BC_SITE_KEY_SECRET"),
            (
                &[("PAYMENT_CALLBACK_SECRET", "short")],
                "PAYMENT_CALLBACK_SECRET",
            ),
            (&[("BC_DEMO", "yes")], "BC_DEMO"),
            (&[("BC_CARD_VALIDITY_DAYS", "0")], "BC_CARD_VALIDITY_DAYS"),
            (
                &[("BC_CODES_PER_CLIENT_HOUR", "many")],
                "BC_CODES_PER_CLIENT_HOUR",
            ),
            (&[("BC_RECHARGE_MIN", "1.5")], "BC_RECHARGE_MIN"),
            (
                &[("BC_RECHARGE_MIN", "100"), ("BC_RECHARGE_MAX", "10")],
                "BC_RECHARGE_MAX",
            ),
            (&[("BC_DISCOUNT_TIERS", "10000=1000")], "BC_DISCOUNT_TIERS"),
            (
                &[("BC_TRUST_FORWARDED_FOR", "maybe")],
                "BC_TRUST_FORWARDED_FOR",
            ),
            (&[("BC_PAYMENT_SANDBOX", "on")], "BC_PAYMENT_SANDBOX"),
            (&[("BC_DEV_OUTBOX", "yes")], "BC_DEV_OUTBOX"),
            (
                &[("BC_PUBLIC_ORIGIN", "billing.example.com")],
                "BC_PUBLIC_ORIGIN",
            ),
            (&[("BC_LISTEN_ADDR", "0.0.0.0:3000")], "BC_PUBLIC_ORIGIN"),
            (
                &[("BC_PHONE_COUNTRY_CODES", "86,+1x")],
                "BC_PHONE_COUNTRY_CODES",
            ),
            (
                &[("BC_OPERATOR_AMOUNT_MAX", "-1")],
                "BC_OPERATOR_AMOUNT_MAX",
            ),
        ];
        for (vars, variable) in cases {
            let err = config(vars).expect_err("must be refused");
            assert_eq!(err.variable, *variable);
            assert!(err.to_string().contains(variable));
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = config(&[
            ("SMTP_HOST", "mail"),
            ("SMTP_FROM", "billing@example.com"),
            ("SMTP_PASSWORD", "smtp-password-123"),
            ("SMS_ENDPOINT", "https://sms.example"),
            ("SMS_SECRET", "sms-secret-456"),
            ("PAYMENT_CALLBACK_SECRET", "payment-secret-789-long"),
        ])
        .expect("valid");
        let shown = format!("{config:?}");
        for secret in [
            "smtp-password-123",
            "sms-secret-456",
            "payment-secret-789-long",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn smtp_port_follows_tls_mode() {
        let config = config(&[
            ("SMTP_HOST", "mail"),
            ("SMTP_FROM", "billing@example.com"),
            ("SMTP_TLS", "tls"),
        ])
        .expect("valid");
        assert_eq!(config.smtp.map(|s| s.port), Some(465));
    }

    #[test]
    fn sqlite_dir_understands_url_forms() {
        let dir = |url: &str| {
            config(&[("DATABASE_URL", url)])
                .expect("valid")
                .sqlite_dir()
        };
        assert_eq!(
            dir("sqlite://var/bc.db?mode=rwc"),
            Some(PathBuf::from("var"))
        );
        assert_eq!(dir("sqlite::memory:"), None);
        assert_eq!(dir("postgres://localhost/bc"), None);
    }
}
