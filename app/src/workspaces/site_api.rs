//! The site API: what an observability site asks of the Billing Center about its workspaces.
//! Every request is signed with the site's key (`site_keys.rs`) and checked before its body is
//! read:
//!
//! - `X-BC-Site`: the site code; `X-BC-Key-Version`: the key's version;
//! - `X-BC-Timestamp`: Unix seconds, within five minutes of our clock;
//! - `X-BC-Signature`: hex HMAC-SHA256 of `<timestamp>.<path>.<body>` under the key.
//!
//! `POST /api/v1/site/workspaces` `{"workspace_id", "name"}` tells us of a workspace (or its new
//! name). `POST /api/v1/site/entitlement` `{"workspace_id"}` answers its state and whether it
//! may take in data. The README and `/api/openapi.json` describe both.
use super::model::{LockReason, WorkspaceState};
use super::proof;
use super::site_keys;
use super::store::{self, WorkspaceRow};
use crate::server::signing::{self, Refused};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

pub const SITE_HEADER: &str = "x-bc-site";
pub const VERSION_HEADER: &str = "x-bc-key-version";
pub const TIMESTAMP_HEADER: &str = "x-bc-timestamp";
pub const SIGNATURE_HEADER: &str = "x-bc-signature";
/// How far a request's timestamp may be from our clock.
pub const TOLERANCE_SECS: u64 = 300;
/// The largest body read.
pub const MAX_BODY: usize = 16 * 1024;

/// Why a site's request is refused; each is an HTTP status with a short English reason
/// (machines read these, people do not).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SiteApiError {
    #[error("missing or unreadable signature headers")]
    Unsigned,
    #[error("unknown site or key version, or a retired key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("timestamp too far from the server's clock")]
    Stale,
    #[error("malformed body: {0}")]
    Malformed(&'static str),
    #[error("no such workspace on this site")]
    UnknownWorkspace,
    #[error("database unavailable")]
    Database,
}

impl From<sqlx::Error> for SiteApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "site API");
        SiteApiError::Database
    }
}

impl SiteApiError {
    pub fn status(&self) -> u16 {
        match self {
            SiteApiError::Unsigned
            | SiteApiError::UnknownKey
            | SiteApiError::BadSignature
            | SiteApiError::Stale => 401,
            SiteApiError::Malformed(_) => 400,
            SiteApiError::UnknownWorkspace => 404,
            SiteApiError::Database => 503,
        }
    }
}

/// The signature headers of a request, as received.
pub struct Signed<'a> {
    pub site: &'a str,
    pub version: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> Signed<'a> {
    /// The signature headers as a request carries them (a missing one is empty).
    pub fn from_headers(headers: &'a axum::http::HeaderMap) -> Self {
        let header = |name: &str| -> &'a str { headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default() };
        Signed {
            site: header(SITE_HEADER),
            version: header(VERSION_HEADER),
            timestamp: header(TIMESTAMP_HEADER),
            signature: header(SIGNATURE_HEADER),
        }
    }
}

/// The site whose live key signed `path` and `body`; nothing of the body is read before.
pub async fn authenticate(
    state: &AppState,
    conn: &mut AnyConnection,
    signed: &Signed<'_>,
    path: &str,
    body: &[u8],
) -> Result<String, SiteApiError> {
    let site = signed.site.trim();
    let version: i64 = signed.version.trim().parse().map_err(|_| SiteApiError::Unsigned)?;
    if site.is_empty() || site.len() > 8 || signed.signature.is_empty() {
        return Err(SiteApiError::Unsigned);
    }
    let now = state.clock.now();
    let secret = site_keys::live(conn, state.site_key_secret.expose(), site, version, now)
        .await?
        .ok_or(SiteApiError::UnknownKey)?;
    signing::verify_timestamped_parts(
        secret.as_bytes(),
        signed.timestamp,
        signed.signature,
        &[path.as_bytes(), b".", body],
        now / 1000,
        TOLERANCE_SECS,
    )
    .map_err(|refused| match refused {
        Refused::BadSignature => SiteApiError::BadSignature,
        Refused::Stale => SiteApiError::Stale,
    })?;
    Ok(site.to_string())
}

