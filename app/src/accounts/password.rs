//! Password hashing (argon2id) and the new-password policy.
use super::model::{check_password_length, PasswordProblem};
use crate::error::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// The OWASP recommendation for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Everything a new password must satisfy.
pub fn check_new_password(password: &str) -> Result<(), PasswordProblem> {
    check_password_length(password)?;
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|common| common == lowered) {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

/// Hashes at the same time, server-wide. Each takes 19 MiB and a core for tens of milliseconds;
/// without a bound, a burst of sign-ins would take the memory of the machine.
const CONCURRENT_HASHES: usize = 4;
/// How long a request waits for a free hashing slot before it is told to come back.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A slot to run argon2 in, or `Busy` (503 with Retry-After) when the server is saturated.
async fn hashing_slot() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);
    match tokio::time::timeout(HASH_WAIT, SLOTS.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Busy),
    }
}

/// The PHC string of `password` (CPU-heavy: runs on a blocking thread).
pub async fn hash(password: String) -> Result<String, AppError> {
    let _slot = hashing_slot().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// Whether `password` matches `stored`. Without a stored hash (unknown account, or an account
/// without a password) it checks against a dummy hash, so the answer takes the same time.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let _slot = hashing_slot().await?;
    Ok(tokio::task::spawn_blocking(move || {
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let matches = PasswordHash::new(&stored)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        exists && matches
    })
    .await
    .unwrap_or(false))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"no account has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused() {
        assert_eq!(
            check_new_password("Password123"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_new_password("1q2w3e4r"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(check_new_password("short"), Err(PasswordProblem::TooShort));
        assert_eq!(check_new_password("correct horse battery"), Ok(()));
    }

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id() {
        let stored = hash("correct horse battery".to_string())
            .await
            .expect("hashed");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let verify = |p: &str, s: Option<String>| verify(p.to_string(), s);
        assert_eq!(
            verify("correct horse battery", Some(stored.clone())).await,
            Ok(true)
        );
        assert_eq!(verify("wrong horse battery", Some(stored)).await, Ok(false));
        assert_eq!(
            verify("no account has this password", None).await,
            Ok(false)
        );
    }
}
