//! The site simulator: what an observability site does to let a workspace be bound, for
//! development and tests (`server site bind-link`). It mints bind links and codes exactly as a
//! site does, with the site's current key, so the whole binding flow runs on one machine.
use super::proof::{self, Mint};
use super::site_keys;
use crate::server::db::Db;
use crate::time::MINUTE_MS;

/// How long the simulator's links and codes live.
pub const LIFETIME_MS: i64 = 30 * MINUTE_MS;

/// A bind link and a bind code for one workspace.
#[derive(Clone, Debug)]
pub struct Minted {
    pub link: String,
    pub token: String,
    pub code: String,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("site {0} has no live key: make one with `server site key {0}`")]
    NoKey(String),
    #[error("a workspace ID is 1 to 64 letters, digits, _ and -; a name 1 to 100 characters")]
    BadWorkspace,
}

/// The site's current key, made first if it has none (the simulator stands in for a site that
/// was given its key).
pub async fn ensure_key(
    db: &Db,
    server_secret: &str,
    site: &str,
    now: i64,
) -> Result<bool, SimulatorError> {
    let mut tx = db.begin_write().await?;
    if site_keys::current(&mut tx, server_secret, site, now).await?.is_some() {
        return Ok(true);
    }
    let made = site_keys::rotate(&mut tx, server_secret, site, now).await?.is_some();
    tx.commit().await?;
    Ok(made)
}

/// What the simulator mints: for `workspace_uuid` (called `name`) of `site`, links under
/// `origin`.
pub struct Request<'a> {
    pub server_secret: &'a str,
    pub origin: &'a str,
    pub site: &'a str,
    pub workspace_uuid: &'a str,
    pub name: &'a str,
    pub now: i64,
}

/// A bind link and code, as the site would mint them now.
pub async fn mint(db: &Db, request: &Request<'_>) -> Result<Minted, SimulatorError> {
    let Request {
        server_secret,
        origin,
        site,
        workspace_uuid,
        name,
        now,
    } = *request;
    if !proof::workspace_id_ok(workspace_uuid) || !proof::workspace_name_ok(name) {
        return Err(SimulatorError::BadWorkspace);
    }
    let mut conn = db.pool().acquire().await?;
    let (version, secret) = site_keys::current(&mut conn, server_secret, site, now)
        .await?
        .ok_or_else(|| SimulatorError::NoKey(site.to_string()))?;
    let expires_at = now + LIFETIME_MS;
    let token_nonce = crate::server::secrets::random_hex(16);
    let code_nonce = crate::server::secrets::random_hex(5);
    let mint = |nonce| Mint {
        site_code: site,
        version,
        secret: secret.as_bytes(),
        workspace_uuid,
        workspace_name: name,
        expires_at,
        nonce,
    };
    let token = proof::mint_token(&mint(&token_nonce));
    let code = proof::mint_code(&mint(&code_nonce)).ok_or(SimulatorError::BadWorkspace)?;
    Ok(Minted {
        link: format!(
            "{}/workspaces/bind?token={token}",
            origin.trim_end_matches('/')
        ),
        token,
        code,
        expires_at,
    })
}
