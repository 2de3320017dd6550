//! Email over SMTP and text messages through the SMS provider's HTTP endpoint, sent after the
//! transaction that caused them: a message is first queued (a row in `outgoing_messages`,
//! written in the caller's transaction), then delivered once the transaction has committed, by
//! the request that queued it and, for whatever that could not send, by the scheduled timer of
//! any replica (claimed first, so one replica sends it; retried with a growing pause). No
//! network call ever happens while a database transaction is open.
//!
//! With the development outbox switched on (`BC_DEV_OUTBOX=1`), a message for a channel without
//! real delivery lands in the outbox table that the development outbox page lists; with it off,
//! such a message is refused when it is queued.
use super::db::{now_millis, Db};
use crate::config::{Config, SmsConfig, SmtpConfig, SmtpTls};
use crate::contact::Channel;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::Body;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// The header that carries the hex HMAC-SHA256 of the request body, keyed with `SMS_SECRET`.
pub const SMS_SIGNATURE_HEADER: &str = "X-Signature-SHA256";
/// How long a replica may take to send a message it claimed before another may try: well over
/// a whole SMTP conversation (15 s a command) or an SMS request (10 s), so a slow send is not
/// sent again by a second replica.
const CLAIM_MS: i64 = 5 * 60_000;
/// Attempts after which a message is given up (logged, kept for the record).
const MAX_ATTEMPTS: i64 = 8;

