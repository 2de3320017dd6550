//! Billing accounts: what a user enters about their account, checked the same way on both sides.
use crate::messages::Msg;
use crate::time::Stamp;
use serde::{Deserialize, Serialize};

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const COMPANY_NAME_MAX: usize = 100;
pub const PROFILE_FIELD_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;

/// Why a password is not accepted. The common-password list is checked on the server only
/// (it stays out of the browser bundle).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Use at least 8 characters")]
    TooShort,
    #[error("Use at most 128 characters")]
    TooLong,
    #[error("This password is too common; choose another")]
    TooCommon,
}

impl From<&PasswordProblem> for Msg {
    fn from(problem: &PasswordProblem) -> Self {
        match problem {
            PasswordProblem::TooShort => Msg::AtLeastCharacters {
                min: PASSWORD_MIN.to_string(),
            },
            PasswordProblem::TooLong => Msg::AtMostCharacters {
                max: PASSWORD_MAX.to_string(),
            },
            PasswordProblem::TooCommon => Msg::PasswordTooCommon,
        }
    }
}

/// Length rules of a new password (spec section 2), counted in characters.
pub fn check_password_length(password: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        Err(PasswordProblem::TooShort)
    } else if length > PASSWORD_MAX {
        Err(PasswordProblem::TooLong)
    } else {
        Ok(())
    }
}

/// A company name: required, trimmed, at most 100 characters.
pub fn company_name(input: &str) -> Result<String, Msg> {
    let name = input.trim();
    if name.is_empty() {
        Err(Msg::EnterCompanyName)
    } else if name.chars().count() > COMPANY_NAME_MAX {
        Err(Msg::AtMostCharacters {
            max: COMPANY_NAME_MAX.to_string(),
        })
    } else {
        Ok(name.to_string())
    }
}

/// An optional short profile field, trimmed.
pub fn profile_field(input: &str, max: usize) -> Result<String, Msg> {
    let value = input.trim();
    if value.chars().count() > max {
        Err(Msg::AtMostCharacters {
            max: max.to_string(),
        })
    } else {
        Ok(value.to_string())
    }
}

/// The signed-in user and the billing account they act in, as every page sees them. `id` is the
/// active billing account (0 while the user belongs to none); `role` their role in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub user_id: i64,
    pub company_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The active account's currency (none while the user belongs to no account).
    pub currency: Option<crate::money::Currency>,
    pub site_code: String,
    pub has_password: bool,
    /// May use the operator console: listed as an operator, or the account of
    /// `BC_OPERATOR_EMAIL` (the first operator, before anyone could grant the role).
    pub is_operator: bool,
    pub role: Option<crate::team::model::Role>,
    /// Every billing account the user belongs to, for the switcher.
    pub accounts: Vec<crate::team::model::Membership>,
}

impl AccountSummary {
    /// Whether the user's role in the active account allows `permission` (pages hide what it
    /// does not; the server refuses it anyway).
    pub fn may(&self, permission: crate::team::model::Permission) -> bool {
        self.role.is_some_and(|role| role.may(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_is_counted_in_characters() {
        assert_eq!(
            check_password_length("short"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(check_password_length("八个汉字的密码啊"), Ok(()));
        assert_eq!(check_password_length(&"x".repeat(128)), Ok(()));
        assert_eq!(
            check_password_length(&"x".repeat(129)),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn company_name_is_required_and_trimmed() {
        assert_eq!(company_name("  Acme Ltd. "), Ok("Acme Ltd.".to_string()));
        assert!(company_name("   ").is_err());
        assert!(company_name(&"x".repeat(101)).is_err());
    }
}

/// Account > Profile (spec section 3). Email and phone are shown here and changed only through
/// their own flows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub company_name: String,
    pub industry: String,
    pub region: String,
    pub description: String,
    pub contact_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub currency: String,
    pub site_code: String,
}

/// A signed-in browser, for the Security page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: i64,
    pub user_agent: String,
    pub client_addr: String,
    pub created_at: Stamp,
    pub last_seen_at: Stamp,
    /// The session of the browser asking.
    pub current: bool,
}

/// What a security log line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    Registered,
    SignedIn,
    SignInFailed,
    SignedOut,
    CodeRequested,
    PasswordReset,
    PasswordChanged,
    ProfileUpdated,
    SessionEnded,
    CurrentAddressVerified,
    EmailChanged,
    PhoneChanged,
    PasswordChangeFailed,
    VoucherCodeFailed,
}

impl SecurityEventKind {
    pub const ALL: [SecurityEventKind; 14] = [
        SecurityEventKind::Registered,
        SecurityEventKind::SignedIn,
        SecurityEventKind::SignInFailed,
        SecurityEventKind::SignedOut,
        SecurityEventKind::CodeRequested,
        SecurityEventKind::PasswordReset,
        SecurityEventKind::PasswordChanged,
        SecurityEventKind::ProfileUpdated,
        SecurityEventKind::SessionEnded,
        SecurityEventKind::CurrentAddressVerified,
        SecurityEventKind::EmailChanged,
        SecurityEventKind::PhoneChanged,
        SecurityEventKind::PasswordChangeFailed,
        SecurityEventKind::VoucherCodeFailed,
    ];

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            SecurityEventKind::Registered => "registered",
            SecurityEventKind::SignedIn => "signed_in",
            SecurityEventKind::SignInFailed => "sign_in_failed",
            SecurityEventKind::SignedOut => "signed_out",
            SecurityEventKind::CodeRequested => "code_requested",
            SecurityEventKind::PasswordReset => "password_reset",
            SecurityEventKind::PasswordChanged => "password_changed",
            SecurityEventKind::ProfileUpdated => "profile_updated",
            SecurityEventKind::SessionEnded => "session_ended",
            SecurityEventKind::CurrentAddressVerified => "current_address_verified",
            SecurityEventKind::EmailChanged => "email_changed",
            SecurityEventKind::PhoneChanged => "phone_changed",
            SecurityEventKind::PasswordChangeFailed => "password_change_failed",
            SecurityEventKind::VoucherCodeFailed => "voucher_code_failed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// One line of the security log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub kind: SecurityEventKind,
    pub detail: String,
    pub client_addr: String,
    pub created_at: Stamp,
}