/// Signs a request to the site API as a site does (the simulator and tests).
pub fn sign(secret: &str, timestamp: i64, path: &str, body: &[u8]) -> String {
    signing::sign_hex(
        secret.as_bytes(),
        &[timestamp.to_string().as_bytes(), b".", path.as_bytes(), b".", body],
    )
}

#[derive(Deserialize)]
struct WorkspaceBody {
    workspace_id: String,
    #[serde(default)]
    name: Option<String>,
}

fn workspace_body(body: &[u8], needs_name: bool) -> Result<(String, Option<String>), SiteApiError> {
    let parsed: WorkspaceBody =
        serde_json::from_slice(body).map_err(|_| SiteApiError::Malformed("expected JSON with workspace_id"))?;
    if !proof::workspace_id_ok(&parsed.workspace_id) {
        return Err(SiteApiError::Malformed("workspace_id: 1 to 64 letters, digits, _ and -"));
    }
    let name = parsed.name.map(|n| n.trim().to_string());
    if needs_name && !name.as_deref().is_some_and(proof::workspace_name_ok) {
        return Err(SiteApiError::Malformed("name: 1 to 100 characters"));
    }
    Ok((parsed.workspace_id, name))
}

/// What the Billing Center says of a workspace to its site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub workspace_id: String,
    pub site: String,
    /// Bound to a billing account.
    pub bound: bool,
    /// "normal", "in_arrears", "locked", or "unbound".
    pub state: String,
    /// Whether the site may take in the workspace's data.
    pub may_ingest: bool,
    pub settlement: Option<String>,
    pub lock_reason: Option<String>,
}

/// The workspace's entitlement now (its account's arrears decide In arrears).
pub async fn entitlement(
    conn: &mut AnyConnection,
    row: &WorkspaceRow,
) -> Result<Entitlement, sqlx::Error> {
    let state = match row.billing_account_id {
        None => None,
        Some(account) => {
            let (owes, _) = super::management::account_owes(conn, account).await?;
            Some(super::management::state_of(row, owes))
        }
    };
    Ok(Entitlement {
        workspace_id: row.workspace_uuid.clone(),
        site: row.site_code.clone(),
        bound: row.billing_account_id.is_some(),
        state: state.map(WorkspaceState::code).unwrap_or("unbound").to_string(),
        may_ingest: matches!(
            state,
            Some(WorkspaceState::Normal | WorkspaceState::InArrears)
        ),
        settlement: row
            .billing_account_id
            .map(|_| row.settlement.code().to_string()),
        lock_reason: row.lock_reason().map(|r: LockReason| r.code().to_string()),
    })
}

/// `POST /api/v1/site/entitlement`.
pub async fn answer_entitlement(
    state: &AppState,
    signed: &Signed<'_>,
    path: &str,
    body: &[u8],
) -> Result<Entitlement, SiteApiError> {
    let mut conn = state.db.pool().acquire().await?;
    let site = authenticate(state, &mut conn, signed, path, body).await?;
    let (uuid, _) = workspace_body(body, false)?;
    let row = store::workspace_at(&mut conn, &site, &uuid)
        .await?
        .ok_or(SiteApiError::UnknownWorkspace)?;
    Ok(entitlement(&mut conn, &row).await?)
}

