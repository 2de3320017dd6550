//! A site's proof that one of its workspaces may be bound: a **bind token** (carried by a bind
//! link) or a **bind code** (typed beside the workspace ID). Both name the site and its key
//! version in clear at the front, so the key is chosen before anything else is read; nothing
//! else is decoded until the HMAC under that key holds. Both carry an expiry (at most
//! [`MAX_LIFETIME_MS`] ahead) and a nonce that binds once.
//!
//! Token: `SITE.VERSION.PAYLOAD.SIGNATURE`, PAYLOAD the base64url JSON
//! `{"workspace_id", "workspace_name", "exp" (Unix seconds), "nonce"}`, SIGNATURE the base64url
//! HMAC-SHA256 of `bind-token.SITE.VERSION.PAYLOAD`.
//!
//! Code: `SITE-XXXX-XXXX-...`, base32 of version (1 byte), expiry (Unix minutes, 4 bytes),
//! nonce (5 bytes) and the first 8 bytes of the HMAC-SHA256 of
//! `bind-code|SITE|VERSION|WORKSPACE_ID|EXPIRY_MINUTES|NONCE_HEX`; the workspace ID is what the
//! user types beside it, so a code binds that workspace only.
use crate::server::signing;
use crate::time::{HOUR_MS, MINUTE_MS};
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use serde::{Deserialize, Serialize};

/// How far ahead a token or code may expire: a site cannot mint a proof that lives long.
pub const MAX_LIFETIME_MS: i64 = HOUR_MS;
/// The longest token read at all.
const MAX_TOKEN_LEN: usize = 2048;
/// The longest workspace ID and name a site may give.
pub const MAX_WORKSPACE_ID_LEN: usize = 64;
pub const MAX_WORKSPACE_NAME_LEN: usize = 100;

/// Why a proof is not believed. Each is the user's to read, and none says more than needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// Not the shape of a token or code.
    Malformed,
    /// The site or key version is not one we know (or the key is retired).
    UnknownKey,
    BadSignature,
    Expired,
    /// Expires further ahead than a site may allow.
    TooLong,
}

/// What a verified proof says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub site_code: String,
    pub workspace_uuid: String,
    /// Empty for a code (the site did not send it).
    pub workspace_name: String,
    pub expires_at: i64,
    pub nonce: String,
}

/// The site and key version a token or code names, read before any key is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyName {
    pub site_code: String,
    pub version: i64,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    workspace_id: String,
    workspace_name: String,
    exp: i64,
    nonce: String,
}

