//! Each site's signing key. A site signs its bind proofs and requests with HMAC-SHA256 under
//! its key; the key is derived from one server secret, the site and the key's version, so no
//! site's secret is stored anywhere and it is shown once, by `server site key <SITE>`, to be
//! put in the site's configuration. With `BC_SITE_KEY_SECRET` configured, a copy of the
//! database holds versions only, no way to the keys. A new
//! version retires the ones before it after [`OVERLAP_MS`], so a site can switch without a
//! moment when neither key works.
use super::store;
use crate::server::signing;
use crate::time::DAY_MS;
use sqlx::AnyConnection;

/// The server secret (in `server_secrets`) the site keys are derived from.
pub const SECRET_NAME: &str = "site_key_master";
/// How long the key before a new one still works.
pub const OVERLAP_MS: i64 = DAY_MS;

/// What the site keys are derived from: `BC_SITE_KEY_SECRET` when configured (then a copy of
/// the database holds no key), else the server's own secret kept in the database.
pub async fn server_secret(
    db: &crate::server::db::Db,
    config: &crate::config::Config,
) -> Result<String, sqlx::Error> {
    match &config.site_key_secret {
        Some(secret) => Ok(secret.expose().to_string()),
        None => crate::server::secrets::get_or_create(db, SECRET_NAME).await,
    }
}

/// The secret of `version` of the site's key.
pub fn derive(server_secret: &str, site: &str, version: i64) -> String {
    signing::sign_hex(
        server_secret.as_bytes(),
        &[
            b"site-key|",
            site.as_bytes(),
            b"|",
            version.to_string().as_bytes(),
        ],
    )
}

/// The site's key of `version` if it is live at `now`; `None` for an unknown site, version or
/// a retired key.
pub async fn live(
    conn: &mut AnyConnection,
    server_secret: &str,
    site: &str,
    version: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    Ok(store::key_is_live(conn, site, version, now)
        .await?
        .then(|| derive(server_secret, site, version)))
}

/// The site's newest live key and its version.
pub async fn current(
    conn: &mut AnyConnection,
    server_secret: &str,
    site: &str,
    now: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    Ok(store::current_key(conn, site, now)
        .await?
        .map(|version| (version, derive(server_secret, site, version))))
}

/// The most versions a site's key may have: a bind code carries its version in one byte.
pub const MAX_VERSION: i64 = 255;

/// Makes a new key version for the site (the one before it keeps working for a day) and
/// returns it with its secret; `None` for a site that does not exist or has used up its
/// [`MAX_VERSION`] versions.
pub async fn rotate(
    conn: &mut AnyConnection,
    server_secret: &str,
    site: &str,
    now: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    if store::site(conn, site).await?.is_none() {
        return Ok(None);
    }
    if store::current_key(conn, site, i64::MIN).await?.unwrap_or(0) >= MAX_VERSION {
        return Ok(None);
    }
    let version = store::new_key(conn, site, now, now + OVERLAP_MS).await?;
    Ok(Some((version, derive(server_secret, site, version))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    #[test]
    fn keys_differ_by_site_version_and_secret() {
        let a = derive("s", "CN1", 1);
        assert_eq!(a.len(), 64);
        assert_ne!(a, derive("s", "CN1", 2));
        assert_ne!(a, derive("s", "CN2", 1));
        assert_ne!(a, derive("t", "CN1", 1));
        assert_eq!(a, derive("s", "CN1", 1));
    }

    db_test!(a_new_key_retires_the_old_after_the_overlap, |db| async move {
        let mut tx = db.begin_write().await.expect("tx");
        let now = 1_796_000_000_000;
        assert_eq!(live(&mut tx, "s", "CN1", 1, now).await.expect("db"), None);
        assert_eq!(rotate(&mut tx, "s", "XX9", now).await.expect("db"), None);
        let (first, key) = rotate(&mut tx, "s", "CN1", now).await.expect("db").expect("site");
        assert_eq!((first, key.clone()), (1, derive("s", "CN1", 1)));
        assert_eq!(
            live(&mut tx, "s", "CN1", 1, now).await.expect("db"),
            Some(key.clone())
        );
        let (second, _) = rotate(&mut tx, "s", "CN1", now + 10).await.expect("db").expect("site");
        assert_eq!(second, 2);
        // Both work during the overlap; then only the new one.
        assert!(live(&mut tx, "s", "CN1", 1, now + 20).await.expect("db").is_some());
        assert_eq!(
            current(&mut tx, "s", "CN1", now + 20).await.expect("db").map(|k| k.0),
            Some(2)
        );
        let later = now + 10 + OVERLAP_MS + 1;
        assert_eq!(live(&mut tx, "s", "CN1", 1, later).await.expect("db"), None);
        assert!(live(&mut tx, "s", "CN1", 2, later).await.expect("db").is_some());
        // Another site's keys are its own.
        assert_eq!(live(&mut tx, "s", "CN2", 2, later).await.expect("db"), None);
        tx.commit().await.expect("commit");
    });
}