/// `POST /api/v1/site/workspaces`: the site tells us of a workspace or its new name.
pub async fn register_workspace(
    state: &AppState,
    signed: &Signed<'_>,
    path: &str,
    body: &[u8],
) -> Result<Entitlement, SiteApiError> {
    // Checked on a read connection first: an unsigned request never waits for the write lock.
    let site = {
        let mut conn = state.db.pool().acquire().await?;
        authenticate(state, &mut conn, signed, path, body).await?
    };
    let (uuid, name) = workspace_body(body, true)?;
    let name = name.unwrap_or_default();
    let mut tx = state.db.begin_write().await?;
    let mut row = store::known_workspace(&mut tx, &site, &uuid, &name, state.clock.now()).await?;
    if row.name != name {
        store::rename_workspace(&mut tx, row.id, &name).await?;
        row.name = name;
    }
    let answer = entitlement(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::clock::Clock;
    use crate::server::testing::{db_test, state_for};

    const NOW: i64 = 1_796_000_000_000;

    async fn server(db: &crate::server::db::Db) -> (AppState, String) {
        let mut state = state_for(db).await;
        state.clock = Clock::fixed(NOW);
        let mut tx = db.begin_write().await.expect("tx");
        let (_, secret) = site_keys::rotate(&mut tx, state.site_key_secret.expose(), "CN1", NOW)
            .await
            .expect("db")
            .expect("site");
        site_keys::rotate(&mut tx, state.site_key_secret.expose(), "CN2", NOW)
            .await
            .expect("db");
        tx.commit().await.expect("commit");
        (state, secret)
    }

    fn headers<'a>(site: &'a str, timestamp: &'a str, signature: &'a str) -> Signed<'a> {
        Signed {
            site,
            version: "1",
            timestamp,
            signature,
        }
    }

    db_test!(a_site_registers_and_asks_with_signed_requests_only, |db| async move {
        let (state, secret) = server(&db).await;
        let ts = (NOW / 1000).to_string();
        let register = br#"{"workspace_id":"wksp_api","name":"API test"}"#;
        let path = "/api/v1/site/workspaces";
        let good = sign(&secret, NOW / 1000, path, register);
        let answer = register_workspace(&state, &headers("CN1", &ts, &good), path, register)
            .await
            .expect("registered");
        assert_eq!((answer.state.as_str(), answer.may_ingest, answer.bound), ("unbound", false, false));
        // The same signature for another path, another site, a changed body, an old time.
        let asked = "/api/v1/site/entitlement";
        assert_eq!(
            answer_entitlement(&state, &headers("CN1", &ts, &good), asked, register).await,
            Err(SiteApiError::BadSignature)
        );
        assert_eq!(
            register_workspace(&state, &headers("CN2", &ts, &good), path, register).await,
            Err(SiteApiError::BadSignature)
        );
        let changed = br#"{"workspace_id":"wksp_api","name":"Other"}"#;
        assert_eq!(
            register_workspace(&state, &headers("CN1", &ts, &good), path, changed).await,
            Err(SiteApiError::BadSignature)
        );
        let old = (NOW / 1000 - 301).to_string();
        let old_sig = sign(&secret, NOW / 1000 - 301, path, register);
        assert_eq!(
            register_workspace(&state, &headers("CN1", &old, &old_sig), path, register).await,
            Err(SiteApiError::Stale)
        );
        assert_eq!(
            register_workspace(&state, &headers("CN4", &ts, &good), path, register).await,
            Err(SiteApiError::UnknownKey)
        );
        assert_eq!(
            register_workspace(&state, &headers("", "", ""), path, register).await,
            Err(SiteApiError::Unsigned)
        );
        // Signed, but not a body we read.
        for bad in [&b"not json"[..], br#"{"workspace_id":"../x","name":"n"}"#, br#"{"workspace_id":"w"}"#] {
            let sig = sign(&secret, NOW / 1000, path, bad);
            assert!(matches!(
                register_workspace(&state, &headers("CN1", &ts, &sig), path, bad).await,
                Err(SiteApiError::Malformed(_))
            ));
        }
        // Entitlement of the site's own workspace; another site's is not found.
        let body = br#"{"workspace_id":"wksp_api"}"#;
        let sig = sign(&secret, NOW / 1000, asked, body);
        let answer = answer_entitlement(&state, &headers("CN1", &ts, &sig), asked, body)
            .await
            .expect("answered");
        assert_eq!(answer.workspace_id, "wksp_api");
        let cn2 = site_keys::derive(state.site_key_secret.expose(), "CN2", 1);
        let sig = sign(&cn2, NOW / 1000, asked, body);
        assert_eq!(
            answer_entitlement(&state, &headers("CN2", &ts, &sig), asked, body).await,
            Err(SiteApiError::UnknownWorkspace)
        );
        // The same ID at CN2 is CN2's own workspace.
        let sig = sign(&cn2, NOW / 1000, path, register);
        let theirs = register_workspace(&state, &headers("CN2", &ts, &sig), path, register)
            .await
            .expect("CN2's own");
        assert_eq!(theirs.site, "CN2");
        // Nothing changed by the refused ones.
        let mut conn = db.pool().acquire().await.expect("conn");
        let row = store::workspace_at(&mut conn, "CN1", "wksp_api").await.expect("db").expect("row");
        assert_eq!((row.name.as_str(), row.site_code.as_str()), ("API test", "CN1"));
    });
}
