//! HMAC-SHA256, the one way this server signs and checks: payment-provider callbacks, the SMS
//! provider's requests, verification-code hashes and voucher activation codes, and next the
//! sites' and marketplaces' requests. A message is a list of parts, hashed in order with
//! nothing between them (callers put their own separators in), so a timestamped request is
//! `[timestamp, ".", body]`.
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The raw HMAC-SHA256 of `parts` under `secret`.
pub fn mac(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    keyed(secret, parts).finalize().into_bytes().to_vec()
}

/// The raw HMAC-SHA1 of `message` under `secret`: only where an outside party's protocol
/// asks for it (Alibaba Cloud's OpenAPI).
pub fn mac_sha1(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The hex HMAC-SHA256 of `parts` under `secret`.
pub fn sign_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(mac(secret, parts))
}

/// Whether `signature` (hex, case and surrounding space forgiven) is the HMAC of `parts` under
/// `secret`, compared in constant time.
pub fn verify_hex(secret: &[u8], parts: &[&[u8]], signature: &str) -> bool {
    hex::decode(signature.trim())
        .is_ok_and(|signature| keyed(secret, parts).verify_slice(&signature).is_ok())
}

/// Whether `tag` is the first `tag.len()` bytes (at least 8) of the HMAC of `parts` under
/// `secret`, compared in constant time: for codes a person types, where the whole MAC is too
/// long.
pub fn verify_truncated(secret: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    tag.len() >= 8 && keyed(secret, parts).verify_truncated_left(tag).is_ok()
}

/// Why a timestamped request is not believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    BadSignature,
    /// The timestamp is unreadable or further than the tolerance from our clock.
    Stale,
}

/// Checks a request signed as `hex(HMAC(secret, "<timestamp>.<body>"))` with `timestamp` Unix
/// seconds within `tolerance_secs` of `now`. The signature is checked first, so an unsigned
/// request learns nothing about our clock.
pub fn verify_timestamped(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: u64,
) -> Result<(), Refused> {
    verify_timestamped_parts(secret, timestamp, signature, &[body], now, tolerance_secs)
}

/// Checks `hex(HMAC(secret, "<timestamp>." + parts))` the way [`verify_timestamped`] checks a
/// body: for requests that sign more than their body (a site signs the path too, so a signed
/// request for one endpoint is no good at another).
pub fn verify_timestamped_parts(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    parts: &[&[u8]],
    now: i64,
    tolerance_secs: u64,
) -> Result<(), Refused> {
    let timestamp = timestamp.trim();
    let mut signed: Vec<&[u8]> = vec![timestamp.as_bytes(), b"."];
    signed.extend_from_slice(parts);
    if !verify_hex(secret, &signed, signature) {
        return Err(Refused::BadSignature);
    }
    let at: i64 = timestamp.parse().map_err(|_| Refused::Stale)?;
    if now.abs_diff(at) > tolerance_secs {
        return Err(Refused::Stale);
    }
    Ok(())
}

/// Signs `body` at `timestamp` the way [`verify_timestamped`] checks it.
pub fn sign_timestamped(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    sign_hex(secret, &[timestamp.to_string().as_bytes(), b".", body])
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ: for
/// protocols whose signature is not an HMAC of ours (an MD5 token, a signature recomputed).
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn keyed(secret: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2, in two parts.
        assert_eq!(
            sign_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let signed = sign_hex(b"k", &[b"body"]);
        assert!(verify_hex(b"k", &[b"body"], &signed.to_uppercase()));
        assert!(!verify_hex(b"k", &[b"bodY"], &signed));
        assert!(!verify_hex(b"k", &[b"body"], "not hex"));
    }

    #[test]
    fn timestamped_requests_have_a_window() {
        let now = 1_800_000_000;
        let signature = sign_timestamped(b"secret", now, b"{}");
        let check =
            |ts: &str, sig: &str, at: i64| verify_timestamped(b"secret", ts, sig, b"{}", at, 300);
        assert_eq!(check(&now.to_string(), &signature, now + 300), Ok(()));
        assert_eq!(
            check(&now.to_string(), &signature, now + 301),
            Err(Refused::Stale)
        );
        assert_eq!(
            check(&now.to_string(), "00", now),
            Err(Refused::BadSignature)
        );
        let min = i64::MIN.to_string();
        let signed_min = sign_hex(b"secret", &[min.as_bytes(), b".", b"{}"]);
        assert_eq!(check(&min, &signed_min, now), Err(Refused::Stale));
    }
}