/// One message to one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A message written to the queue, to deliver after the transaction commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "deliver queued messages after the transaction commits"]
pub struct Queued(pub i64);

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
    dev_outbox: bool,
    http: reqwest::Client,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("smtp", &self.smtp.as_ref().map(|(c, _)| &c.host))
            .field("sms", &self.sms.as_ref().map(|c| &c.endpoint))
            .field("dev_outbox", &self.dev_outbox)
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
            dev_outbox: config.dev_outbox,
            http,
        })
    }

    /// Whether the development outbox is switched on (its page answers only then).
    pub fn outbox_enabled(&self) -> bool {
        self.dev_outbox
    }

    /// Whether a message on `channel` can go anywhere.
    fn check_channel(&self, channel: Channel) -> Result<(), DeliveryError> {
        match channel {
            _ if self.dev_outbox => Ok(()),
            Channel::Email if self.smtp.is_none() => Err(DeliveryError::EmailNotConfigured),
            Channel::Sms if self.sms.is_none() => Err(DeliveryError::SmsNotConfigured),
            _ => Ok(()),
        }
    }

    /// Queues `message` in the caller's transaction (it goes out only if that commits).
    /// Refused at once when its channel has nowhere to go.
    pub async fn queue(
        &self,
        conn: &mut AnyConnection,
        message: &Message,
    ) -> Result<Queued, DeliveryError> {
        self.check_channel(message.channel)?;
        let id: i64 = sqlx::query(
            "INSERT INTO outgoing_messages (channel, address, subject, body, created_at, attempts) \
             VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
        )
        .bind(message.channel.code())
        .bind(&message.to)
        .bind(&message.subject)
        .bind(&message.body)
        .bind(now_millis())
        .fetch_one(conn)
        .await?
        .try_get("id")?;
        Ok(Queued(id))
    }

    /// Delivers the queued messages `queued` (after their transaction committed). A message
    /// that fails stays queued for the timer; the first failure is returned.
    pub async fn deliver(&self, db: &Db, queued: &[Queued]) -> Result<(), DeliveryError> {
        let mut first_error = None;
        for Queued(id) in queued {
            if let Err(error) = self.deliver_one(db, *id).await {
                tracing::warn!(%error, message = id, "message not delivered yet; will retry");
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Delivers what is due in the queue (the timer's part). Returns how many went out.
    pub async fn deliver_due(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let now = now_millis();
        let due: Vec<i64> = sqlx::query(
            "SELECT id FROM outgoing_messages WHERE sent_at IS NULL AND failed_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT 100",
        )
        .bind(now)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        let mut sent = 0;
        for id in due {
            match self.deliver_one(db, id).await {
                Ok(()) => sent += 1,
                Err(DeliveryError::Outbox(error)) => return Err(error),
                Err(error) => tracing::warn!(%error, message = id, "message not delivered yet"),
            }
        }
        Ok(sent)
    }

    /// Claims message `id`, sends it and marks it sent; on failure releases it for a later try
    /// (or gives it up after `MAX_ATTEMPTS`). A message another replica holds is left alone. No
    /// database connection is held while the message travels.
    async fn deliver_one(&self, db: &Db, id: i64) -> Result<(), DeliveryError> {
        let now = now_millis();
        let (message, attempts) = {
            let mut conn = db.pool().acquire().await?;
            let claimed = sqlx::query(
                "UPDATE outgoing_messages SET claimed_until = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL \
                 AND (claimed_until IS NULL OR claimed_until < $3)",
            )
            .bind(now + CLAIM_MS)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if claimed.rows_affected() != 1 {
                return Ok(());
            }
            let row = sqlx::query(
                "SELECT channel, address, subject, body, attempts FROM outgoing_messages WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            let channel: String = row.try_get("channel")?;
            let message = Message {
                channel: channel.parse().unwrap_or(Channel::Email),
                to: row.try_get("address")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
            };
            (message, row.try_get::<i64, _>("attempts")?)
        };
        let sent = match self.send_real(&message).await {
            Some(sent) => sent,
            None => {
                let mut conn = db.pool().acquire().await?;
                self.transmit(&mut conn, &message).await
            }
        };
        let mut conn = db.pool().acquire().await?;
        match sent {
            Ok(()) => {
                // The text (a verification code, perhaps) is kept only until it is sent:
                // codes are otherwise stored only as a hash.
                sqlx::query(
                    "UPDATE outgoing_messages SET sent_at = $1, last_error = NULL, body = '' WHERE id = $2",
                )
                .bind(now_millis())
                .bind(id)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
            Err(error) => {
                // 30 s, 1, 2, 4 ... minutes between attempts.
                let pause = 30_000 * (1_i64 << attempts.clamp(0, 10));
                let gave_up = (attempts >= MAX_ATTEMPTS).then_some(now);
                if gave_up.is_some() {
                    tracing::error!(%error, message = id, "message given up after {attempts} attempts");
                }
                sqlx::query(
                    "UPDATE outgoing_messages SET claimed_until = $1, failed_at = $2, last_error = $3, \
                     body = CASE WHEN $2 IS NULL THEN body ELSE '' END WHERE id = $4",
                )
                .bind(now + pause)
                .bind(gave_up)
                .bind(error.to_string())
                .bind(id)
                .execute(&mut *conn)
                .await?;
                Err(error)
            }
        }
    }

    /// Sends `message` over SMTP or to the SMS provider when its channel has real delivery;
    /// `None` when it has not (the development outbox or nothing).
    async fn send_real(&self, message: &Message) -> Option<Result<(), DeliveryError>> {
        match (message.channel, &self.smtp, &self.sms) {
            (Channel::Email, Some((config, transport)), _) => {
                Some(send_email(config, transport, message).await)
            }
            (Channel::Sms, _, Some(config)) => Some(send_sms(&self.http, config, message).await),
            _ => None,
        }
    }

    /// Sends `message` now: over SMTP or to the SMS provider where configured, else to the
    /// development outbox (through `conn`, outside any transaction) when that is on.
    pub async fn transmit(
        &self,
        conn: &mut AnyConnection,
        message: &Message,
    ) -> Result<(), DeliveryError> {
        if let Some(sent) = self.send_real(message).await {
            return sent;
        }
        match message.channel {
            _ if self.dev_outbox => write_outbox(conn, message).await,
            Channel::Email => Err(DeliveryError::EmailNotConfigured),
            Channel::Sms => Err(DeliveryError::SmsNotConfigured),
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
        (Some(user), Some(password)) => builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        )),
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
        .body(email_body(&message.body))
        .map_err(|e| smtp_error(&e))?;
    transport.send(email).await.map_err(|e| smtp_error(&e))?;
    Ok(())
}

/// The body as plain 8-bit UTF-8 (every mail server today takes 8BITMIME), so codes stay
/// readable in the raw message; lettre's own choice (base64 for text with much Chinese) where a
/// line is too long for 8-bit.
fn email_body(text: &str) -> Body {
    Body::new_with_encoding(text.to_string(), ContentTransferEncoding::EightBit)
        .unwrap_or_else(Body::new)
}

/// The hex HMAC-SHA256 of `body` under `secret`, as sent in [`SMS_SIGNATURE_HEADER`].
pub fn sign(secret: &str, body: &[u8]) -> String {
    super::signing::sign_hex(secret.as_bytes(), &[body])
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
        .header(SMS_SIGNATURE_HEADER, sign(config.secret.expose(), &body))
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
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::sync::mpsc;

    /// A minimal SMTP server on a free local port: accepts every message and passes its raw
    /// DATA on the returned channel.
    pub async fn fake_smtp() -> (u16, mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 fake ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                let _ = sender.send(data.take().unwrap_or_default());
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.to_ascii_uppercase();
                        let reply: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
                            b"250-fake\r\n250 8BITMIME\r\n"
                        } else if verb.starts_with("DATA") {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        } else if verb.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        (port, receiver)
    }

    fn config_with(vars: &[(&str, String)]) -> Config {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned()).expect("valid configuration")
    }

    pub fn smtp_config(port: u16) -> Config {
        config_with(&[
            ("SMTP_HOST", "127.0.0.1".to_string()),
            ("SMTP_PORT", port.to_string()),
            ("SMTP_TLS", "none".to_string()),
            ("SMTP_FROM", "billing@example.com".to_string()),
        ])
    }

    fn message(channel: Channel, to: &str) -> Message {
        Message {
            channel,
            to: to.to_string(),
            subject: "Billing Center verification code / 验证码".to_string(),
            body: "Your code is 123456. 您的验证码为 123456。".to_string(),
        }
    }

    async fn scratch_connection() -> (std::path::PathBuf, AnyConnection) {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let dir = std::env::temp_dir().join(format!(
            "bc_delivery_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("x.db").display());
        (dir, AnyConnection::connect(&url).await.expect("sqlite"))
    }

    #[tokio::test]
    async fn email_goes_over_smtp() {
        let (port, mut received) = fake_smtp().await;
        let delivery = Delivery::from_config(&smtp_config(port)).expect("smtp");
        assert!(!delivery.outbox_enabled());
        let (dir, mut conn) = scratch_connection().await;
        delivery
            .transmit(&mut conn, &message(Channel::Email, "cfo@acme.example"))
            .await
            .expect("sent");
        let data = received.recv().await.expect("a message arrived");
        assert!(data.contains("To: cfo@acme.example"), "{data}");
        assert!(data.contains("From: billing@example.com"), "{data}");
        assert!(data.contains("Your code is 123456."), "{data}");
        // SMS is not configured: refused, not silently dropped.
        let refused = delivery
            .transmit(&mut conn, &message(Channel::Sms, "+8613800138000"))
            .await;
        assert!(matches!(refused, Err(DeliveryError::SmsNotConfigured)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_unreachable_mail_server_is_an_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let delivery = Delivery::from_config(&smtp_config(port)).expect("smtp");
        let (dir, mut conn) = scratch_connection().await;
        let failed = delivery
            .transmit(&mut conn, &message(Channel::Email, "cfo@acme.example"))
            .await;
        assert!(matches!(failed, Err(DeliveryError::Smtp(_))));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A local HTTP listener posing as the SMS provider: answers `status` and passes on
    /// (body, signature header) of every request.
    pub async fn fake_sms_provider(
        status: u16,
    ) -> (String, mpsc::UnboundedReceiver<(String, String)>) {
        use axum::{body::Bytes, http::HeaderMap, routing::post, Router};
        let (sender, receiver) = mpsc::unbounded_channel();
        let app = Router::new().route(
            "/sms",
            post(move |headers: HeaderMap, body: Bytes| {
                let sender = sender.clone();
                async move {
                    let signature = headers
                        .get(SMS_SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let _ = sender.send((String::from_utf8_lossy(&body).into_owned(), signature));
                    axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}/sms", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (endpoint, receiver)
    }

    #[tokio::test]
    async fn sms_is_a_signed_json_post() {
        let (endpoint, mut received) = fake_sms_provider(200).await;
        let secret = "sms provider secret".to_string();
        let delivery = Delivery::from_config(&config_with(&[
            ("SMS_ENDPOINT", endpoint),
            ("SMS_SECRET", secret.clone()),
        ]))
        .expect("sms");
        let (dir, mut conn) = scratch_connection().await;
        delivery
            .transmit(&mut conn, &message(Channel::Sms, "+8613800138000"))
            .await
            .expect("sent");
        let (body, signature) = received.recv().await.expect("a request arrived");
        assert_eq!(signature, sign(&secret, body.as_bytes()));
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(json["to"], "+8613800138000");
        assert!(json["text"].as_str().is_some_and(|t| t.contains("123456")));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_refusing_sms_provider_is_an_error() {
        let (endpoint, _received) = fake_sms_provider(500).await;
        let delivery = Delivery::from_config(&config_with(&[
            ("SMS_ENDPOINT", endpoint),
            ("SMS_SECRET", "sms provider secret".to_string()),
        ]))
        .expect("sms");
        let (dir, mut conn) = scratch_connection().await;
        let failed = delivery
            .transmit(&mut conn, &message(Channel::Sms, "+8613800138000"))
            .await;
        assert!(matches!(failed, Err(DeliveryError::Sms(_))));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
