//! Password hashing (argon2id) and the new-password policy.
use super::model::{check_password_length, PasswordProblem};
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

/// The PHC string of `password` (CPU-heavy: runs on a blocking thread).
pub async fn hash(password: String) -> Result<String, crate::error::AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| crate::error::AppError::Internal)?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        crate::error::AppError::Internal
    })
}

/// Whether `password` matches `stored`. Without a stored hash (unknown account, or an account
/// without a password) it checks against a dummy hash, so the answer takes the same time.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
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
        assert!(verify("correct horse battery".to_string(), Some(stored.clone())).await);
        assert!(!verify("wrong horse battery".to_string(), Some(stored)).await);
        assert!(!verify("no account has this password".to_string(), None).await);
    }
}
