//! Sends email over SMTP and text messages through the SMS provider's HTTP endpoint; or, when
//! neither is configured (development and demo), keeps them in the outbox table that the
//! development outbox page lists. The outbox is off as soon as any real delivery is configured.
use super::config::{Config, SmsConfig, SmtpConfig, SmtpTls};
use crate::verification::Channel;
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sha2::Sha256;
use sqlx::AnyConnection;
use std::time::Duration;

/// The header that carries the hex HMAC-SHA256 of the request body, keyed with `SMS_SECRET`.
pub const SMS_SIGNATURE_HEADER: &str = "X-Signature-SHA256";

/// One message to one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("sending email is not configured")]
    EmailNotConfigured,
    #[error("sending text messages is not configured")]
    SmsNotConfigured,
    #[error("the mail server refused or could not be reached: {0}")]
    Smtp(String),
    #[error("the SMS provider refused or could not be reached: {0}")]
    Sms(String),
    #[error("outbox: {0}")]
    Outbox(#[from] sqlx::Error),
}

pub struct Delivery {
    smtp: Option<(SmtpConfig, AsyncSmtpTransport<Tokio1Executor>)>,
    sms: Option<SmsConfig>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("smtp", &self.smtp.as_ref().map(|(c, _)| &c.host))
            .field("sms", &self.sms.as_ref().map(|c| &c.endpoint))
            .finish()
    }
}

impl Delivery {
    pub fn from_config(config: &Config) -> Result<Self, DeliveryError> {
        let smtp = match &config.smtp {
            None => None,
            Some(smtp) => Some((smtp.clone(), smtp_transport(smtp)?)),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| DeliveryError::Sms(e.to_string()))?;
        Ok(Self {
            smtp,
            sms: config.sms.clone(),
            http,
        })
    }

    /// Whether messages go to the development outbox instead of leaving the machine.
    pub fn uses_outbox(&self) -> bool {
        self.smtp.is_none() && self.sms.is_none()
    }

    /// Sends `message`, or writes it to the outbox through `conn` (the caller's transaction, so
    /// the outbox entry and what caused it commit together or not at all).
    pub async fn send(
        &self,
        conn: &mut AnyConnection,
        message: &Message,
    ) -> Result<(), DeliveryError> {
        if self.uses_outbox() {
            return write_outbox(conn, message).await;
        }
        match message.channel {
            Channel::Email => {
                let (config, transport) = self
                    .smtp
                    .as_ref()
                    .ok_or(DeliveryError::EmailNotConfigured)?;
                send_email(config, transport, message).await
            }
            Channel::Sms => {
                let config = self.sms.as_ref().ok_or(DeliveryError::SmsNotConfigured)?;
                send_sms(&self.http, config, message).await
            }
        }
    }
}

fn smtp_transport(
    config: &SmtpConfig,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let builder = match config.tls {
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host),
        SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &config.host,
        )),
    }
    .map_err(|e| DeliveryError::Smtp(e.to_string()))?;
    let builder = builder
        .port(config.port)
        .timeout(Some(Duration::from_secs(15)));
    let builder = match (&config.username, &config.password) {
        (Some(user), Some(password)) => {
            builder.credentials(Credentials::new(user.clone(), password.clone()))
        }
        _ => builder,
    };
    Ok(builder.build())
}

async fn send_email(
    config: &SmtpConfig,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    message: &Message,
) -> Result<(), DeliveryError> {
    let smtp_error = |e: &dyn std::fmt::Display| DeliveryError::Smtp(e.to_string());
    let email = lettre::Message::builder()
        .from(config.from.parse().map_err(|e| smtp_error(&e))?)
        .to(message.to.parse().map_err(|e| smtp_error(&e))?)
        .subject(&message.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| smtp_error(&e))?;
    transport.send(email).await.map_err(|e| smtp_error(&e))?;
    Ok(())
}

/// The hex HMAC-SHA256 of `body` under `secret`, as sent in [`SMS_SIGNATURE_HEADER`].
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn send_sms(
    http: &reqwest::Client,
    config: &SmsConfig,
    message: &Message,
) -> Result<(), DeliveryError> {
    let body = serde_json::to_vec(&serde_json::json!({ "to": message.to, "text": message.body }))
        .map_err(|e| DeliveryError::Sms(e.to_string()))?;
    let response = http
        .post(&config.endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SMS_SIGNATURE_HEADER, sign(&config.secret, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| DeliveryError::Sms(e.to_string()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Sms(format!("status {}", response.status())))
    }
}

async fn write_outbox(conn: &mut AnyConnection, message: &Message) -> Result<(), DeliveryError> {
    sqlx::query(
        "INSERT INTO outbox_messages (channel, address, subject, body, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(message.channel.code())
    .bind(&message.to)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(super::db::now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