fn site_code_ok(code: &str) -> bool {
    (2..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A workspace ID as a site may give it: 1 to 64 letters, digits, `_` and `-`.
pub fn workspace_id_ok(id: &str) -> bool {
    (1..=MAX_WORKSPACE_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A workspace name as a site may give it: 1 to 100 characters, none of them control
/// characters.
pub fn workspace_name_ok(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= MAX_WORKSPACE_NAME_LEN
        && !crate::text::has_control_characters(name)
}

fn times_ok(expires_at: i64, now: i64) -> Result<(), ProofError> {
    if expires_at <= now {
        return Err(ProofError::Expired);
    }
    if expires_at - now > MAX_LIFETIME_MS {
        return Err(ProofError::TooLong);
    }
    Ok(())
}

/// The key a token names; `Malformed` when it is not the shape of one.
pub fn token_key(token: &str) -> Result<KeyName, ProofError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(ProofError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(site), Some(version), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed);
    };
    key_name(site, version)
}

fn key_name(site: &str, version: &str) -> Result<KeyName, ProofError> {
    let version: i64 = match version.parse() {
        Ok(v) if (1..=255).contains(&v) && !version.starts_with('0') => v,
        _ => return Err(ProofError::Malformed),
    };
    if !site_code_ok(site) {
        return Err(ProofError::Malformed);
    }
    Ok(KeyName {
        site_code: site.to_string(),
        version,
    })
}

/// Checks a token with the key its front names (`secret`), then reads it.
pub fn verify_token(token: &str, secret: &[u8], now: i64) -> Result<Claims, ProofError> {
    let key = token_key(token)?;
    let token = token.trim();
    let (signed, signature) = token.rsplit_once('.').ok_or(ProofError::Malformed)?;
    let signature = BASE64URL_NOPAD
        .decode(signature.as_bytes())
        .map_err(|_| ProofError::Malformed)?;
    // The whole HMAC, not a prefix of it.
    if signature.len() != 32
        || !signing::verify_truncated(secret, &[b"bind-token.", signed.as_bytes()], &signature)
    {
        return Err(ProofError::BadSignature);
    }
    let payload = signed.rsplit('.').next().ok_or(ProofError::Malformed)?;
    let payload: Payload = BASE64URL_NOPAD
        .decode(payload.as_bytes())
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(ProofError::Malformed)?;
    if !workspace_id_ok(&payload.workspace_id)
        || !workspace_name_ok(&payload.workspace_name)
        || !nonce_ok(&payload.nonce)
    {
        return Err(ProofError::Malformed);
    }
    let expires_at = payload.exp.checked_mul(1000).ok_or(ProofError::Malformed)?;
    times_ok(expires_at, now)?;
    Ok(Claims {
        site_code: key.site_code,
        workspace_uuid: payload.workspace_id,
        workspace_name: payload.workspace_name.trim().to_string(),
        expires_at,
        nonce: payload.nonce,
    })
}

fn nonce_ok(nonce: &str) -> bool {
    (8..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a site signs into a token (the simulator and tests mint with it, as a site does).
#[derive(Clone, Debug)]
pub struct Mint<'a> {
    pub site_code: &'a str,
    pub version: i64,
    pub secret: &'a [u8],
    pub workspace_uuid: &'a str,
    pub workspace_name: &'a str,
    pub expires_at: i64,
    pub nonce: &'a str,
}

/// A bind token, signed as a site signs it.
pub fn mint_token(mint: &Mint<'_>) -> String {
    let payload = serde_json::to_vec(&Payload {
        workspace_id: mint.workspace_uuid.to_string(),
        workspace_name: mint.workspace_name.to_string(),
        exp: mint.expires_at / 1000,
        nonce: mint.nonce.to_string(),
    })
    .unwrap_or_default();
    let signed = format!(
        "{}.{}.{}",
        mint.site_code,
        mint.version,
        BASE64URL_NOPAD.encode(&payload)
    );
    let signature = signing::mac(mint.secret, &[b"bind-token.", signed.as_bytes()]);
    format!("{signed}.{}", BASE64URL_NOPAD.encode(&signature))
}

const CODE_BYTES: usize = 1 + 4 + 5 + 8;

fn code_parts<'a>(
    site: &'a str,
    version: &'a str,
    workspace: &'a str,
    minutes: &'a str,
    nonce: &'a str,
) -> [&'a [u8]; 10] {
    [
        b"bind-code|",
        site.as_bytes(),
        b"|",
        version.as_bytes(),
        b"|",
        workspace.as_bytes(),
        b"|",
        minutes.as_bytes(),
        b"|",
        nonce.as_bytes(),
    ]
}

/// The key a bind code names; `Malformed` when it is not the shape of one. Dashes, spaces and
/// case are forgiven, as people copy codes.
pub fn code_key(code: &str) -> Result<(KeyName, [u8; CODE_BYTES]), ProofError> {
    let code = code.trim();
    if code.len() > 80 {
        return Err(ProofError::Malformed);
    }
    let (site, rest) = code.split_once('-').ok_or(ProofError::Malformed)?;
    let site = site.trim().to_ascii_uppercase();
    let body: String = rest
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = BASE32_NOPAD
        .decode(body.as_bytes())
        .map_err(|_| ProofError::Malformed)?;
    let bytes: [u8; CODE_BYTES] = bytes.try_into().map_err(|_| ProofError::Malformed)?;
    let key = key_name(&site, &bytes[0].to_string())?;
    Ok((key, bytes))
}

/// Checks a bind code for `workspace_uuid` with the key its front names, then reads it.
pub fn verify_code(
    code: &str,
    workspace_uuid: &str,
    secret: &[u8],
    now: i64,
) -> Result<Claims, ProofError> {
    let (key, bytes) = code_key(code)?;
    let workspace_uuid = workspace_uuid.trim();
    if !workspace_id_ok(workspace_uuid) {
        return Err(ProofError::Malformed);
    }
    let minutes = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let nonce = hex::encode(&bytes[5..10]);
    let (version, minutes_text) = (key.version.to_string(), minutes.to_string());
    let parts = code_parts(
        &key.site_code,
        &version,
        workspace_uuid,
        &minutes_text,
        &nonce,
    );
    if !signing::verify_truncated(secret, &parts, &bytes[10..]) {
        return Err(ProofError::BadSignature);
    }
    let expires_at = i64::from(minutes) * MINUTE_MS;
    times_ok(expires_at, now)?;
    Ok(Claims {
        site_code: key.site_code,
        workspace_uuid: workspace_uuid.to_string(),
        workspace_name: String::new(),
        expires_at,
        nonce,
    })
}

/// A bind code for the workspace of `mint` (its name is not part of a code), signed as a site
/// signs it. `mint.nonce` must be 10 hexadecimal digits.
pub fn mint_code(mint: &Mint<'_>) -> Option<String> {
    let version = u8::try_from(mint.version).ok()?;
    let minutes = u32::try_from(mint.expires_at / MINUTE_MS).ok()?;
    let nonce = hex::decode(mint.nonce).ok().filter(|n| n.len() == 5)?;
    let (version_text, minutes_text) = (mint.version.to_string(), minutes.to_string());
    let parts = code_parts(
        mint.site_code,
        &version_text,
        mint.workspace_uuid,
        &minutes_text,
        mint.nonce,
    );
    let mac = signing::mac(mint.secret, &parts);
    let mut bytes = vec![version];
    bytes.extend_from_slice(&minutes.to_be_bytes());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&mac[..8]);
    let body = BASE32_NOPAD.encode(&bytes);
    let groups: Vec<&str> = body
        .as_bytes()
        .chunks(4)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    Some(format!("{}-{}", mint.site_code, groups.join("-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000_000;

    fn mint<'a>(secret: &'a [u8], expires_at: i64) -> Mint<'a> {
        Mint {
            site_code: "CN1",
            version: 1,
            secret,
            workspace_uuid: "wksp_prod_01",
            workspace_name: "Production",
            expires_at,
            nonce: "0a1b2c3d4e",
        }
    }

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let token = mint_token(&mint(b"site secret", NOW + 30 * MINUTE_MS));
        assert_eq!(
            token_key(&token),
            Ok(KeyName {
                site_code: "CN1".into(),
                version: 1
            })
        );
        let claims = verify_token(&token, b"site secret", NOW).expect("valid");
        assert_eq!(claims.workspace_uuid, "wksp_prod_01");
        assert_eq!(claims.workspace_name, "Production");
        assert_eq!(claims.expires_at, (NOW + 30 * MINUTE_MS) / 1000 * 1000);
        assert_eq!(
            verify_token(&token, b"another secret", NOW),
            Err(ProofError::BadSignature)
        );
    }

    #[test]
    fn a_changed_token_is_refused_before_it_is_read() {
        let token = mint_token(&mint(b"s", NOW + MINUTE_MS));
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        // Another site in front, the same signature.
        let other_site = format!("CN2.{}.{}.{}", parts[1], parts[2], parts[3]);
        assert_eq!(verify_token(&other_site, b"s", NOW), Err(ProofError::BadSignature));
        // Another payload.
        parts[2] = BASE64URL_NOPAD.encode(br#"{"workspace_id":"x","workspace_name":"x","exp":9999999999,"nonce":"0a1b2c3d"}"#);
        assert_eq!(verify_token(&parts.join("."), b"s", NOW), Err(ProofError::BadSignature));
        for bad in ["", "a.b.c", "CN1.1.x.y.z", "cn1.1.x.y", "CN1.01.x.y", "CN1.0.x.y", "CN1.1.x.!!"] {
            assert!(verify_token(bad, b"s", NOW).is_err(), "{bad}");
        }
        assert_eq!(verify_token(&"A".repeat(5000), b"s", NOW), Err(ProofError::Malformed));
    }

    #[test]
    fn expiry_is_checked_and_bounded() {
        let late = mint_token(&mint(b"s", NOW - 1000));
        assert_eq!(verify_token(&late, b"s", NOW), Err(ProofError::Expired));
        let long = mint_token(&mint(b"s", NOW + 2 * HOUR_MS));
        assert_eq!(verify_token(&long, b"s", NOW), Err(ProofError::TooLong));
        let huge = mint_token(&mint(b"s", i64::MAX));
        assert!(verify_token(&huge, b"s", NOW).is_err());
    }

    #[test]
    fn a_signed_payload_with_bad_fields_is_refused() {
        let mut m = mint(b"s", NOW + MINUTE_MS);
        m.workspace_name = "Bad\u{0}name";
        assert_eq!(verify_token(&mint_token(&m), b"s", NOW), Err(ProofError::Malformed));
        let mut m = mint(b"s", NOW + MINUTE_MS);
        m.workspace_uuid = "../../etc";
        assert_eq!(verify_token(&mint_token(&m), b"s", NOW), Err(ProofError::Malformed));
    }

    #[test]
    fn a_code_binds_the_workspace_it_was_made_for() {
        let code = mint_code(&mint(b"site secret", NOW + 30 * MINUTE_MS)).expect("code");
        assert!(code.starts_with("CN1-"), "{code}");
        let claims = verify_code(&code, "wksp_prod_01", b"site secret", NOW).expect("valid");
        assert_eq!(claims.nonce, "0a1b2c3d4e");
        assert_eq!(claims.site_code, "CN1");
        // As a person may type it.
        let typed = code.to_lowercase().replace('-', " ").replacen(' ', "-", 1);
        assert!(verify_code(&typed, " wksp_prod_01 ", b"site secret", NOW).is_ok());
        assert_eq!(
            verify_code(&code, "wksp_other", b"site secret", NOW),
            Err(ProofError::BadSignature)
        );
        assert_eq!(
            verify_code(&code, "wksp_prod_01", b"site secret", NOW + HOUR_MS),
            Err(ProofError::Expired)
        );
        for bad in ["", "CN1", "CN1-", "CN1-AAAA", "-AAAA", &format!("{code}AAAA")] {
            assert!(verify_code(bad, "wksp_prod_01", b"site secret", NOW).is_err(), "{bad}");
        }
    }
}
